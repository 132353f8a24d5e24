"""Fit the scene simulation's detector error model to MediaPipe on real multi-view footage.

    .venv/bin/python benchmarks/fit_detector_errors.py --out DIR [--cache DIR] [--detections FILE]

Data: pose2sim 0.10.49's Demo_MultiPerson (four calibrated 60 fps views, 100 frames each; fetched
with ``pip download --no-deps`` into the cache as the footage demo does). Its first person is the
recording of Demo_SinglePerson, our test footage, with a second person composited in; only that
second person is measured (the one standing beside the treadmill, :data:`MEASURED_PERSON_XY`), the
first serves only to tell the two apart and as an occluder. docs/simulation.md has the findings.

Steps: MediaPipe (tracking, as the detector node runs it) finds up to three people per view by
painting found ones out; detections are matched across views per frame by triangulation; the
calibration is checked on the measured person (leave-one-view-out reprojection, view triplets);
her errors are measured against the other views' triangulation (``auglift_ros.footage.detector_errors``);
a :class:`~auglift_ros.simulation.sensors.DetectorErrorModel` is fitted so that its draws, pushed
through the *same* measurement on the same geometry, give the same table (the reference's own noise
and the alignment are thereby accounted for); and the triangulated skeleton's proportions are
compared with the mocap rest skeleton's.

Prints every table (markdown); writes DIR/detections.npz (MediaPipe's output; ``--detections``
reuses it), DIR/measured.json, DIR/fitted_model.json (``DetectorErrorModel.to_dict()``, with and
without the joint offsets) and DIR/person.png (the measured person's detections, to check who it is).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from auglift_ros.core.skeleton import H36M_BONES, H36M_JOINT_NAMES, H36M_NUM_JOINTS, H36M_PARENTS
from auglift_ros.core.triangulation import project_points, reprojection_errors, triangulate_points
from auglift_ros.footage.calibration import CalibratedCamera, check_image_size
from auglift_ros.footage.detector_errors import (
    OUTLIER_THRESHOLD,
    ErrorSamples,
    ErrorTable,
    PersonTrack,
    detect_people_in_views,
    error_table,
    match_people,
    measure_errors,
    person_misses,
    person_size,
    select_person,
    table_to_dict,
)
from auglift_ros.footage.pose2sim import MULTI_PERSON_DIR, fetch_pose2sim_demo
from auglift_ros.footage.reference import (
    estimate_frame_offsets,
    fix_left_right_swaps,
    median_reprojection_error,
    shift_frames,
)
from auglift_ros.footage.video import VideoFrames
from auglift_ros.mocap.proportions import body_proportions, rest_skeleton
from auglift_ros.simulation.scene import ray_cast_visibility
from auglift_ros.simulation.sensors import (
    H36M_KEYPOINT_SIGMAS,
    JOINT_GROUPS,
    QUANTILE_LEVELS,
    DetectorErrorModel,
    keypoint_box_scale,
)

MEASURED_PERSON_XY = (0.2, -0.42)
"""Where the composited person stands, hardly moving (hip centre, metres, the calibration's z-up
world); Demo_SinglePerson's subject stays more than 0.8 m away. Checked on DIR/person.png."""
MEASURED_RADIUS = 0.5
CONFIDENCE_EDGES = (0.5, 0.7, 0.9)
"""Confidence bins of the fitted jitter (below 0.5, 0.5-0.7, 0.7-0.9, from 0.9): MediaPipe's scores of
joints it sees sit above 0.9; the error grows in each bin below (docs/simulation.md)."""
FIT_ITERATIONS = 4
REPEATS = 6
"""Simulated draws of the whole footage per fit step (the measured table has 362 detections)."""
_J = {name: i for i, name in enumerate(H36M_JOINT_NAMES)}


# --- data ------------------------------------------------------------------------------------------


