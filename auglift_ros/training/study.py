"""`auglift-ros study`: the cross-dataset comparison of input variants (the paper's Table 2, our data).

For each direction (train on one mocap dataset, test on its held-out takes and on the other dataset)
and each seed, the training and test frames are simulated once and shared by every feature set, so
the variants differ only in their inputs (paired comparison). Each variant is trained, exported to
ONNX and evaluated through onnxruntime with the same functions `auglift-ros train` and `evaluate` use.
Outputs: every model with its card, a metrics.json per test, `results.json`, `results.md` (mean and
spread over seeds, change against `xy`) and `results.png`.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from auglift_ros.core.features import FEATURE_SETS
from auglift_ros.evaluation.reports import SUMMARY_KEYS, metrics_report
from auglift_ros.runtime.models import load_lifter
from auglift_ros.training.evaluate import depth_channel_agreement, predict
from auglift_ros.training.frames import select_frames, split_takes
from auglift_ros.training.job import (
    ConfigError,
    DataConfig,
    ModelConfig,
    SimulationConfig,
    TrainJob,
    describe_data,
    fit_and_export,
    load_takes,
    read_yaml_mapping,
)

REPORTED = (*SUMMARY_KEYS, "mpjpe_visible", "mpjpe_occluded")


@dataclass(frozen=True)
class StudyConfig:
    """Datasets (name -> path), directions (train dataset -> OOD test dataset), and shared settings."""

    datasets: dict[str, str]
    directions: list[tuple[str, str]]
    feature_sets: tuple[str, ...] = ("xy", "xyc", "xycd", "uadd")
    seeds: tuple[int, ...] = (0, 1, 2)
    train_frames: int = 12000
    test_frames: int = 3000
    hold_out_every: int = 5
    simulation: SimulationConfig = field(default_factory=SimulationConfig)
    features: dict[str, Any] = field(default_factory=dict)
    model: ModelConfig = field(default_factory=ModelConfig)
    training: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, path: str | Path, data_root: str | Path | None = None) -> StudyConfig:
        """Read a study config; dataset paths resolve against data_root, else the file's `data_root`
        entry (itself relative to the current directory)."""
        path = Path(path)
        values = read_study_values(path, "study config", set(cls.__dataclass_fields__), data_root)
        try:
            if "model" in values:
                values["model"] = ModelConfig.from_values(values["model"])
            config = cls(**values)
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"study config {path}: {exc!r}") from exc
        bad = [f for f in config.feature_sets if f not in FEATURE_SETS]
        missing = [d for pair in config.directions for d in pair if d not in config.datasets]
        if bad or missing:
            raise ConfigError(f"study config {path}: unknown feature sets {bad} or datasets {missing}")
        return config

    def job(self, feature_set: str, seed: int, train_path: str) -> TrainJob:
        return TrainJob(
            name=feature_set,
            data=DataConfig(
                sequences=(train_path,), frames=self.train_frames, hold_out_every=self.hold_out_every
            ),
            simulation=self.simulation,
            features={**self.features, "feature_set": feature_set},
            model=self.model,
            training={**self.training, "seed": seed},
        )


def summary_row(report: dict[str, Any]) -> dict[str, float]:
    """The figures a study table reports for one evaluation."""
    return {k: report[k] for k in SUMMARY_KEYS} | {
        "mpjpe_visible": report["by_visibility"]["visible"]["mpjpe"],
        "mpjpe_occluded": report["by_visibility"]["occluded"]["mpjpe"],
    }


def run_study(config: StudyConfig, out_dir: str | Path, *, progress: bool = True) -> dict[str, Any]:
    """Train and evaluate every (direction, seed, feature set); write and return the aggregate."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    runs: list[dict[str, Any]] = []
    depth_checks: list[dict[str, Any]] = []
    for train_name, ood_name in config.directions:
        takes, held_out = split_takes(load_takes([config.datasets[train_name]]), config.hold_out_every)
        ood_takes = load_takes([config.datasets[ood_name]])
        tests = {"in_distribution": held_out, "out_of_distribution": ood_takes}
        for seed in config.seeds:
            rng = np.random.default_rng(seed)
            jobs = {fs: config.job(fs, seed, config.datasets[train_name]) for fs in config.feature_sets}
            codecs = [job.codec() for job in jobs.values()]
            if progress:
                print(f"[study] train on {train_name}, seed {seed}: simulating frames")
            selection = select_frames(takes, config.train_frames, rng)
            train_frames = config.simulation.simulate(selection.poses, rng, codecs, progress=progress)
            test_frames = {}
            for split, split_takes_ in tests.items():
                chosen = select_frames(split_takes_, config.test_frames, rng)
                test_frames[split] = (
                    config.simulation.simulate(chosen.poses, rng, codecs, progress=progress),
                    chosen.actions,
                )
                if "uadd" in test_frames[split][0].depth_inputs:
                    check = depth_channel_agreement(test_frames[split][0])
                    depth_checks.append({"train": train_name, "split": split, "seed": seed} | check)
            for feature_set, job in jobs.items():
                run_dir = out / f"train_{train_name}" / f"seed{seed}"
                data = describe_data(job, takes, held_out, train_frames)
                onnx_path = fit_and_export(job, train_frames, run_dir, data=data, progress=progress)
                model = load_lifter(onnx_path)
                for split, (frames, actions) in test_frames.items():
                    report = metrics_report(
                        predict(model, frames), frames.targets, visible=frames.visible, actions=actions
                    )
                    test_name = train_name if split == "in_distribution" else ood_name
                    report |= {"model": str(onnx_path), "test_set": test_name, "seed": seed}
                    (run_dir / f"{feature_set}_{split}.json").write_text(json.dumps(report, indent=2))
                    runs.append(
                        {"train": train_name, "test": test_name, "split": split, "seed": seed}
                        | {"feature_set": feature_set}
                        | summary_row(report)
                    )
    summary = aggregate(runs, config.feature_sets)
    results = {
        "config": config_dict(config),
        "seconds": round(time.perf_counter() - started, 1),
        "runs": runs,
        "summary": summary,
        "depth_channel": depth_checks,
    }
    (out / "results.json").write_text(json.dumps(results, indent=2))
    (out / "results.md").write_text(results_markdown(summary, depth_checks))
    plot_results(summary, out / "results.png")
    if progress:
        print(results_markdown(summary, depth_checks))
        print(f"[study] results.json, results.md and results.png in {out} ({results['seconds']} s)")
    return results


