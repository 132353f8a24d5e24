"""The demo on generated input: does AugLift's depth input help a lifter on poses it rarely saw?

Poses come from the package's procedural generator (no dataset needed). Lifters are trained on
mostly standing poses and tested on (a) the same distribution and (b) sitting and crouching poses,
where depth disambiguates most. Both the xy baseline and the AugLift (uadd) lifter go through the
whole production path: simulation -> UADD -> feature codec -> torch training -> ONNX export ->
onnxruntime -> metrics. Everything is written to the output folder and summarised on stdout.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from auglift_ros.core.features import FeatureCodec
from auglift_ros.core.lifters import SimpleBaselineConfig, export_onnx
from auglift_ros.evaluation.reports import SUMMARY_KEYS, metrics_report
from auglift_ros.mocap.generated import random_poses
from auglift_ros.runtime.models import CODEC_METADATA_KEY, load_lifter
from auglift_ros.simulation.simulate import simulate_frames
from auglift_ros.training.evaluate import predict
from auglift_ros.training.trainer import TrainConfig, train_lifter

FEATURE_SETS = ("xy", "uadd")


@dataclass(frozen=True)
class DemoSize:
    train: int
    test: int
    hidden: int
    epochs: int
    batch_size: int


FULL = DemoSize(train=10000, test=1000, hidden=512, epochs=25, batch_size=128)
QUICK = DemoSize(train=240, test=60, hidden=64, epochs=2, batch_size=64)


def _headline(report: dict) -> dict[str, float]:
    """The figures the demo prints and saves, from the shared evaluation report."""
    return {key: report[key] for key in SUMMARY_KEYS} | {
        "mpjpe_visible_joints": report["by_visibility"]["visible"]["mpjpe"],
        "mpjpe_occluded_joints": report["by_visibility"]["occluded"]["mpjpe"],
    }


def run_demo(out_dir: str | Path, seed: int = 0, quick: bool = False) -> int:
    size = QUICK if quick else FULL
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    codecs = {name: FeatureCodec(feature_set=name) for name in FEATURE_SETS}
    started = time.perf_counter()
    print(f"[demo] simulating {size.train} training frames (mostly standing) and 2 x {size.test} test frames")
    train = simulate_frames(
        random_poses(size.train, rng, sit_fraction=0.1), rng, codecs.values(), progress=True
    )
    tests = {
        "same_distribution": simulate_frames(
            random_poses(size.test, rng, sit_fraction=0.1), rng, codecs.values(), progress=True
        ),
        "sitting_crouching": simulate_frames(
            random_poses(size.test, rng, sit_fraction=1.0), rng, codecs.values(), progress=True
        ),
    }
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name, codec in codecs.items():
        features = train.features(codec)
        model_config = SimpleBaselineConfig(
            in_channels=features.shape[-1], hidden=size.hidden, blocks=2, dropout=0.25
        )
        train_config = TrainConfig(
            epochs=size.epochs,
            batch_size=size.batch_size,
            seed=seed,
            confidence_dropout=0.1,
            depth_dropout=0.1,
        )
        model, _ = train_lifter(features, train.lifter_targets(codec), codec, model_config, train_config)
        path = export_onnx(
            model,
            out / f"demo_{name}.onnx",
            input_shape=features.shape[1:],
            metadata={CODEC_METADATA_KEY: json.dumps(codec.to_dict())},
        )
        lifter = load_lifter(path)  # the runtime path: codec read back from the ONNX metadata
        results[name] = {
            split: _headline(metrics_report(predict(lifter, frames), frames.targets, visible=frames.visible))
            for split, frames in tests.items()
        }
    summary = {
        "seed": seed,
        "size": size.__dict__,
        "seconds": round(time.perf_counter() - started, 1),
        "results": results,
    }
    (out / "metrics.json").write_text(json.dumps(summary, indent=2))
    print(_table(results))
    print(f"[demo] models and metrics.json in {out} ({summary['seconds']} s)")
    return 0


def _table(results: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = [
        "| test set | input | MPJPE mm | P-MPJPE mm | PCK@150 % | AUC % | MPJPE occluded joints mm |",
        "|---|---|---|---|---|---|---|",
    ]
    for split in next(iter(results.values())):
        for name, by_split in results.items():
            m = by_split[split]
            lines.append(
                f"| {split} | {name} | {m['mpjpe']:.1f} | {m['p_mpjpe']:.1f} | {m['pck']:.1f} | "
                f"{m['auc']:.1f} | {m['mpjpe_occluded_joints']:.1f} |"
            )
        base, ours = results["xy"][split]["mpjpe"], results["uadd"][split]["mpjpe"]
        lines.append(
            f"| {split} | uadd vs xy (negative: uadd better) | {100 * (ours - base) / base:+.1f}% | | | | |"
        )
    return "\n".join(lines)
