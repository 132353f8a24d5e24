"""Scoring a stream of predicted skeletons against ground truth, frame by stamp, take by take.

Offline bag evaluation (`auglift-ros evaluate-bag`) and the live evaluator node both hand this module
what the lifter published (joints in the camera frame per stamp) and the bag's ground truth, and get
the same report: `auglift_ros.evaluation.reports.metrics_report` on root-relative poses (overall, per
joint, per take, per action), plus what a robot also cares about: how many people were missed and
how far the placed pelvis is from the true one. ROS-free.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from auglift_ros.core.skeleton import H36M_BONES, H36M_ROOT
from auglift_ros.evaluation.reports import SUMMARY_KEYS, UNITS, markdown_report, metrics_report, write_plots


class EvaluationError(ValueError):
    """Predictions and ground truth that cannot be scored (no overlap, no ground truth)."""


@dataclass(frozen=True)
class SequenceLabel:
    """What a take is, and the stamps [start_ns, end_ns] of its frames (a bag's sequences topic)."""

    name: str
    action: str = ""
    source: str = ""
    start_ns: int = 0
    end_ns: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> SequenceLabel:
        """ValueError naming the text for a label that is not this JSON."""
        try:
            return cls(**json.loads(text))
        except (json.JSONDecodeError, TypeError) as exc:
            raise ValueError(f"sequence label {text[:80]!r} is not a label ({exc})") from exc


def _finite_persons(joints: np.ndarray) -> np.ndarray:
    """Persons (P, 17, 3) whose pelvis is placed (a person the pipeline could not place has NaN)."""
    joints = np.asarray(joints, dtype=np.float64).reshape(-1, 17, 3)
    return joints[np.isfinite(joints[:, H36M_ROOT]).all(axis=-1)]


def match_persons(predicted: np.ndarray, truth: np.ndarray) -> list[tuple[int, int]]:
    """(truth index, predicted index) pairs minimising the summed mean joint distance in the camera
    frame (Hungarian assignment); persons left over on either side stay unmatched."""
    if len(predicted) == 0 or len(truth) == 0:
        return []
    cost = np.nanmean(np.linalg.norm(truth[:, None] - predicted[None], axis=-1), axis=-1)
    rows, cols = linear_sum_assignment(np.nan_to_num(cost, nan=1e6))
    return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True)]


@dataclass
class MatchedFrames:
    """Matched (truth, prediction) person pairs in the camera frame, with their take and stamp."""

    predicted: np.ndarray  # (N, 17, 3) metres
    truth: np.ndarray  # (N, 17, 3)
    stamps: np.ndarray  # (N,) ns
    sequences: np.ndarray  # (N,) take names
    actions: np.ndarray  # (N,)
    truth_persons: int
    predicted_persons: int


def match_frames(
    predictions: Mapping[int, np.ndarray],
    ground_truth: Mapping[int, np.ndarray],
    labels: Sequence[SequenceLabel] = (),
) -> MatchedFrames:
    """Pair each ground-truth stamp's persons with the predictions at the same stamp."""
    if not ground_truth:
        raise EvaluationError("no ground-truth frames")
    shared = sorted(set(predictions) & set(ground_truth))
    if predictions and not shared:
        first_truth, first_prediction = min(ground_truth), min(predictions)
        raise EvaluationError(
            "mismatched stamps: no prediction has the stamp of a ground-truth frame (ground truth "
            f"starts at {first_truth / 1e9:.6f} s, predictions at {first_prediction / 1e9:.6f} s)"
        )
    rows: list[tuple[np.ndarray, np.ndarray, int]] = []
    truth_persons = predicted_persons = 0
    for stamp in sorted(ground_truth):
        truth = _finite_persons(ground_truth[stamp])
        predicted = _finite_persons(predictions.get(stamp, np.empty((0, 17, 3))))
        truth_persons += len(truth)
        predicted_persons += len(predicted)
        rows += [(predicted[p], truth[t], stamp) for t, p in match_persons(predicted, truth)]
    if not rows:
        raise EvaluationError(
            f"no prediction matched any of {truth_persons} ground-truth persons in {len(ground_truth)} frames"
        )
    stamps = np.array([stamp for *_, stamp in rows], dtype=np.int64)
    owner = [next((label for label in labels if label.start_ns <= s <= label.end_ns), None) for s in stamps]
    return MatchedFrames(
        predicted=np.stack([p for p, _, _ in rows]),
        truth=np.stack([t for _, t, _ in rows]),
        stamps=stamps,
        sequences=np.array([label.name if label else "(unlabelled)" for label in owner]),
        actions=np.array([label.action if label and label.action else "(none)" for label in owner]),
        truth_persons=truth_persons,
        predicted_persons=predicted_persons,
    )


def root_relative(joints: np.ndarray) -> np.ndarray:
    return joints - joints[:, H36M_ROOT : H36M_ROOT + 1]