def read_study_values(
    path: Path, what: str, fields: set[str], data_root: str | Path | None, tuples: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A study config's entries, with what every study shares converted: dataset paths resolved
    against data_root (else the file's `data_root`, itself relative to the current directory),
    directions as (train, test_ood) pairs, `feature_sets`, `seeds` and `tuples` as tuples, and the
    simulation section as a SimulationConfig. ConfigError names the file and what is wrong."""
    values = read_yaml_mapping(path, what)
    unknown = sorted(set(values) - fields - {"data_root"})
    if unknown:
        raise ConfigError(f"{what} {path}: unknown key(s) {unknown}")
    root = Path(data_root if data_root is not None else values.get("data_root", "."))
    values.pop("data_root", None)
    try:
        values["datasets"] = {k: str(root / v) for k, v in values["datasets"].items()}
        values["directions"] = [(d["train"], d["test_ood"]) for d in values["directions"]]
        for key in ("feature_sets", "seeds", *tuples):
            if key in values:
                values[key] = tuple(values[key])
        if "simulation" in values:
            sim = dict(values["simulation"])
            if "image_size" in sim:
                sim["image_size"] = tuple(sim["image_size"])
            values["simulation"] = SimulationConfig(**sim)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{what} {path}: {exc!r}") from exc
    return values


def config_dict(config: Any) -> dict[str, Any]:
    """A study config (any study's dataclass) as the JSON its results record, directions as
    train/test_ood mappings."""
    values = asdict(config)
    values["directions"] = [{"train": a, "test_ood": b} for a, b in config.directions]
    return values


def aggregate(
    runs: list[dict[str, Any]],
    feature_sets: tuple[str, ...],
    by: tuple[str, ...] = ("train", "split", "test"),
) -> list[dict[str, Any]]:
    """Mean and standard deviation over seeds per group (the `by` keys) and feature set, and the
    per-seed paired relative MPJPE change against `xy` (negative = lower error than xy)."""
    groups: dict[tuple[Any, ...], dict[str, list[dict[str, Any]]]] = {}
    for run in runs:
        key = tuple(run[k] for k in by)
        groups.setdefault(key, {}).setdefault(run["feature_set"], []).append(run)
    summary = []
    for key, by_set in groups.items():
        baseline = {r["seed"]: r["mpjpe"] for r in by_set.get("xy", [])}
        for feature_set in feature_sets:
            rows = by_set.get(feature_set, [])
            if not rows:
                continue
            entry: dict[str, Any] = dict(zip(by, key, strict=True)) | {
                "feature_set": feature_set,
                "seeds": len(rows),
            }
            for name in REPORTED:
                values = np.array([r[name] for r in rows], dtype=float)
                entry[name] = {
                    "mean": float(values.mean()),
                    "std": float(values.std(ddof=1) if len(values) > 1 else 0),
                }
            changes = [
                100.0 * (r["mpjpe"] - baseline[r["seed"]]) / baseline[r["seed"]]
                for r in rows
                if r["seed"] in baseline
            ]
            if changes:
                entry["mpjpe_change_vs_xy_pct"] = {
                    "mean": float(np.mean(changes)),
                    "std": float(np.std(changes, ddof=1) if len(changes) > 1 else 0.0),
                }
            summary.append(entry)
    return summary


def results_markdown(summary: list[dict[str, Any]], depth_checks: list[dict[str, Any]] | None = None) -> str:
    """A row per (train set, test split, feature set), mean ± std over seeds; then how well the
    sampled depth follows the true relative joint depth in each test set."""
    lines = [
        "| train | test | input | MPJPE mm | change vs xy | P-MPJPE mm | PCK@150 % | AUC % "
        "| visible joints mm | occluded joints mm |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]

    def cell(entry: dict[str, Any], key: str) -> str:
        return f"{entry[key]['mean']:.1f} ± {entry[key]['std']:.1f}"

    for e in summary:
        change = e.get("mpjpe_change_vs_xy_pct")
        change_text = (
            ""
            if change is None or e["feature_set"] == "xy"
            else f"{change['mean']:+.1f}% ± {change['std']:.1f}"
        )
        split = "ID" if e["split"] == "in_distribution" else "OOD"
        lines.append(
            f"| {e['train']} | {e['test']} ({split}) | {e['feature_set']} | {cell(e, 'mpjpe')} "
            f"| {change_text} | {cell(e, 'p_mpjpe')} | {cell(e, 'pck')} | {cell(e, 'auc')} "
            f"| {cell(e, 'mpjpe_visible')} | {cell(e, 'mpjpe_occluded')} |"
        )
    seeds = max((e["seeds"] for e in summary), default=0)
    lines.append("")
    lines.append(
        f"Mean ± standard deviation over {seeds} seeds. Change vs xy: the per-seed paired relative MPJPE "
        "change (negative = lower error than the xy lifter trained on the same frames)."
    )
    if depth_checks:
        lines += [
            "",
            "| train | test | seeds | depth at keypoint vs true joint depth, median abs error cm "
            "| share of joints off by > 30 cm % | true relative joint depth, median abs cm |",
            "|---|---|---|---|---|---|",
        ]
        for train, split in dict.fromkeys((c["train"], c["split"]) for c in depth_checks):
            rows = [c for c in depth_checks if (c["train"], c["split"]) == (train, split)]
            means = {
                k: float(np.mean([r[k] for r in rows]))
                for k in ("median_abs_error_cm", "share_over_30cm", "true_relative_depth_median_cm")
            }
            lines.append(
                f"| {train} | {split} | {len(rows)} | {means['median_abs_error_cm']:.1f} "
                f"| {means['share_over_30cm']:.1f} | {means['true_relative_depth_median_cm']:.1f} |"
            )
    return "\n".join(lines) + "\n"


def plot_results(summary: list[dict[str, Any]], path: Path) -> None:
    """Grouped bars: MPJPE per input variant for each (train set, test split), with std error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = list(dict.fromkeys((e["train"], e["split"], e["test"]) for e in summary))
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.4), squeeze=False)
    for ax, (train, split, test) in zip(axes[0], panels, strict=True):
        rows = [e for e in summary if (e["train"], e["split"], e["test"]) == (train, split, test)]
        names = [e["feature_set"] for e in rows]
        ax.bar(
            names,
            [e["mpjpe"]["mean"] for e in rows],
            yerr=[e["mpjpe"]["std"] for e in rows],
            color=["tab:gray", "tab:blue", "tab:green", "tab:orange"][: len(rows)],
            capsize=3,
        )
        low = min(e["mpjpe"]["mean"] for e in rows)
        ax.set_ylim(0.8 * low, None)
        ax.set_title(
            f"train {train}\ntest {test} ({'ID' if split == 'in_distribution' else 'OOD'})", fontsize=9
        )
        ax.set_ylabel("MPJPE (mm)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
