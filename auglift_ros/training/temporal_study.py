"""`auglift-ros temporal-study`: lifter families x window lengths x (xy, uadd), in and out of
distribution, and the motion-brittleness check (the AugLift paper's Tables 3 and 9, our data).

Per direction and seed, clips of the training takes are simulated once (one fixed camera per clip)
and every variant (family and window) and feature set trains on them, so the comparison is paired:
only the lifter and its input differ. Test clips: held-out takes of the training dataset (ID) and
takes of the other dataset (OOD), plus the ID clips played reversed and at other speeds (motion the
lifters never saw, made of poses they did). Every model is exported to ONNX and evaluated through ONNX
Runtime, symmetric windows seeing the future as offline evaluation allows.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from auglift_ros.core.features import FeatureCodec
from auglift_ros.core.lifters.temporal import WindowSpec
from auglift_ros.evaluation.reports import metrics_report
from auglift_ros.runtime.models import load_lifter
from auglift_ros.simulation.simulate import SequenceView, SimulatedClips, change_speed, simulate_views
from auglift_ros.training.clips import clip_actions, clip_views, draw_clips, predict_clips
from auglift_ros.training.frames import split_takes
from auglift_ros.training.job import (
    ConfigError,
    DataConfig,
    ModelConfig,
    SimulationConfig,
    TrainJob,
    describe_data,
    fit_and_export,
    load_takes,
)
from auglift_ros.training.study import aggregate, config_dict, read_study_values, summary_row

SPLITS = {"in_distribution": "ID", "out_of_distribution": "OOD"}


@dataclass(frozen=True)
class Variant:
    """One lifter architecture of the study: a family and its settings (window length included), and
    where it needs them, its own training settings and target frames per epoch over the study's."""

    name: str
    family: str
    model: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    samples_per_epoch: int | None = None

    def settings(self) -> dict[str, Any]:
        """Everything but the name, as JSON: a run records it, and resuming retrains a changed variant."""
        return json.loads(json.dumps({k: v for k, v in asdict(self).items() if k != "name"}))

    def model_config(self) -> ModelConfig:
        return ModelConfig.from_values({**self.model, "family": self.family})

    def window(self) -> WindowSpec:
        return self.model_config().lifter_config(in_channels=2).window


@dataclass(frozen=True)
class TemporalStudyConfig:
    """See config/temporal_study.yaml, which documents every entry."""

    datasets: dict[str, str]
    directions: list[tuple[str, str]]
    variants: list[Variant]
    feature_sets: tuple[str, ...] = ("xy", "uadd")
    seeds: tuple[int, ...] = (0, 1, 2)
    fps: float = 30.0
    train_frames: int = 12000
    test_frames: int = 3000
    max_clip_frames: int = 300
    hold_out_every: int = 5
    samples_per_epoch: int = 3000
    reversed_test: bool = True
    speeds: tuple[float, ...] = (0.5, 2.0)
    simulation: SimulationConfig = field(default_factory=SimulationConfig)
    features: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, path: str | Path, data_root: str | Path | None = None) -> TemporalStudyConfig:
        path = Path(path)
        fields = set(cls.__dataclass_fields__)
        values = read_study_values(path, "temporal study config", fields, data_root, tuples=("speeds",))
        try:
            values["variants"] = [Variant(**v) for v in values["variants"]]
            config = cls(**values)
            for variant in config.variants:  # validated now, not after an hour
                variant.window()
                variant_job(config, variant, config.feature_sets[0], 0, str(path)).train_config()
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"temporal study config {path}: {exc!r}") from exc
        missing = [d for pair in config.directions for d in pair if d not in config.datasets]
        names = [v.name for v in config.variants]
        if missing or len(set(names)) != len(names):
            raise ConfigError(
                f"temporal study config {path}: unknown datasets {missing} or repeated variant names"
            )
        return config

    def codec(self, feature_set: str) -> FeatureCodec:
        return FeatureCodec.from_settings({**self.features, "feature_set": feature_set})


def motion_variants(
    views: list[SequenceView], reversed_test: bool, speeds: tuple[float, ...]
) -> dict[str, list[SequenceView]]:
    """The ID test clips as new motion: played backwards, and faster or slower (same cameras)."""
    out: dict[str, list[SequenceView]] = {}
    if reversed_test:
        out["reversed"] = [
            SequenceView(v.camera, v.rotation, v.translation, v.joints_cam[::-1].copy()) for v in views
        ]
    for speed in speeds:
        out[f"speed_{speed:g}x"] = [change_speed(v, speed) for v in views]
    return out