def mediapipe_detections(
    videos: Sequence[Path], out: Path, reuse: Path | None, progress: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(V, T, P, 17, 2) recorded-image pixels and (V, T, P, 17) confidences, from ``reuse`` or MediaPipe."""
    if reuse is not None:
        with np.load(reuse) as data:
            return data["keypoints"], data["confidence"]
    from auglift_ros.perception.detector import MediaPipePoseDetector

    start = time.perf_counter()
    keypoints, confidence = detect_people_in_views(
        videos, lambda: MediaPipePoseDetector(tracking=True, segmentation=True), people=3, progress=progress
    )
    print(f"MediaPipe on {len(videos)} views, up to 3 people each: {time.perf_counter() - start:.0f} s")
    np.savez_compressed(out / "detections.npz", keypoints=keypoints, confidence=confidence)
    return keypoints, confidence


def fill_missing_joints(joints: np.ndarray) -> np.ndarray:
    """Joints (T, 17, 3) with NaN joints put on their parent (a zero-length bone hides next to nothing)."""
    filled = np.array(joints, dtype=np.float64)
    for child, parent in enumerate(H36M_PARENTS):
        if parent >= 0:
            filled[:, child] = np.where(np.isfinite(filled[:, child]), filled[:, child], filled[:, parent])
    return filled


def visibility(
    joints: np.ndarray, others: list[list[np.ndarray]], cameras: Sequence[CalibratedCamera]
) -> np.ndarray:
    """(V, T, 17): the person's joints unhidden by her own body or the other people (the simulation's
    capsule body, as it labels simulated joints)."""
    filled = fill_missing_joints(joints)
    seen = np.zeros((len(cameras), len(joints), H36M_NUM_JOINTS), dtype=bool)
    for frame, person in enumerate(filled):
        if not np.isfinite(person).all():
            continue
        bodies = np.stack([person] + [o for o in others[frame] if np.isfinite(o).all()])
        for view, camera in enumerate(cameras):
            seen[view, frame] = ray_cast_visibility(camera.to_camera(bodies), camera.pinhole())[0]
    return seen


# --- calibration check -----------------------------------------------------------------------------


TORSO = [
    _J[n] for n in ("pelvis", "right_hip", "left_hip", "spine", "thorax", "left_shoulder", "right_shoulder")
]
OFFSET_GAIN = 0.1
"""Views are taken as synchronous unless start offsets lower the median reprojection error this much."""


def per_view_table(samples: ErrorSamples, names: Sequence[str]) -> str:
    """Markdown: each view's leave-one-out error, before and after the scale + shift alignment."""
    lines = [
        "| view | detections | person size px | error px | in person sizes | after scale + shift |",
        "|---|---|---|---|---|---|",
    ]
    for view, name in enumerate(names):
        rows = samples.view == view
        raw = np.linalg.norm(samples.raw_errors[rows], axis=-1)
        aligned = np.linalg.norm(samples.errors[rows], axis=-1)
        size = samples.size[rows]
        lines.append(
            f"| {name} | {rows.sum()} | {np.median(size):.0f} | {np.nanmedian(raw * size[:, None]):.1f} | "
            f"{np.nanmedian(raw):.3f} | {np.nanmedian(aligned):.3f} |"
        )
    return "\n".join(lines)


def triplet_tables(
    repaired: np.ndarray, scores: np.ndarray, projections: np.ndarray, cameras: Sequence[CalibratedCamera]
) -> str:
    """Markdown: every three views triangulated together (their reprojection errors), and how far
    apart two triplets put the torso, with the share of that along the axis of their two shared
    cameras (a displacement along it barely shows in those two views)."""
    names = [c.name for c in cameras]
    lines = ["| views | each view's median reprojection error, person sizes |", "|---|---|"]
    solved = {}
    for triplet in itertools.combinations(range(len(cameras)), 3):
        chosen = list(triplet)
        solved[triplet] = triangulate_points(repaired[chosen], scores[chosen], projections[chosen])
        errors = reprojection_errors(solved[triplet], repaired[chosen], projections[chosen])
        per_view = ", ".join(
            f"{names[v]} {np.nanmedian(e / person_size(repaired[v])[:, None]):.3f}"
            for v, e in zip(chosen, errors, strict=True)
        )
        lines.append(f"| {' + '.join(names[v] for v in chosen)} | {per_view} |")
    lines += [
        "",
        "| triplets | shared views | torso apart, median (range) cm | share along the shared views' axis |",
        "|---|---|---|---|",
    ]
    for a, b in itertools.combinations(solved, 2):
        shared = sorted(set(a) & set(b))
        axis = cameras[shared[1]].centre - cameras[shared[0]].centre
        shift = np.nanmedian(solved[a][:, TORSO] - solved[b][:, TORSO], axis=1)
        shift = shift[np.isfinite(shift).all(-1)]
        apart = np.linalg.norm(shift, axis=-1)
        along = np.abs(shift @ axis) / np.linalg.norm(axis) / np.maximum(apart, 1e-9)
        label = " vs ".join("+".join(names[v][-1] for v in t) for t in (a, b))
        lines.append(
            f"| {label} | {' + '.join(names[v] for v in shared)} | {100 * np.median(apart):.1f} "
            f"({100 * apart.min():.1f}-{100 * apart.max():.1f}) | {np.median(along):.2f} |"
        )
    return "\n".join(lines)


