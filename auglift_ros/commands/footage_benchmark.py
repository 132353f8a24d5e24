"""`auglift-ros benchmark footage`: our lifter against MediaPipe's own 3D on real footage, by one code path.

Users compare our 3D with what MediaPipe gives for free (``pose_world_landmarks``). This measures both
on the pose2sim single-person demo (four calibrated 60 fps views; test footage: nothing is fitted or
tuned on it, it is only measured). MediaPipe runs once per view; the same pass gives the 2D that builds
the 4-view reference (auglift_ros.footage.reference), the 2D our lifter lifts and MediaPipe's world
landmarks. Each view in turn is the monocular input, scored against the reference moved into its
camera frame, root-relative. Rows:

1. ``ours``: the lifter node's model (config/pipeline.yaml; without depth its fallback runs) on
   MediaPipe's 2D of that view, undistorted to the camera's ideal pinhole image with its K;
2. ``mediapipe_world``: MediaPipe's world landmarks of the same detections, BlazePose-33 -> COCO-17 ->
   H36M-17 with the core's maps, axes as MediaPipe gives them. Checked on this footage: they are
   the camera's optical-frame axes, z pointing away from the camera (root-relative joints correlate
   with the reference's positively on every axis of every view: x 0.63-0.99, y 0.88-1.00, z
   0.74-0.87; with z negated, MPJPE per view rises from 93-195 mm to 224-395 mm), so no axis is
   flipped. ``results.json`` repeats the correlation check (``world_axis_correlation``) every run;
3. ``perfect_2d``: the lifter on the reference's own projection into the view (distorted as a
   detector would see it, then undistorted like the detections), confidence 1: what lifting costs
   when 2D is right.

A frame where the reference or a row has a NaN joint is left out of that row and counted. Both the
reference and our 2D come from MediaPipe, so rows 1 and 2 share their detector and differ in lifting.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from auglift_ros.core import metrics
from auglift_ros.core.skeleton import H36M_JOINT_NAMES, H36M_NUM_JOINTS, H36M_ROOT
from auglift_ros.evaluation.reports import SUMMARY_KEYS, metrics_report
from auglift_ros.footage.calibration import CalibratedCamera
from auglift_ros.runtime.lifting import FrameLifter

ROWS = ("ours", "mediapipe_world", "perfect_2d")
TABLE_COLUMNS = {
    "mpjpe": "MPJPE mm",
    "p_mpjpe": "P-MPJPE mm",
    "p_mpjpe_body": "P-MPJPE body mm",
    "pck": "PCK@150 %",
    "auc": "AUC %",
}
"""The pooled figures the table (and the model card) shows, with their column headings."""
FACE_JOINTS = ("neck_nose", "head")
"""Joints MediaPipe (and so the reference) defines as the nose tip and the eyes' midpoint, a mocap
skeleton as Human3.6M's neck/nose and head top, about 10 cm apart: ``p_mpjpe_body`` leaves them out."""
BODY_JOINTS = [j for j, name in enumerate(H36M_JOINT_NAMES) if name not in FACE_JOINTS]
PERSON = 0
"""The track id given to the footage's one person (temporal lifters keep a window per id)."""


# --- pure scoring pieces ---------------------------------------------------------------------------