def score(
    predictions: Mapping[int, np.ndarray],
    ground_truth: Mapping[int, np.ndarray],
    labels: Sequence[SequenceLabel] = (),
) -> tuple[dict[str, Any], MatchedFrames]:
    """The report, and the matched pairs, for predicted joints per stamp ((P, 17, 3) metres, camera
    frame) against ground truth.

    Adds to metrics_report's keys: ground_truth_frames, ground_truth_persons, matched_persons,
    detection_rate (%), root_error_mm (median distance of the placed pelvis from the true one) and
    per_frame (stamp, take, MPJPE of every matched person) for the error-over-time plot.
    """
    matched = match_frames(predictions, ground_truth, labels)
    report = metrics_report(
        root_relative(matched.predicted),
        root_relative(matched.truth),
        actions=matched.actions,
        sequences=matched.sequences,
    )
    root_error = np.linalg.norm(matched.predicted[:, H36M_ROOT] - matched.truth[:, H36M_ROOT], axis=-1)
    frame_error = 1000.0 * np.linalg.norm(
        root_relative(matched.predicted) - root_relative(matched.truth), axis=-1
    )
    report |= {
        "ground_truth_frames": len(ground_truth),
        "ground_truth_persons": matched.truth_persons,
        "matched_persons": len(matched.stamps),
        "detection_rate": 100.0 * len(matched.stamps) / max(matched.truth_persons, 1),
        "root_error_mm": float(1000.0 * np.median(root_error)),
        "per_frame": {
            "stamp_ns": matched.stamps.tolist(),
            "sequence": matched.sequences.tolist(),
            "mpjpe": frame_error.mean(axis=-1).tolist(),
        },
    }
    report["units"] = UNITS | {"root_error_mm": "mm", "detection_rate": "%"}
    return report, matched


def summary_line(report: dict[str, Any]) -> str:
    """One line of the headline figures (for a terminal)."""
    figures = ", ".join(f"{k} {report[k]:.1f} {UNITS[k]}" for k in SUMMARY_KEYS)
    return (
        f"{report['matched_persons']} of {report['ground_truth_persons']} persons matched "
        f"({report['detection_rate']:.1f}%): {figures}, root error {report['root_error_mm']:.0f} mm"
    )


def _plot_error_over_time(report: dict[str, Any], path: Path, title: str) -> None:
    import matplotlib.pyplot as plt

    frames = report["per_frame"]
    stamps = np.asarray(frames["stamp_ns"], dtype=np.float64)
    sequences = np.asarray(frames["sequence"])
    errors = np.asarray(frames["mpjpe"])
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for name in dict.fromkeys(sequences.tolist()):
        chosen = sequences == name
        ax.plot((stamps[chosen] - stamps[chosen][0]) / 1e9, errors[chosen], lw=1, label=name)
    ax.set_xlabel("time in take (s)")
    ax.set_ylabel("MPJPE (mm)")
    ax.set_title(f"{title}: error over time")
    if len(set(sequences.tolist())) <= 8:
        ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def draw_skeleton(ax: Any, joints: np.ndarray, colour: str, label: str) -> None:
    """A 3D skeleton on a matplotlib 3D axis, camera frame shown with y (down) flipped to up."""
    shown = np.asarray(joints) * np.array([1.0, -1.0, 1.0])
    for i, (a, b) in enumerate(H36M_BONES):
        ax.plot(
            *zip(shown[a][[0, 2, 1]], shown[b][[0, 2, 1]], strict=True),
            color=colour,
            lw=2,
            label=label if i == 0 else None,
        )


def skeleton_axis(ax: Any, *, legend: bool) -> None:
    """A 3D axis for root-relative skeletons: 2 m cube, small ticks, the legend on the first one."""
    for setter in (ax.set_xlim, ax.set_ylim, ax.set_zlim):
        setter(-1.0, 1.0)
    ax.set_box_aspect((1, 1, 1))
    ax.tick_params(labelsize=6)
    if legend:
        ax.legend(fontsize=7, loc="upper left")


def _plot_skeleton_pairs(matched: MatchedFrames, path: Path, count: int = 4) -> None:
    """Prediction beside ground truth (root-relative) at frames of low to high error."""
    import matplotlib.pyplot as plt

    error = np.linalg.norm(root_relative(matched.predicted) - root_relative(matched.truth), axis=-1).mean(-1)
    chosen = np.argsort(error)[np.linspace(0, len(error) - 1, min(count, len(error))).astype(int)]
    fig = plt.figure(figsize=(3.2 * len(chosen), 3.6))
    for i, index in enumerate(chosen):
        ax = fig.add_subplot(1, len(chosen), i + 1, projection="3d")
        draw_skeleton(ax, root_relative(matched.truth[index : index + 1])[0], "tab:green", "ground truth")
        draw_skeleton(ax, root_relative(matched.predicted[index : index + 1])[0], "tab:red", "prediction")
        ax.set_title(f"{matched.sequences[index]}\nMPJPE {1000 * error[index]:.0f} mm", fontsize=8)
        skeleton_axis(ax, legend=i == 0)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_evaluation(
    report: dict[str, Any],
    out_dir: str | Path,
    title: str,
    matched: MatchedFrames | None = None,
) -> list[Path]:
    """metrics.json, metrics.md and the plots (per joint, PCK curve, per action, error over time and,
    given the matched frames, rendered skeleton pairs) into out_dir."""
    import matplotlib

    matplotlib.use("Agg")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(report, indent=2))
    intro = (
        f"{report['matched_persons']} of {report['ground_truth_persons']} ground-truth persons matched "
        f"({report['detection_rate']:.1f}%) in {report['ground_truth_frames']} frames; median pelvis "
        f"position error {report['root_error_mm']:.0f} mm."
    )
    (out / "metrics.md").write_text(markdown_report(report, title, intro))
    written = [out / "metrics.json", out / "metrics.md", *write_plots(report, out, title)]
    written.append(out / "error_over_time.png")
    _plot_error_over_time(report, written[-1], title)
    if matched is not None:
        written.append(out / "skeletons.png")
        _plot_skeleton_pairs(matched, written[-1])
    return written