def check_synchronous(track: PersonTrack, projections: np.ndarray, names: Sequence[str]) -> str:
    """The start offsets the reference's search picks and what they gain; SystemExit when they gain
    more than OFFSET_GAIN (the measurement compares frame i of every view)."""
    offsets = estimate_frame_offsets(track.keypoints, track.confidence, projections)
    common = slice(10, track.keypoints.shape[1] - 10)

    def cost(shift: np.ndarray) -> float:
        return median_reprojection_error(
            shift_frames(track.keypoints, shift)[:, common],
            shift_frames(track.confidence, shift, fill=0.0)[:, common],
            projections,
        )

    recorded, best = cost(np.zeros_like(offsets)), cost(offsets)
    found = ", ".join(f"{n} {o:+d}" for n, o in zip(names, offsets, strict=True))
    line = (
        f"start offsets found: {found}; median reprojection error {best:.1f} px (as recorded {recorded:.1f})"
    )
    if best < (1.0 - OFFSET_GAIN) * recorded:
        raise SystemExit(f"{line}: the views are not synchronous")
    return line + ": no clear offset, frames used as recorded"


# --- the fit ---------------------------------------------------------------------------------------


def measured_table(samples: ErrorSamples) -> ErrorTable:
    return error_table(samples, JOINT_GROUPS, QUANTILE_LEVELS, confidence_edges=CONFIDENCE_EDGES)


def simulated_samples(
    model: DetectorErrorModel,
    joints: np.ndarray,
    detected: np.ndarray,
    visible: np.ndarray,
    projections: np.ndarray,
    rng: np.random.Generator,
    repeats: int = REPEATS,
) -> ErrorSamples:
    """The measurement of the model's draws on the real geometry: the triangulated person projected
    into each view where she was detected, drawn by the model, measured as the real detections are."""
    truth = project_points(joints, projections)  # (V, T, 17, 2)
    parts = []
    for _ in range(repeats):
        pixels = np.full(truth.shape, np.nan)
        confidence = np.zeros(truth.shape[:-1])
        for view in range(len(projections)):
            rows = np.flatnonzero(detected[view] & np.isfinite(truth[view]).all(axis=(-1, -2)))
            if rows.size:
                keypoints = truth[view, rows]
                drawn, scores = model.simulate(
                    keypoints, visible[view, rows], keypoint_box_scale(keypoints), rng
                )
                pixels[view, rows], confidence[view, rows] = drawn, scores
        parts.append(measure_errors(pixels, confidence, projections, visible))
    return ErrorSamples.concatenate(parts)


def initial_model(table: ErrorTable, source: str) -> DetectorErrorModel:
    """The measured values taken as parameters, before the reference's noise is accounted for."""
    occluded = {}
    for group in JOINT_GROUPS:
        values = table.occluded_confidence[group]
        occluded[group] = table.visible_confidence[group] if np.isnan(values).any() else values
    return DetectorErrorModel(
        joint_sigma=tuple(table.joint_sigma),
        confidence_edges=CONFIDENCE_EDGES,
        noise_factors=tuple(table.bin_sigma / table.bin_sigma[-1]),
        visible_confidence={g: tuple(v) for g, v in table.visible_confidence.items()},
        occluded_confidence={g: tuple(v) for g, v in occluded.items()},
        outlier_prob=dict(table.outlier_rate),
        outlier_jump=tuple(table.outlier_jump),
        outlier_confidence=tuple(table.outlier_confidence),
        swap_prob=table.swap_rate,
        source=source,
    )