def scorable_frames(prediction: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(T,) True where both poses (T, 17, 3) have every joint finite: the frames a row is scored on."""
    return np.isfinite(prediction).all(axis=(-2, -1)) & np.isfinite(truth).all(axis=(-2, -1))


def root_relative(poses: np.ndarray) -> np.ndarray:
    """Poses (..., 17, 3) with the pelvis at the origin."""
    poses = np.asarray(poses, dtype=np.float64)
    return poses - poses[..., H36M_ROOT : H36M_ROOT + 1, :]


def _figures(
    prediction: np.ndarray, truth: np.ndarray, frames: int, *, per_joint: bool = False
) -> dict[str, Any]:
    """Frame counts and the summary metrics (None when no frame is left to score); with per_joint,
    also each joint's MPJPE and P-MPJPE (mm), which show where the error sits: the face points
    (neck_nose, head) are defined differently by MediaPipe and by mocap skeletons."""
    keep = scorable_frames(prediction, truth)
    figures: dict[str, Any] = {"frames": frames, "frames_scored": int(keep.sum())}
    figures["frames_left_out"] = frames - figures["frames_scored"]
    if not keep.any():
        return figures | dict.fromkeys((*SUMMARY_KEYS, "p_mpjpe_body"))
    predicted, true = root_relative(prediction[keep]), root_relative(truth[keep])
    report = metrics_report(predicted, true)
    figures |= {key: report[key] for key in SUMMARY_KEYS}
    figures["p_mpjpe_body"] = float(
        metrics.p_mpjpe(1000.0 * predicted[:, BODY_JOINTS], 1000.0 * true[:, BODY_JOINTS])
    )
    if per_joint:
        aligned = metrics.p_mpjpe(1000.0 * predicted, 1000.0 * true, per_joint=True)
        figures["per_joint"] = {
            name: {"mpjpe": report["per_joint"][name]["mpjpe"], "p_mpjpe": float(aligned[j])}
            for j, name in enumerate(H36M_JOINT_NAMES)
        }
    return figures


def score_row(
    predictions: Sequence[np.ndarray], truths: Sequence[np.ndarray], views: Sequence[str]
) -> dict[str, Any]:
    """One method's figures: pooled over all views' scorable frames, and per view.

    ``predictions[v]`` and ``truths[v]`` are view v's poses (T_v, 17, 3) in metres, NaN where missing.
    Pooling concatenates frames, so a view counts by the frames it has scored.
    """
    if not len(predictions) == len(truths) == len(views):
        raise ValueError(f"{len(predictions)} predictions, {len(truths)} truths for {len(views)} views")
    for prediction, truth in zip(predictions, truths, strict=True):
        if np.shape(prediction) != np.shape(truth) or np.shape(truth)[1:] != (H36M_NUM_JOINTS, 3):
            raise ValueError(
                f"expected equal (T, 17, 3) poses, got {np.shape(prediction)} and {np.shape(truth)}"
            )
    pooled = _figures(
        np.concatenate(predictions),
        np.concatenate(truths),
        sum(len(truth) for truth in truths),
        per_joint=True,
    )
    per_view = {
        name: _figures(np.asarray(prediction, np.float64), np.asarray(truth, np.float64), len(truth))
        for name, prediction, truth in zip(views, predictions, truths, strict=True)
    }
    return {"pooled": pooled, "per_view": per_view}


def axis_correlation(prediction: np.ndarray, truth: np.ndarray) -> list[float | None]:
    """Pearson correlation per axis (x, y, z) of root-relative joints over the scorable frames: the
    check that a pose's axes point as the truth's (a flipped axis correlates negatively)."""
    keep = scorable_frames(prediction, truth)
    if keep.sum() < 2:
        return [None, None, None]
    p, t = root_relative(prediction[keep]), root_relative(truth[keep])
    return [float(np.corrcoef(p[..., a].ravel(), t[..., a].ravel())[0, 1]) for a in range(3)]


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def markdown_table(results: dict[str, Any]) -> str:
    """The results as one markdown table: method, frames scored, pooled figures, P-MPJPE per view."""
    views = results["views"]
    header = (
        "| method | frames scored | "
        + " | ".join([*TABLE_COLUMNS.values(), *(f"P-MPJPE {name}" for name in views)])
        + " |"
    )
    lines = [header, "|" + "---|" * (2 + len(TABLE_COLUMNS) + len(views))]
    for row in results["rows"].values():
        pooled = row["pooled"]
        cells = [row["label"], f"{pooled['frames_scored']} of {pooled['frames']}"]
        cells += [_cell(pooled[key]) for key in TABLE_COLUMNS]
        cells += [_cell(row["per_view"][name]["p_mpjpe"]) for name in views]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def per_joint_table(results: dict[str, Any]) -> str:
    """Pooled P-MPJPE per joint (mm), one column per method: where each method's error sits."""
    rows = [row for row in results["rows"].values() if "per_joint" in row["pooled"]]
    lines = ["| joint | " + " | ".join(row["label"] for row in rows) + " |", "|" + "---|" * (1 + len(rows))]
    for name in H36M_JOINT_NAMES:
        cells = [_cell(row["pooled"]["per_joint"][name]["p_mpjpe"]) for row in rows]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot_per_view(results: dict[str, Any], path: Path) -> None:
    """Grouped bars: P-MPJPE per view (and pooled) for every method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [*results["views"], "pooled"]
    rows = list(results["rows"].values())
    width = 0.8 / len(rows)
    fig, ax = plt.subplots(figsize=(8, 4))
    for i, row in enumerate(rows):
        values = [
            row["per_view"][g]["p_mpjpe"] if g in row["per_view"] else row["pooled"]["p_mpjpe"]
            for g in groups
        ]
        positions = np.arange(len(groups)) + (i - (len(rows) - 1) / 2) * width
        ax.bar(positions, [np.nan if v is None else v for v in values], width, label=row["label"])
    ax.set_xticks(np.arange(len(groups)), groups)
    ax.set_ylabel("P-MPJPE (mm)")
    ax.set_title("pose2sim Demo_SinglePerson: each view as the monocular input")
    ax.margins(y=0.2)  # room above the bars for the legend
    ax.legend(fontsize=8, ncol=len(rows), loc="upper center")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# --- lifting and the run ---------------------------------------------------------------------------


def lift_sequence(
    lifter: FrameLifter,
    keypoints: np.ndarray,
    confidence: np.ndarray,
    image_size: tuple[int, int],
    camera_matrix: np.ndarray,
) -> np.ndarray:
    """Root-relative poses (T, 17, 3), camera frame, of one person's undistorted keypoints (T, 17, 2)
    lifted frame by frame as the node does (no depth); NaN where no keypoint was found. A temporal
    lifter's window restarts here."""
    lifter.forget([PERSON])
    poses = np.full((len(keypoints), H36M_NUM_JOINTS, 3), np.nan)
    for i, (points, scores) in enumerate(zip(keypoints, confidence, strict=True)):
        if np.isfinite(points).any():
            result = lifter.lift(points[None], scores[None], image_size, camera_matrix, person_ids=[PERSON])
            poses[i] = result.root_relative[0]
    return poses


def perfect_keypoints(joints_world: np.ndarray, camera: CalibratedCamera) -> tuple[np.ndarray, np.ndarray]:
    """The reference's joints (T, 17, 3) as a flawless detector would report them in ``camera``:
    projected with the lens distortion, then undistorted like the detections; confidence 1 where the
    joint exists, 0 where it is NaN."""
    keypoints = camera.undistort(camera.project(joints_world, distort=True))
    return keypoints, np.isfinite(keypoints).all(axis=-1).astype(np.float64)


def run_footage_benchmark(
    out_dir: str | Path,
    *,
    model: str | None = None,
    fallback_model: str | None = None,
    max_frames: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """The benchmark (module docstring): writes results.json, results.md and results.png into out_dir
    and returns the results. ``model`` / ``fallback_model`` override the lifter node's defaults."""
    from auglift_ros.bags.replay import graph_lifter
    from auglift_ros.footage.calibration import match_frame_size
    from auglift_ros.footage.pose2sim import fetch_pose2sim_demo
    from auglift_ros.footage.reference import detect_views, joints_in_camera, reference_from_detections
    from auglift_ros.footage.video import VideoFrames

    demo = fetch_pose2sim_demo()
    cameras = []
    for path, camera in zip(demo.videos, demo.cameras(), strict=True):
        frames = VideoFrames(path)
        cameras.append(match_frame_size(camera, frames.native_width, frames.native_height))
    views = [camera.name for camera in cameras]
    detections = detect_views(demo.videos, max_frames=max_frames, progress=progress)
    # One geometric synchronisation for all views: each view's reference is the same triangulation,
    # re-indexed so that its frame i is that view's frame i.
    first = reference_from_detections(detections.keypoints, detections.confidence, cameras)
    lifter = graph_lifter(model, fallback_model)
    lifted = lifter.fallback or lifter.model  # without depth the fallback runs when there is one
    poses: dict[str, list[np.ndarray]] = {row: [] for row in ROWS}
    truths = []
    for view, camera in enumerate(cameras):
        reference = reference_from_detections(
            detections.keypoints,
            detections.confidence,
            cameras,
            reference_view=view,
            frame_offsets=first.frame_offsets,
        )
        truths.append(joints_in_camera(reference.joints_world, camera))
        size = (camera.width, camera.height)
        undistorted = camera.undistort(detections.keypoints[view])
        poses["ours"].append(lift_sequence(lifter, undistorted, detections.confidence[view], size, camera.K))
        poses["mediapipe_world"].append(detections.world[view])
        perfect, ones = perfect_keypoints(reference.joints_world, camera)
        poses["perfect_2d"].append(lift_sequence(lifter, perfect, ones, size, camera.K))
    model_name = lifted.path.stem
    labels = {
        "ours": f"ours ({model_name}) on MediaPipe 2D",
        "mediapipe_world": "MediaPipe pose_world_landmarks",
        "perfect_2d": f"ours ({model_name}) on perfect 2D",
    }
    results: dict[str, Any] = {
        "footage": "pose2sim 0.10.49 Demo_SinglePerson, 4 calibrated views at 60 fps (BSD-3-Clause)",
        "views": views,
        "model": str(lifted.path),
        "feature_set": lifted.codec.feature_set,
        "frames_per_view": int(detections.keypoints.shape[1]),
        "frame_offsets": dict(zip(views, first.frame_offsets.tolist(), strict=True)),
        "reference": first.error_stats(),
        "world_axis_correlation": {
            name: axis_correlation(world, truth)
            for name, world, truth in zip(views, poses["mediapipe_world"], truths, strict=True)
        },
        "rows": {row: {"label": labels[row]} | score_row(poses[row], truths, views) for row in ROWS},
    }
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    table = markdown_table(results)
    (out / "results.md").write_text(
        "# Real-footage benchmark: pose2sim Demo_SinglePerson, each view as the monocular input\n\n"
        f"Reference: MediaPipe 2D in 4 views, triangulated (median reprojection error "
        f"{results['reference']['median_px']:.1f} px). Pooled over {len(views)} views; "
        "root-relative; millimetres and percent. P-MPJPE body: the 15 joints without the face points "
        "(neck_nose, head), whose definitions differ (below).\n\n"
        + table
        + "\nP-MPJPE per joint, pooled (mm). The reference's neck_nose and head are MediaPipe's nose "
        "and eye midpoint, as are MediaPipe's own; a lifter trained on mocap places them where the "
        "mocap skeleton has them.\n\n" + per_joint_table(results)
    )
    plot_per_view(results, out / "results.png")
    return results


CARD_BENCHMARK_KEY = "pose2sim_single_person"


def record_in_card(results: dict[str, Any], card: Path) -> None:
    """Write the benchmark's figures into the lifted model's card (its "benchmarks" section), so the
    card carries what users compare: ours, MediaPipe's 3D and ours on perfect 2D, pooled and per
    view P-MPJPE. Only the lifted model's own card is touched, and only this key in it."""
    values = json.loads(card.read_text())
    if Path(results["model"]).stem != values.get("name", card.stem):
        raise ValueError(f"card {card} is not the card of {results['model']}")
    values.setdefault("benchmarks", {})[CARD_BENCHMARK_KEY] = {
        "command": "auglift-ros benchmark footage --record-in-card",
        "footage": results["footage"],
        "rows": {
            row: {
                "label": figures["label"],
                "pooled": {key: figures["pooled"][key] for key in ("frames_scored", *TABLE_COLUMNS)},
                "p_mpjpe_per_view": {view: v["p_mpjpe"] for view, v in figures["per_view"].items()},
            }
            for row, figures in results["rows"].items()
        },
    }
    card.write_text(json.dumps(values, indent=2))
