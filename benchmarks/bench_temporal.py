"""Per-frame latency and size of each lifter family as the lifter node runs it (ONNX Runtime, CPU).

    .venv/bin/python benchmarks/bench_temporal.py [--persons 1 4] [--repeats 200] [--threads 1]

For each family and window length: the study's architecture (config/temporal_study.yaml) exported to
ONNX with random weights (latency does not depend on the weights), then per frame what the node does:
push every person's features into its ring buffer and run one batch of windows. Prints the median over
`repeats` frames of the whole step, in ms per frame and per person, with parameters and file size.
Target (issue 6): VideoPose3D-243 causal <= 2 ms per person per frame on this machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from auglift_ros.core.lifters import OnnxLifter, PersonWindows, build_lifter, export_lifter, lifter_config
from auglift_ros.training.temporal_study import TemporalStudyConfig

CONFIG = Path(__file__).resolve().parent.parent / "config" / "temporal_study.yaml"


def time_family(lifter: OnnxLifter, persons: int, repeats: int) -> float:
    """Median ms per frame of push + run for `persons` tracked persons (after a warm-up)."""
    windows = PersonWindows(_causal_spec(lifter))
    rng = np.random.default_rng(0)
    frames = rng.normal(size=(repeats + 20, persons, lifter.num_joints, lifter.in_channels)).astype(
        np.float32
    )
    ids = list(range(persons))
    times = []
    for frame in frames:
        started = time.perf_counter()
        batch = windows.push(ids, frame)
        lifter.run(batch if lifter.temporal else batch[:, -1])
        times.append(time.perf_counter() - started)
    return 1000.0 * float(np.median(times[20:]))


def _causal_spec(lifter: OnnxLifter):
    from auglift_ros.core.lifters import TEMPORAL_METADATA_KEY, WindowSpec

    text = lifter.metadata.get(TEMPORAL_METADATA_KEY)
    spec = WindowSpec() if text is None else WindowSpec.from_json(text)
    return WindowSpec(spec.frames, "last" if spec.target == "centre" else spec.target, spec.family)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime threads (the node's default: 1)")
    parser.add_argument("--channels", type=int, default=6, help="input channels per joint (uadd: 6, xy: 2)")
    args = parser.parse_args()
    study = TemporalStudyConfig.from_yaml(CONFIG)
    torch.manual_seed(0)
    print(
        f"ONNX Runtime on CPU, {args.threads} thread(s), {args.channels} channels per joint; median of {args.repeats} frames"
    )
    header = f"{'model':<22} {'params':>9} {'file MB':>8}" + "".join(
        f" {f'{p} pers. ms/frame':>18} {'ms/person':>10}" for p in args.persons
    )
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        for variant in study.variants:
            values = variant.model_values(args.channels) | (
                {"causal": True}
                if variant.family != "motionbert" and variant.family != "simple_baseline"
                else {}
            )
            model = build_lifter(lifter_config(variant.family, values)).eval()
            path = export_lifter(model, Path(tmp) / f"{variant.name}.onnx")
            lifter = OnnxLifter(path, device="cpu", threads=args.threads)
            row = f"{variant.name:<22} {sum(p.numel() for p in model.parameters()):>9} {path.stat().st_size / 1e6:>8.2f}"
            for persons in args.persons:
                ms = time_family(lifter, persons, args.repeats)
                row += f" {ms:>18.3f} {ms / persons:>10.3f}"
            print(row, flush=True)


if __name__ == "__main__":
    main()
