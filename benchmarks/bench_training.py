"""Training-side speed figures: scene simulation rate and lifter training throughput.

Scene simulation (one frame: camera, ray-cast depth render, visibility, detector and depth-model
errors, UADD sampling) runs on one core; training runs on `--threads` torch threads. Each figure is
the median over `--rounds` rounds, with the range across rounds (machines are noisy).

    .venv/bin/python benchmarks/bench_training.py [--rounds 3] [--frames 300] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from auglift_ros.core.features import FeatureCodec
from auglift_ros.core.lifters import SimpleBaselineConfig
from auglift_ros.mocap.generated import random_poses
from auglift_ros.simulation.simulate import simulate_frames
from auglift_ros.training.trainer import TrainConfig, train_lifter


def summary(label: str, values: list[float], unit: str) -> None:
    print(f"{label:<52} {np.median(values):9.1f} {unit}  (rounds {min(values):.1f}-{max(values):.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--frames", type=int, default=300, help="simulated frames per round")
    parser.add_argument("--samples", type=int, default=8192, help="training samples per round (one epoch)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads for training")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    poses = random_poses(args.frames, rng)
    for codecs, label in (
        ([], "xy only (no depth model)"),
        ([FeatureCodec(feature_set="uadd")], "with uadd"),
    ):
        rates = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            simulate_frames(poses, rng, codecs)
            rates.append(args.frames / (time.perf_counter() - start))
        summary(f"scene simulation, {label}, 1 core", rates, "frames/s")

    for hidden, blocks, batch in ((512, 3, 64), (512, 3, 256), (1024, 2, 64)):
        codec = FeatureCodec(feature_set="uadd")
        features = rng.normal(size=(args.samples, 17, 6)).astype(np.float32)
        targets = rng.normal(size=(args.samples, 17, 3)).astype(np.float32)
        model = SimpleBaselineConfig(in_channels=6, hidden=hidden, blocks=blocks, dropout=0.25)
        config = TrainConfig(epochs=1, batch_size=batch, threads=args.threads, depth_dropout=0.1)
        rates = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            train_lifter(features, targets, codec, model, config, progress=False)
            rates.append(args.samples / (time.perf_counter() - start))
        summary(
            f"training SimpleBaseline h{hidden} x{blocks}, batch {batch}, {args.threads} threads",
            rates,
            "samples/s",
        )


if __name__ == "__main__":
    main()