def variant_job(
    config: TemporalStudyConfig, variant: Variant, feature_set: str, seed: int, train_path: str
) -> TrainJob:
    """The training job of one variant, feature set and seed (what `auglift-ros train` would run)."""
    return TrainJob(
        name=f"{variant.name}_{feature_set}",
        data=DataConfig(
            sequences=(train_path,),
            frames=config.train_frames,
            hold_out_every=config.hold_out_every,
            fps=config.fps,
            max_clip_frames=config.max_clip_frames,
            samples_per_epoch=(
                config.samples_per_epoch if variant.samples_per_epoch is None else variant.samples_per_epoch
            ),
        ),
        simulation=config.simulation,
        features={**config.features, "feature_set": feature_set},
        model=variant.model_config(),
        training={**config.training, **variant.training, "seed": seed},
    )


def run_temporal_study(
    config: TemporalStudyConfig, out_dir: str | Path, *, resume: bool = False, progress: bool = True
) -> dict[str, Any]:
    """Every (direction, seed, variant, feature set): train, export, evaluate; write the aggregate.

    Runs are saved to runs.json as they finish; with resume, those already there (from a run with the
    same settings) are kept and skipped, so a long study can be continued after an interruption, and
    resuming with fewer seeds or variants reports on the finished ones without training anything.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    saved = _finished_runs(out, config) if resume else []
    settings = {v.name: v.settings() for v in config.variants}
    changed = sorted(
        {r["variant"] for r in saved if r["variant"] in settings and r["settings"] != settings[r["variant"]]}
    )
    if changed and progress:
        print(f"[temporal-study] variants changed since their runs: {changed}; retraining them", flush=True)
    saved = [r for r in saved if r["variant"] not in changed]
    selected = [r["seed"] in config.seeds and r["variant"] in settings for r in saved]
    runs = [r for r, chosen in zip(saved, selected, strict=True) if chosen]
    set_aside = [r for r, chosen in zip(saved, selected, strict=True) if not chosen]  # kept in runs.json
    done = {(*_run_key(r), r["target"]) for r in runs}
    sim = config.simulation
    cameras = sim.camera_ranges()
    codecs = [config.codec(fs) for fs in config.feature_sets]

    def simulate(views: list[SequenceView], rng: np.random.Generator) -> SimulatedClips:
        return simulate_views(
            views,
            rng,
            codecs,
            depth_error_scale=sim.depth_error_scale,
            detector_noise_scale=sim.detector_noise_scale,
            progress=progress,
        )

    for train_name, ood_name in config.directions:
        takes, held_out = split_takes(load_takes([config.datasets[train_name]]), config.hold_out_every)
        ood_takes = load_takes([config.datasets[ood_name]])
        for seed in config.seeds:
            wanted = [
                (variant, feature_set, missing)
                for variant in config.variants
                for feature_set in config.feature_sets
                if (
                    missing := [
                        target
                        for target in scored_targets(variant.window())
                        if (train_name, seed, variant.name, feature_set, target) not in done
                    ]
                )
            ]
            if not wanted:
                continue
            rng = np.random.default_rng(seed)
            if progress:
                print(f"[temporal-study] train on {train_name}, seed {seed}: simulating clips", flush=True)
            draw = {"fps": config.fps, "max_clip_frames": config.max_clip_frames}
            train = simulate(
                clip_views(draw_clips(takes, config.train_frames, rng, **draw), rng, cameras), rng
            )
            tests: dict[str, tuple[SimulatedClips, np.ndarray, str]] = {}
            for split, split_takes_, test_name in (
                ("in_distribution", held_out, train_name),
                ("out_of_distribution", ood_takes, ood_name),
            ):
                clips = draw_clips(split_takes_, config.test_frames, rng, **draw)
                views = clip_views(clips, rng, cameras)
                tests[split] = (
                    simulate(views, rng),
                    clip_actions(clips, [len(c.joints) for c in clips]),
                    test_name,
                )
                if split == "in_distribution":
                    for motion, changed in motion_variants(
                        views, config.reversed_test, config.speeds
                    ).items():
                        simulated = simulate(changed, rng)
                        actions = clip_actions(clips, simulated.lengths)
                        tests[f"in_distribution_{motion}"] = (simulated, actions, train_name)
            run_dir = out / f"train_{train_name}" / f"seed{seed}"
            for variant, feature_set, missing in wanted:
                job = variant_job(config, variant, feature_set, seed, config.datasets[train_name])
                window = variant.window()
                path = run_dir / f"{job.model_name}.onnx"
                if window.target in missing or not path.is_file():
                    data = describe_data(job, takes, held_out, train)
                    path = fit_and_export(job, train, run_dir, data=data, progress=progress)
                    key = (train_name, seed, variant.name, feature_set)
                    runs = [r for r in runs if _run_key(r) != key]
                    missing = scored_targets(window)
                model = load_lifter(path)
                new = [
                    {"train": train_name, "test": test_name, "split": split, "seed": seed}
                    | {"variant": variant.name, "family": variant.family}
                    | {"frames": window.frames, "target": target, "settings": settings[variant.name]}
                    | {"feature_set": feature_set}
                    | summary_row(
                        metrics_report(
                            predict_clips(model, clips, streamed=target != window.target),
                            clips.frames.targets,
                            visible=clips.frames.visible,
                            actions=actions,
                        )
                    )
                    for target in missing
                    for split, (clips, actions, test_name) in tests.items()
                ]
                runs += new
                if progress:
                    for target in missing:
                        scored = (r for r in new if r["target"] == target)
                        scores = ", ".join(f"{r['split']} {r['mpjpe']:.1f}" for r in scored)
                        print(
                            f"[temporal-study] {variant.name} ({target}) {feature_set} seed {seed}: {scores}",
                            flush=True,
                        )
                # hours of runs: a kill while writing must not leave a broken file, so replace it whole
                partial = out / "runs.json.partial"
                partial.write_text(json.dumps({"config": config_dict(config), "runs": set_aside + runs}))
                partial.replace(out / "runs.json")
    summary = aggregate(
        runs, config.feature_sets, by=("train", "split", "test", "variant", "family", "frames", "target")
    )
    results = {
        "config": config_dict(config),
        "seconds": round(time.perf_counter() - started, 1),
        "runs": runs,
        "summary": summary,
    }
    (out / "results.json").write_text(json.dumps(results, indent=2))
    (out / "results.md").write_text(temporal_markdown(summary, config.feature_sets))
    plot_temporal(summary, out / "results.png")
    if progress:
        print(temporal_markdown(summary, config.feature_sets))
        print(f"[temporal-study] results.json, results.md and results.png in {out} ({results['seconds']} s)")
    return results


def scored_targets(window: WindowSpec) -> tuple[str, ...]:
    """What a model is scored as: its own target and, for a sequence-to-sequence model, also `last`:
    each frame from the window ending at it, as the lifter node streams it (no look-ahead in a chunk)."""
    return (window.target, "last") if window.target == "all" else (window.target,)


def _run_key(run: dict[str, Any]) -> tuple[str, int, str, str]:
    """The training a run record came from: direction, seed, variant and feature set."""
    return run["train"], run["seed"], run["variant"], run["feature_set"]


def _finished_runs(out: Path, config: TemporalStudyConfig) -> list[dict[str, Any]]:
    """The runs saved by an earlier, interrupted study into out (checked to have the same config)."""
    saved = out / "runs.json"
    if not saved.is_file():
        return []
    values = json.loads(saved.read_text())

    def shared(settings: dict[str, Any] | None) -> dict[str, Any] | None:
        """Everything but the seeds and variants, which a resumed study may narrow or extend."""
        return (
            None
            if settings is None
            else {k: v for k, v in settings.items() if k not in ("seeds", "variants")}
        )

    if shared(values.get("config")) != shared(json.loads(json.dumps(config_dict(config)))):
        raise ConfigError(f"{saved} was made with another config; use a new --out or drop --resume")
    return list(values["runs"])


def _cell(entry: dict[str, Any] | None, key: str = "mpjpe") -> str:
    return "" if entry is None else f"{entry[key]['mean']:.1f} ± {entry[key]['std']:.1f}"


def temporal_markdown(summary: list[dict[str, Any]], feature_sets: tuple[str, ...]) -> str:
    """Table 1: MPJPE per variant, feature set and ID/OOD, with the paired change of each feature set
    against xy. Table 2: ID MPJPE on the original, reversed and re-timed clips, and the change."""
    index = {(e["train"], e["split"], e["variant"], e["target"], e["feature_set"]): e for e in summary}
    variants = list(
        dict.fromkeys((e["train"], e["variant"], e["family"], e["frames"], e["target"]) for e in summary)
    )
    others = [fs for fs in feature_sets if fs != "xy"]
    head = "| train | family | frames | target | test | seeds | "
    head += " | ".join(f"{fs} MPJPE mm" for fs in feature_sets)
    head += (
        "".join(f" | {fs} vs xy" for fs in others)
        + " | "
        + " | ".join(f"{fs} P-MPJPE mm" for fs in feature_sets)
        + " |"
    )
    lines = [head, "|" + "---|" * (6 + 2 * len(feature_sets) + len(others))]
    for split, short in SPLITS.items():
        for train, variant, family, frames, target in variants:
            entries = {fs: index.get((train, split, variant, target, fs)) for fs in feature_sets}
            row = list(entries.values())
            if not any(row):
                continue
            test = next(e["test"] for e in row if e)
            changes = []
            for fs in others:
                change = (entries[fs] or {}).get("mpjpe_change_vs_xy_pct")
                changes.append("" if change is None else f"{change['mean']:+.1f}% ± {change['std']:.1f}")
            lines.append(
                f"| {train} | {family} | {frames} | {target} | {test} ({short}) | "
                + f"{min(e['seeds'] for e in row if e)} | "
                + " | ".join(_cell(e) for e in row)
                + "".join(f" | {c}" for c in changes)
                + " | "
                + " | ".join(_cell(e, "p_mpjpe") for e in row)
                + " |"
            )
    lines += [
        "",
        "Mean ± standard deviation over seeds (the seeds column: finished runs, the fewest of the row's "
        "inputs); 'vs xy' is the per-seed paired relative MPJPE change (negative = lower error). "
        "Target: the frames a window predicts: its centre (symmetric, sees the future; offline), its "
        "last frame (causal; what the node runs), or all of them.",
    ]
    motions = [s for s in dict.fromkeys(e["split"] for e in summary) if s.startswith("in_distribution_")]
    if motions:
        names = [m.removeprefix("in_distribution_") for m in motions]
        lines += [
            "",
            "| train | family | frames | target | input | ID original | " + " | ".join(names) + " |",
            "|" + "---|" * (6 + len(names)),
        ]
        for train, variant, family, frames, target in variants:
            for fs in feature_sets:
                base = index.get((train, "in_distribution", variant, target, fs))
                if base is None:
                    continue
                cells = [f"| {train} | {family} | {frames} | {target} | {fs} | {_cell(base)}"]
                for motion in motions:
                    entry = index.get((train, motion, variant, target, fs))
                    if entry is None:
                        cells.append("")
                        continue
                    change = 100.0 * (entry["mpjpe"]["mean"] - base["mpjpe"]["mean"]) / base["mpjpe"]["mean"]
                    cells.append(f"{_cell(entry)} ({change:+.1f}%)")
                lines.append(" | ".join(cells) + " |")
        lines += [
            "",
            "ID MPJPE (mm) on the held-out clips as recorded, played backwards, and re-timed; in brackets "
            "the change of the mean against the original.",
        ]
    return "\n".join(lines) + "\n"


def plot_temporal(summary: list[dict[str, Any]], path: Path) -> None:
    """MPJPE against window length per family and target (marker), one panel per (train set, ID/OOD),
    xy dashed, uadd solid."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        (t, s)
        for t in dict.fromkeys(e["train"] for e in summary)
        for s in SPLITS
        if any(e["train"] == t and e["split"] == s for e in summary)
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6), squeeze=False)
    colours = dict(
        zip(
            ["simple_baseline", "videopose3d", "poseformer", "motionbert"],
            ["tab:gray", "tab:blue", "tab:green", "tab:red"],
            strict=True,
        )
    )
    markers = {"centre": "o", "last": "s", "all": "^"}
    for ax, (train, split) in zip(axes[0], panels, strict=True):
        rows = [e for e in summary if e["train"] == train and e["split"] == split]
        for family, target in dict.fromkeys((e["family"], e["target"]) for e in rows):
            for fs in dict.fromkeys(e["feature_set"] for e in rows):
                line = sorted(
                    (e["frames"], e["mpjpe"]["mean"], e["mpjpe"]["std"])
                    for e in rows
                    if (e["family"], e["target"], e["feature_set"]) == (family, target, fs)
                )
                frames, means, stds = zip(*line, strict=True)
                ax.errorbar(
                    frames,
                    means,
                    yerr=stds,
                    marker=markers[target],
                    capsize=3,
                    color=colours.get(family),
                    linestyle="-" if fs != "xy" else "--",
                    label=f"{family} {target} {fs}",
                )
        ax.set_xscale("log", base=3)
        ax.set_xlabel("window (frames)")
        ax.set_ylabel("MPJPE (mm)")
        ax.set_title(f"train {train}, {rows[0]['test']} ({SPLITS[split]})", fontsize=9)
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