def _ratio(real: float, simulated: float) -> float:
    return real / simulated if simulated > 0 else (1.0 if real == 0 else 2.0)


def adjusted(model: DetectorErrorModel, real: ErrorTable, simulated: ErrorTable) -> DetectorErrorModel:
    """One fit step: each fitted number scaled by measured / simulated of the statistic it drives."""
    relative = lambda table: table.bin_sigma / table.bin_sigma[-1]  # noqa: E731
    factors = np.asarray(model.noise_factors) * relative(real) / relative(simulated)
    factors[-1] = 1.0
    return replace(
        model,
        joint_sigma=tuple(np.asarray(model.joint_sigma) * real.joint_sigma / simulated.joint_sigma),
        noise_factors=tuple(factors),
        outlier_prob={
            g: float(np.clip(p * _ratio(real.outlier_rate[g], simulated.outlier_rate[g]), 0.0, 1.0))
            for g, p in model.outlier_prob.items()
        },
        swap_prob=float(np.clip(model.swap_prob * _ratio(real.swap_rate, simulated.swap_rate), 0.0, 1.0)),
    )


def rounded(model: DetectorErrorModel, digits: int = 4) -> DetectorErrorModel:
    """The model with every number rounded, as it is committed to auglift_ros/simulation/sensors.py."""
    values = model.to_dict()
    for key, value in values.items():
        if isinstance(value, dict):
            values[key] = {g: np.round(v, digits).tolist() for g, v in value.items()}
        elif isinstance(value, (list, tuple, float)):
            values[key] = np.round(value, digits).tolist()
    return DetectorErrorModel.from_dict(values)


def fit_model(
    real: ErrorTable,
    joints: np.ndarray,
    detected: np.ndarray,
    visible: np.ndarray,
    projections: np.ndarray,
    source: str,
    *,
    seed: int = 0,
    repeats: int = REPEATS,
) -> tuple[DetectorErrorModel, ErrorTable]:
    """The fitted model (rounded) and the table its draws give (fresh draws, not the last step's).

    joints (T, 17, 3): the person's triangulated skeleton, drawn on; detected (V, T): where the real
    detections are (the simulated ones go there); visible (V, T, 17)."""
    rng = np.random.default_rng(seed)
    model = initial_model(real, source)
    for _ in range(FIT_ITERATIONS):
        drawn = simulated_samples(model, joints, detected, visible, projections, rng, repeats)
        model = adjusted(model, real, measured_table(drawn))
    model = rounded(model)
    return model, measured_table(
        simulated_samples(model, joints, detected, visible, projections, rng, repeats)
    )


def generated_scene_error(model: DetectorErrorModel | None, frames: int = 3000) -> float:
    """Mean 2D error in keypoint-box heights over generated poses and the default cameras (the
    figure docs/simulation.md quotes for the assumed model), at the standard noise level."""
    from auglift_ros.mocap.generated import random_poses
    from auglift_ros.simulation.simulate import simulate_frames

    rng = np.random.default_rng(7)
    scenes = simulate_frames(random_poses(frames, rng), rng, [], detector_model=model)
    truth = scenes.true_keypoints
    height = np.ptp(truth[..., 1], axis=-1)
    return float(np.mean(np.linalg.norm(scenes.keypoints - truth, axis=-1) / height[:, None]))


# --- proportions -----------------------------------------------------------------------------------


PROPORTION_ROWS = (
    "thigh",
    "hip width",
    "pelvis -> thorax",
    "thorax above shoulder line",
    "shoulder width",
    "upper arm",
    "forearm",
    "thorax -> neck_nose",
    "thorax -> neck_nose, forward",
    "neck_nose -> head",
    "neck_nose -> head, forward",
)


