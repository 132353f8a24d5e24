"""Single-frame lifters under each simulated detector error model: how a lifter trained on one
model's 2D holds up under the others'.

    .venv/bin/python benchmarks/bench_detector_robustness.py [--model M ...] [--frames N] [--seed S]

Generated poses (in no training set, as test_shipped_models uses them) through the default indoor
cameras; 2D from each of simulation.sensors' detector models ("assumed": literature values with 2%
left/right swaps, "assumed_offsets" the same with the face keypoints on the nose and eyes;
"mediapipe" / "mediapipe_offsets": measured on MediaPipe, docs/simulation.md), at
noise scale 0.5 (as specified or measured) and 1.0 (twice the jitter). Prints MPJPE and P-MPJPE (mm)
per model and setting, as markdown; every model sees the same frames.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from auglift_ros.core import metrics
from auglift_ros.mocap.generated import random_poses
from auglift_ros.runtime.models import load_lifter
from auglift_ros.simulation.sensors import DETECTOR_MODELS
from auglift_ros.simulation.simulate import simulate_frames
from auglift_ros.training.evaluate import predict

SETTINGS = [(name, scale) for name in DETECTOR_MODELS for scale in (0.5, 1.0)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", help="model name or .onnx path (repeatable)")
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    names = args.model or ["auglift_xyc"]
    print("| model | detector model | noise scale | MPJPE mm | P-MPJPE mm |\n|---|---|---|---|---|")
    for name in names:
        model = load_lifter(name)
        for detector, scale in SETTINGS:
            rng = np.random.default_rng(args.seed)
            poses = random_poses(args.frames, rng, sit_fraction=0.0)
            frames = simulate_frames(
                poses,
                rng,
                [model.codec],
                detector_model=DETECTOR_MODELS[detector],
                detector_noise_scale=scale,
            )
            truth, lifted = 1000.0 * frames.targets, 1000.0 * predict(model, frames)
            print(
                f"| {name} | {detector} | {scale} | {metrics.mpjpe(lifted, truth):.1f} | "
                f"{metrics.p_mpjpe(lifted, truth):.1f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
