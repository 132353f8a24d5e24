"""Evaluating a lifter on simulated camera frames (`auglift-ros evaluate`): predictions and their report.

The numbers and files come from :mod:`auglift_ros.evaluation.reports`, as for bags and live runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from auglift_ros.evaluation.reports import SUMMARY_KEYS, UNITS, metrics_report, write_report
from auglift_ros.runtime.models import LoadedLifter
from auglift_ros.simulation.simulate import SimulatedFrames

BATCH = 4096


def predict(model: LoadedLifter, frames: SimulatedFrames) -> np.ndarray:
    """Root-relative joints (N, 17, 3) in metres, camera frame, for every simulated frame, in batches."""
    features = frames.features(model.codec)
    if len(features) == 0:
        return np.empty((0, features.shape[1], 3), dtype=np.float32)
    lifted = np.concatenate(
        [model.lifter.run(features[i : i + BATCH]) for i in range(0, len(features), BATCH)]
    )
    return model.codec.decode_pose(lifted, frames.view_rotation(model.codec))


def run_evaluation(
    model: str | Path,
    sequences: str | Path,
    out_dir: str | Path,
    *,
    seed: int = 0,
    frames: int | None = 3000,
    detector_noise_scale: float | None = None,
    depth_error_scale: float | None = None,
    streamed: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """`auglift-ros evaluate`: simulate frames from sequences with seed, lift them, write the report.
    A temporal lifter is evaluated on clips (each with one camera), at the frame rate it trained at;
    with streamed, each frame's pose is the one the lifter node would publish (no look-ahead).

    The same seed gives the same cameras, detections and depth, hence the same numbers, for any model.
    Simulation settings default to those in the model card (the conditions the model was trained for).
    """
    from auglift_ros.runtime.models import load_lifter
    from auglift_ros.training.frames import select_frames
    from auglift_ros.training.job import SimulationConfig, load_takes

    loaded = load_lifter(model)
    if streamed and not loaded.window.causal:
        raise ValueError(f"{loaded.path} predicts its window's centre (look-ahead): it cannot be streamed")
    card_sim = dict(loaded.card.get("simulation", {}))
    if "image_size" in card_sim:
        card_sim["image_size"] = tuple(card_sim["image_size"])
    overrides = {"detector_noise_scale": detector_noise_scale, "depth_error_scale": depth_error_scale}
    simulation = SimulationConfig(**(card_sim | {k: v for k, v in overrides.items() if v is not None}))
    takes = load_takes([str(sequences)])
    rng = np.random.default_rng(seed)
    if loaded.lifter.temporal:  # whole clips, one camera each, every frame predicted
        from auglift_ros.training.clips import clip_actions, clip_views, draw_clips, predict_clips

        data = loaded.card.get("config", {}).get("data", {})
        clips = draw_clips(
            takes,
            frames or sum(len(t.joints3d) for t in takes),
            rng,
            fps=data.get("fps", 30.0),
            max_clip_frames=data.get("max_clip_frames", 300),
        )
        views = clip_views(clips, rng, simulation.camera_ranges())
        simulated_clips = simulation.simulate_views(views, rng, [loaded.codec], progress=progress)
        simulated = simulated_clips.frames
        prediction = predict_clips(loaded, simulated_clips, streamed=streamed)
        actions = clip_actions(clips, simulated_clips.lengths)
    else:
        selection = select_frames(takes, frames, rng)
        simulated = simulation.simulate(selection.poses, rng, [loaded.codec], progress=progress)
        prediction, actions = predict(loaded, simulated), selection.actions
    report = metrics_report(prediction, simulated.targets, visible=simulated.visible, actions=actions)
    report["model"] = str(loaded.path)
    report["feature_set"] = loaded.codec.feature_set
    report["sequences"] = {"path": str(sequences), "count": len(takes)}
    report["seed"] = seed
    report["streamed"] = streamed
    report["simulation"] = {
        "image_size": list(simulation.image_size),
        "detector_noise_scale": simulation.detector_noise_scale,
        "depth_error_scale": simulation.depth_error_scale,
    }
    title = f"{loaded.path.stem} on {Path(sequences).name}"
    write_report(report, out_dir, title)
    if progress:
        print(
            f"[evaluate] {report['frames']} frames: "
            + ", ".join(f"{k} {report[k]:.1f} {UNITS[k]}" for k in SUMMARY_KEYS)
        )
        print(f"[evaluate] metrics.json, metrics.md and plots in {out_dir}")
    return report


def depth_channel_agreement(frames: SimulatedFrames, feature_set: str = "uadd") -> dict[str, float]:
    """How well the sampled depth d at each keypoint follows the joint's true depth within the body.

    Both are taken relative to their per-person median (the lifter sees depth relative to the person,
    never absolute), so a global scale or shift error does not count; what remains is what the lifter
    can use. Errors come from the depth model, from keypoints that miss thin limbs and hit what is
    behind, from occluders, and from sampling the surface instead of the joint centre.
    """
    if feature_set not in frames.depth_inputs:
        raise KeyError(f"no depth samples for feature set {feature_set!r}")
    samples = np.asarray(frames.depth_inputs[feature_set], dtype=np.float64)
    sampled = samples[..., 0] if samples.ndim == 3 else samples
    truth = frames.joints_cam[..., 2]
    with np.errstate(all="ignore"):
        error = (sampled - np.nanmedian(sampled, axis=1, keepdims=True)) - (
            truth - np.median(truth, axis=1, keepdims=True)
        )
    error = np.abs(error[np.isfinite(error)])
    signal = np.abs(truth - np.median(truth, axis=1, keepdims=True))
    return {
        "median_abs_error_cm": float(100.0 * np.median(error)),
        "share_over_30cm": float(100.0 * (error > 0.3).mean()),
        "true_relative_depth_median_cm": float(100.0 * np.median(signal)),
    }