def proportions(
    repaired: np.ndarray, scores: np.ndarray, projections: np.ndarray
) -> tuple[dict[str, float], dict[str, float]]:
    """The person's body proportions (all views) and their spread (max - min) over the four
    triangulations that leave one view out."""
    confident = np.where(scores >= 0.5, scores, 0.0)
    joints = triangulate_points(repaired, confident, projections)
    whole = body_proportions(joints[np.isfinite(joints).all(axis=(-1, -2))])
    spread = []
    for view in range(len(projections)):
        keep = [v for v in range(len(projections)) if v != view]
        part = triangulate_points(repaired[keep], confident[keep], projections[keep])
        spread.append(body_proportions(part[np.isfinite(part).all(axis=(-1, -2))]))
    return whole, {k: max(s[k] for s in spread) - min(s[k] for s in spread) for k in whole}


def joint_offsets(person: dict[str, float], rest: dict[str, float]) -> dict[str, float]:
    """neck_nose_scale and head_scale: the detector's thorax -> nose and nose -> head distances over the
    mocap rest skeleton's, both in trunk lengths (pelvis -> thorax; legs vary more between bodies)."""
    trunk = "pelvis -> thorax"
    return {
        "neck_nose_scale": (person["thorax -> neck_nose"] / person[trunk])
        / (rest["thorax -> neck_nose"] / rest[trunk]),
        "head_scale": (person["neck_nose -> head"] / person[trunk])
        / (rest["neck_nose -> head"] / rest[trunk]),
    }


# --- tables ----------------------------------------------------------------------------------------


