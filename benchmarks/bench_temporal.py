"""Per-frame latency and size of each lifter family as the lifter node runs it (ONNX Runtime, CPU).

    .venv/bin/python benchmarks/bench_temporal.py [--persons 1 4] [--repeats 200] [--threads 1]

For every variant of config/temporal_study.yaml (the study's architectures), plus VideoPose3D-243 at
the paper's 1024 channels: the network exported to ONNX with random weights (latency does not depend
on the weights) in its causal form, then per frame what the node does with it: push each person's
features into their ring buffer (`PersonWindows`) and lift all persons in one batch. Prints the
median over `repeats` frames of that step, in ms per frame and per person, with parameters and file
size. Target (issue 6): VideoPose3D-243 causal <= 2 ms per person per frame on this machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from auglift_ros.core.lifters import OnnxLifter, PersonWindows, build_lifter, export_lifter
from auglift_ros.core.lifters.config import LifterConfig
from auglift_ros.training.temporal_study import TemporalStudyConfig, Variant

CONFIG = Path(__file__).resolve().parent.parent / "config" / "temporal_study.yaml"
PAPER_VIDEOPOSE3D = Variant(
    "videopose3d-243 (1024 ch)", "videopose3d", {"filter_widths": [3, 3, 3, 3, 3], "channels": 1024}
)
WARM_UP = 20


def causal_config(variant: Variant, channels: int) -> LifterConfig:
    """The variant as a live node runs it: VideoPose3D and PoseFormer predicting their last frame."""
    model = variant.model_config()
    causal = {"causal": True} if variant.family in ("videopose3d", "poseformer") else {}
    return replace(model, settings=model.settings | causal).lifter_config(channels)


def time_step(lifter: OnnxLifter, windows: PersonWindows | None, persons: int, repeats: int) -> float:
    """Median ms per frame of buffering + lifting `persons` tracked persons (after a warm-up)."""
    rng = np.random.default_rng(0)
    shape = (repeats + WARM_UP, persons, lifter.num_joints, lifter.in_channels)
    frames = rng.normal(size=shape).astype(np.float32)
    ids = list(range(persons))
    times = []
    for frame in frames:
        started = time.perf_counter()
        lifter.run(frame if windows is None else windows.push(ids, frame))
        times.append(time.perf_counter() - started)
    return 1000.0 * float(np.median(times[WARM_UP:]))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime threads (the node's default: 1)")
    parser.add_argument("--channels", type=int, default=6, help="input channels per joint (uadd: 6, xy: 2)")
    parser.add_argument("--variants", nargs="+", help="only these variants (by name)")
    args = parser.parse_args(argv)
    variants = [*TemporalStudyConfig.from_yaml(CONFIG).variants, PAPER_VIDEOPOSE3D]
    variants = [v for v in variants if args.variants is None or v.name in args.variants]
    torch.manual_seed(0)
    print(f"ONNX Runtime, CPU, {args.threads} thread(s), {args.channels} channels per joint")
    print(f"median of {args.repeats} frames; ms/frame for all persons, then per person")
    columns = "".join(f" {f'{p} pers ms':>11} {'/person':>8}" for p in args.persons)
    print(f"{'model':<26} {'params':>9} {'MB':>6}{columns}")
    with tempfile.TemporaryDirectory() as tmp:
        for variant in variants:
            model = build_lifter(causal_config(variant, args.channels)).eval()
            path = export_lifter(model, Path(tmp) / "model.onnx")
            lifter = OnnxLifter(path, device="cpu", threads=args.threads)
            parameters = sum(p.numel() for p in model.parameters())
            row = f"{variant.name:<26} {parameters:>9} {path.stat().st_size / 1e6:>6.2f}"
            for persons in args.persons:
                windows = PersonWindows(model.config.window) if lifter.temporal else None
                ms = time_step(lifter, windows, persons, args.repeats)
                row += f" {ms:>11.3f} {ms / persons:>8.3f}"
            print(row, flush=True)


if __name__ == "__main__":
    main()
