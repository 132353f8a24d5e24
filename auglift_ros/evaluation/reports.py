"""Metric reports: one dict of every figure for a set of predictions, as JSON, markdown and plots.

`metrics_report` is the one place a prediction becomes numbers; `auglift-ros evaluate`, the studies,
bag replays, the live evaluator and the demo all call it. Units: millimetres for errors, percent for
PCK and AUC.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from auglift_ros.core import metrics
from auglift_ros.core.skeleton import H36M_JOINT_NAMES

PCK_THRESHOLD_MM = 150.0
CURVE_THRESHOLDS_MM = np.linspace(0.0, 150.0, 31)
SUMMARY_KEYS = ("mpjpe", "p_mpjpe", "n_mpjpe", "pck", "auc")
UNITS = {"mpjpe": "mm", "p_mpjpe": "mm", "n_mpjpe": "mm", "pck": "%", "auc": "%"}


def _summary(pred_mm: np.ndarray, gt_mm: np.ndarray) -> dict[str, float]:
    return {
        "mpjpe": float(metrics.mpjpe(pred_mm, gt_mm)),
        "p_mpjpe": float(metrics.p_mpjpe(pred_mm, gt_mm)),
        "n_mpjpe": float(metrics.n_mpjpe(pred_mm, gt_mm)),
        "pck": float(metrics.pck(pred_mm, gt_mm, threshold=PCK_THRESHOLD_MM)),
        "auc": float(metrics.auc(pred_mm, gt_mm)),
    }


def _joint_subset(errors_mm: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """Error statistics over the joints (instances) where mask holds."""
    chosen = errors_mm[mask]
    if chosen.size == 0:
        return {"joints": 0, "mpjpe": float("nan"), "pck": float("nan")}
    return {
        "joints": int(chosen.size),
        "mpjpe": float(chosen.mean()),
        "pck": float(100.0 * (chosen <= PCK_THRESHOLD_MM).mean()),
    }


def metrics_report(
    prediction_m: np.ndarray,
    target_m: np.ndarray,
    *,
    visible: np.ndarray | None = None,
    actions: np.ndarray | None = None,
    sequences: np.ndarray | None = None,
) -> dict[str, Any]:
    """All metrics for root-relative predictions (N, 17, 3) against targets (N, 17, 3), both metres.

    Top level: mpjpe, p_mpjpe, n_mpjpe, pck (150 mm), auc (0-150 mm); then per joint, split by joint
    visibility (when visible (N, 17) is given), per action and per sequence (when labels (N,) are
    given), and the PCK curve. Simulated frames and bag replays both end here.
    """
    pred = 1000.0 * np.asarray(prediction_m, dtype=np.float64)
    gt = 1000.0 * np.asarray(target_m, dtype=np.float64)
    if pred.shape != gt.shape:
        raise ValueError(f"predictions {pred.shape} do not match the ground truth {gt.shape}")
    if len(gt) == 0:
        raise ValueError("no frames to evaluate")
    errors = metrics.joint_errors(pred, gt)
    report: dict[str, Any] = _summary(pred, gt)
    report["units"] = UNITS
    report["frames"] = len(gt)
    per_joint_mpjpe = metrics.mpjpe(pred, gt, per_joint=True)
    per_joint_pck = metrics.pck(pred, gt, per_joint=True)
    report["per_joint"] = {
        name: {"mpjpe": float(per_joint_mpjpe[j]), "pck": float(per_joint_pck[j])}
        for j, name in enumerate(H36M_JOINT_NAMES)
    }
    if visible is not None:
        visible = np.asarray(visible, dtype=bool)
        report["by_visibility"] = {
            "visible": _joint_subset(errors, visible),
            "occluded": _joint_subset(errors, ~visible),
        }
    for key, labels in (("per_action", actions), ("per_sequence", sequences)):
        if labels is None:
            continue
        labels = np.asarray(labels)
        if len(labels) != len(gt):
            raise ValueError(f"{len(labels)} {key[4:]} labels for {len(gt)} frames")
        report[key] = {
            str(label): {"frames": int((labels == label).sum())}
            | _summary(pred[labels == label], gt[labels == label])
            for label in sorted(set(labels.tolist()))
        }
    report["pck_curve"] = {
        "thresholds_mm": CURVE_THRESHOLDS_MM.tolist(),
        "pck": [float(100.0 * (errors <= t).mean()) for t in CURVE_THRESHOLDS_MM],
    }
    return report


def markdown_report(report: dict[str, Any], title: str, intro: str | None = None) -> str:
    """The report as markdown tables: summary, visibility split, per joint, per action and take;
    intro replaces the opening "N frames." line."""
    lines = [f"# {title}", "", intro or f"{report['frames']} frames.", ""]
    lines += ["| MPJPE mm | P-MPJPE mm | N-MPJPE mm | PCK@150 % | AUC % |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(f"{report[k]:.1f}" for k in SUMMARY_KEYS) + " |", ""]
    if "by_visibility" in report:
        lines += ["| joints | count | MPJPE mm | PCK@150 % |", "|---|---|---|---|"]
        for name, row in report["by_visibility"].items():
            lines.append(f"| {name} | {row['joints']} | {row['mpjpe']:.1f} | {row['pck']:.1f} |")
        lines.append("")
    lines += ["| joint | MPJPE mm | PCK@150 % |", "|---|---|---|"]
    for name, row in report["per_joint"].items():
        lines.append(f"| {name} | {row['mpjpe']:.1f} | {row['pck']:.1f} |")
    for key in ("per_action", "per_sequence"):
        if key in report:
            lines += [
                "",
                f"| {key[4:]} | frames | MPJPE mm | P-MPJPE mm | PCK@150 % |",
                "|---|---|---|---|---|",
            ]
            for name, row in report[key].items():
                values = " | ".join(f"{row[k]:.1f}" for k in ("mpjpe", "p_mpjpe", "pck"))
                lines.append(f"| {name} | {row['frames']} | {values} |")
    return "\n".join(lines) + "\n"


def write_plots(report: dict[str, Any], out_dir: Path, title: str) -> list[Path]:
    """Per-joint error, the PCK curve and (if present) per-action error, as PNG files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    joints = list(report["per_joint"])
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.bar(joints, [report["per_joint"][j]["mpjpe"] for j in joints], color="tab:blue")
    ax.set_ylabel("MPJPE (mm)")
    ax.set_title(f"{title}: error per joint")
    ax.tick_params(axis="x", rotation=60)
    fig.tight_layout()
    written.append(out_dir / "per_joint.png")
    fig.savefig(written[-1], dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(report["pck_curve"]["thresholds_mm"], report["pck_curve"]["pck"], color="tab:blue")
    ax.set_xlabel("threshold (mm)")
    ax.set_ylabel("PCK (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"{title}: PCK curve (AUC {report['auc']:.1f}%)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    written.append(out_dir / "pck_curve.png")
    fig.savefig(written[-1], dpi=100)
    plt.close(fig)

    if report.get("per_action"):
        actions = list(report["per_action"])
        fig, ax = plt.subplots(figsize=(max(5, 0.35 * len(actions) + 2), 3.5))
        ax.bar(actions, [report["per_action"][a]["mpjpe"] for a in actions], color="tab:orange")
        ax.set_ylabel("MPJPE (mm)")
        ax.set_title(f"{title}: error per action")
        ax.tick_params(axis="x", rotation=70, labelsize=7)
        fig.tight_layout()
        written.append(out_dir / "per_action.png")
        fig.savefig(written[-1], dpi=100)
        plt.close(fig)
    return written


def write_report(report: dict[str, Any], out_dir: str | Path, title: str) -> list[Path]:
    """metrics.json, metrics.md and the plots into out_dir; returns the written paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(report, indent=2))
    (out / "metrics.md").write_text(markdown_report(report, title))
    return [out / "metrics.json", out / "metrics.md", *write_plots(report, out, title)]