def markdown(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def joint_table(real: ErrorTable, fitted: ErrorTable, model: DetectorErrorModel) -> str:
    """Per joint: the measured jitter, the fitted model's (measured alike) and its parameter."""
    header = (
        "joint", "sigma at confidence >= 0.9 (n)", "fitted, measured alike", "model joint_sigma",
        "visible, any confidence", "occluded (n)", "assumed default (0.5 x COCO)",
    )  # fmt: skip
    rows = []
    for j, name in enumerate(H36M_JOINT_NAMES):
        hidden = real.occluded_count[j]
        rows.append(
            (
                name,
                f"{real.joint_sigma[j]:.3f} ({real.joint_count[j]})",
                f"{fitted.joint_sigma[j]:.3f}",
                f"{model.joint_sigma[j]:.3f}",
                f"{real.visible_sigma[j]:.3f}",
                f"{real.occluded_sigma[j]:.3f} ({hidden})" if hidden >= 5 else f"- ({hidden})",
                f"{0.5 * H36M_KEYPOINT_SIGMAS[j]:.3f}",
            )
        )
    return markdown(header, rows)


def confidence_table(real: ErrorTable, fitted: ErrorTable, model: DetectorErrorModel) -> str:
    """Per confidence bin: jitter relative to the joint's, median error and outliers."""
    edges = (0.0, *real.confidence_edges, 1.0)
    header = (
        "confidence", "joints", "sigma / joint's sigma", "fitted, measured alike", "model noise_factors",
        "median error", "outliers", "fitted",
    )  # fmt: skip
    rows = [
        (
            f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
            real.bin_count[b],
            f"{real.bin_sigma[b]:.2f}",
            f"{fitted.bin_sigma[b]:.2f}",
            f"{model.noise_factors[b]:.2f}",
            f"{real.bin_median[b]:.3f}",
            f"{100 * real.bin_outliers[b]:.1f}%",
            f"{100 * fitted.bin_outliers[b]:.1f}%",
        )
        for b in range(len(edges) - 1)
    ]
    return markdown(header, rows)


def group_table(real: ErrorTable, fitted: ErrorTable, model: DetectorErrorModel) -> str:
    """Per joint group: confidence distributions and outlier rates."""
    pick = [QUANTILE_LEVELS.tolist().index(q) for q in (0.1, 0.5, 0.9)]

    def spread(values: np.ndarray) -> str:
        return " / ".join(f"{values[i]:.2f}" for i in pick)

    header = (
        "joints", "visible: n, confidence p10 / p50 / p90", "occluded: n, p10 / p50 / p90", "outliers",
        "fitted, measured alike", "model outlier_prob",
    )  # fmt: skip
    rows = []
    for group in JOINT_GROUPS:
        seen, hidden = real.confidence_count[group]
        rows.append(
            (
                group,
                f"{seen}: {spread(real.visible_confidence[group])}",
                f"{hidden}: {spread(real.occluded_confidence[group])}",
                f"{100 * real.outlier_rate[group]:.1f}%",
                f"{100 * fitted.outlier_rate[group]:.1f}%",
                f"{100 * model.outlier_prob[group]:.1f}%",
            )
        )
    return markdown(header, rows)


def summary_lines(real: ErrorTable, fitted: ErrorTable, misses: np.ndarray, names: Sequence[str]) -> str:
    """Swaps, outliers, low scores and missed persons in words."""
    q = QUANTILE_LEVELS.tolist()

    def spread(values: np.ndarray) -> str:
        return "/".join(f"{values[q.index(level)]:.2f}" for level in (0.1, 0.5, 0.9))

    missed = ", ".join(f"{n} {100 * m:.0f}%" for n, m in zip(names, misses, strict=True))
    return "\n".join(
        [
            f"- left/right swaps: {real.swapped_pairs} of {real.pairs} pairs ({100 * real.swap_rate:.2f}%); "
            f"fitted, measured alike: {100 * fitted.swap_rate:.2f}%",
            f"- gross outliers (error > {OUTLIER_THRESHOLD} person sizes): {real.outliers} joints; error "
            f"p10/p50/p90 {spread(real.outlier_jump)}, confidence {spread(real.outlier_confidence)}",
            f"- joints under confidence 0.1: {100 * real.low_confidence_share:.1f}%; MediaPipe never leaves "
            "a joint out (every landmark comes with every detection)",
            f"- person missed (in the image, no detection matched): {missed}",
        ]
    )


def proportion_table(person: dict[str, float], spread: dict[str, float], rest: dict[str, float]) -> str:
    """The person's proportions next to the mocap rest skeleton's, also as a ratio in trunk lengths."""
    trunk = "pelvis -> thorax"
    rows = []
    for key in ("leg (m)", *PROPORTION_ROWS):
        small = key == "leg (m)" or abs(rest[key]) < 1e-3
        ratio = "" if small else f"{(person[key] / person[trunk]) / (rest[key] / rest[trunk]):.2f}"
        rows.append((key, f"{person[key]:.3f}", f"{spread[key]:.3f}", f"{rest[key]:.3f}", ratio))
    header = (
        "measure (leg lengths)", "MediaPipe, triangulated", "spread leaving a view out", "H36M rest",
        "ratio in trunk lengths",
    )  # fmt: skip
    return markdown(header, rows)


def person_picture(
    videos: Sequence[Path], track: PersonTrack, cameras: Sequence[CalibratedCamera], path: Path
) -> None:
    """Frames 0, 50 and 99 of every view with the measured person's detections drawn (distorted back)."""
    import cv2

    frames = track.keypoints.shape[1]
    wanted = (0, frames // 2, frames - 1)
    rows = []
    for video, camera, pixels in zip(videos, cameras, track.keypoints, strict=True):
        tiles = []
        for index, image in enumerate(VideoFrames(video)):
            if index not in wanted:
                continue
            bgr = np.ascontiguousarray(image[..., ::-1])
            keypoints = _distorted(camera, pixels[index])
            for a, b in H36M_BONES:
                if np.isfinite(keypoints[[a, b]]).all():
                    cv2.line(
                        bgr,
                        tuple(int(v) for v in keypoints[a]),
                        tuple(int(v) for v in keypoints[b]),
                        (0, 0, 255),
                        6,
                    )
            cv2.putText(
                bgr,
                f"{camera.name} frame {index}",
                (20, 80),
                cv2.FONT_HERSHEY_SIMPLEX,
                2.5,
                (255, 255, 255),
                6,
            )
            tiles.append(cv2.resize(bgr, (272, 480)))
        rows.append(np.hstack(tiles))
    cv2.imwrite(str(path), np.vstack(rows))


def _distorted(camera: CalibratedCamera, pixels: np.ndarray) -> np.ndarray:
    """Undistorted pixels back to the recorded image (through the camera's own model)."""
    rays = np.c_[pixels, np.ones(len(pixels))] @ np.linalg.inv(camera.K).T
    return camera.project(rays @ camera.R + camera.centre)


SOURCE = (
    "benchmarks/fit_detector_errors.py on pose2sim 0.10.49 Demo_MultiPerson (the composited person), "
    "MediaPipe 0.10.21 Pose (model_complexity 1, tracking)"
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for the JSON files and the picture")
    parser.add_argument("--cache", type=Path, default=None, help="pose2sim wheel cache (default: XDG cache)")
    parser.add_argument("--detections", type=Path, default=None, help="reuse DIR/detections.npz of a run")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    demo = fetch_pose2sim_demo(args.cache, demo_dir=MULTI_PERSON_DIR)
    cameras = demo.cameras()
    for video, camera in zip(demo.videos, cameras, strict=True):
        frames = VideoFrames(video)
        check_image_size(camera, frames.native_width, frames.native_height)
    names = [c.name for c in cameras]
    projections = np.stack([c.projection for c in cameras])

    keypoints, confidence = mediapipe_detections(demo.videos, args.out, args.detections, not args.no_progress)
    pixels = np.stack([camera.undistort(points) for camera, points in zip(cameras, keypoints, strict=True)])
    matches = [match_people(pixels[:, t], confidence[:, t], projections) for t in range(pixels.shape[1])]
    track = select_person(matches, pixels, confidence, MEASURED_PERSON_XY, MEASURED_RADIUS)
    detected = np.isfinite(track.keypoints).all(axis=(-1, -2))
    person_picture(demo.videos, track, cameras, args.out / "person.png")
    found = ", ".join(f"{n} {d.sum()}" for n, d in zip(names, detected, strict=True))
    print(
        f"measured person matched in {found} of {detected.shape[1]} frames (check: {args.out / 'person.png'})"
    )
    print(check_synchronous(track, projections, names))

    repaired, scores, _ = fix_left_right_swaps(track.keypoints, track.confidence, projections)
    joints = triangulate_points(repaired, scores, projections)
    seen = visibility(joints, track.others, cameras)
    samples = measure_errors(track.keypoints, track.confidence, projections, seen)
    print("\n## Calibration check on the measured person\n")
    print(per_view_table(samples, names), end="\n\n")
    print(triplet_tables(repaired, scores, projections, cameras))

    real = measured_table(samples)
    misses = person_misses(track, projections, [(c.width, c.height) for c in cameras])
    model, fitted = fit_model(real, joints, detected, seen, projections, SOURCE)
    generated = {"assumed": generated_scene_error(None), "fitted": generated_scene_error(model)}
    person, spread = proportions(repaired, scores, projections)
    rest = body_proportions(rest_skeleton())
    offsets = joint_offsets(person, rest)
    with_offsets = replace(model, **{k: round(v, 3) for k, v in offsets.items()})

    unoccluded = 100 * np.mean(samples.visible)
    print(
        f"\n## Measured: {real.samples} detections (view x frame), {unoccluded:.0f}% of joints unoccluded\n"
    )
    for table in (joint_table, confidence_table, group_table):
        print(table(real, fitted, model), end="\n\n")
    print(summary_lines(real, fitted, misses, names))
    print(
        f"- mean 2D error on generated scenes (default cameras, keypoint-box heights): assumed model "
        f"{100 * generated['assumed']:.1f}%, fitted {100 * generated['fitted']:.1f}%"
    )
    print("\n## Proportions of the triangulated MediaPipe skeleton\n")
    print(proportion_table(person, spread, rest))
    print("\njoint offsets (trunk lengths): " + ", ".join(f"{k} {v:.3f}" for k, v in offsets.items()))

    measured = {
        "measured": table_to_dict(real),
        "fitted_measured_alike": table_to_dict(fitted),
        "person_missed": dict(zip(names, misses.tolist(), strict=True)),
        "proportions": person,
        "proportion_spread": spread,
        "rest_proportions": rest,
        "generated_scene_error": generated,
    }
    (args.out / "measured.json").write_text(json.dumps(measured, indent=1))
    fitted_models = {"mediapipe": model.to_dict(), "mediapipe_offsets": with_offsets.to_dict()}
    (args.out / "fitted_model.json").write_text(json.dumps(fitted_models, indent=1))
    print(f"\nwrote {args.out / 'measured.json'} and {args.out / 'fitted_model.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
