"""Core speed figures: UADD time per person and SimpleBaseline ONNX time per person.

Targets on a 2-core machine (issue 2): UADD <= 100 us per person (17 joints, 640x480 depth map),
lifter <= 0.3 ms per person (random 1024-wide networks, and every shipped model in models/, temporal
ones fed their whole window). Prints
medians over many calls, repeated in several rounds (the median of the round medians and the spread
across rounds are shown; machines are noisy).

    .venv/bin/python benchmarks/bench_core.py [--rounds 5] [--calls 300]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from auglift_ros.core.features import FeatureCodec
from auglift_ros.core.lifters import OnnxLifter, SimpleBaseline, SimpleBaselineConfig, export_onnx
from auglift_ros.core.uadd import depth_descriptors
from auglift_ros.runtime.models import available_models, load_lifter


def median_seconds(call: Callable[[], object], calls: int) -> float:
    call()  # warm-up: caches, lazy initialisation
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def report(label: str, per_person_us: list[float], target_us: float) -> None:
    med = float(np.median(per_person_us))
    verdict = "meets" if med <= target_us else "MISSES"
    print(
        f"{label:<38} {med:9.1f} us/person  (rounds {min(per_person_us):.1f}-{max(per_person_us):.1f})  "
        f"target <= {target_us:.0f} us: {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    depth = rng.uniform(1.0, 6.0, (480, 640)).astype(np.float32)
    channels = len(FeatureCodec(feature_set="uadd").channels)
    for persons in (1, 8):
        keypoints = rng.uniform((40, 40), (600, 440), (persons, 17, 2))
        confidence = rng.uniform(0.0, 1.0, (persons, 17))
        uadd = partial(depth_descriptors, depth, keypoints, confidence)
        uadd_rounds = [1e6 * median_seconds(uadd, args.calls) / persons for _ in range(args.rounds)]
        report(f"UADD, 640x480 map, {persons} person(s)", uadd_rounds, 100.0)

    def time_lifter(lifter: OnnxLifter, label: str) -> None:
        for persons in (1, 8):
            window = () if lifter.frames is None else (lifter.frames,)  # a temporal model's window
            shape = (persons, *window, lifter.num_joints, lifter.in_channels)
            features = rng.normal(size=shape).astype(np.float32)
            lift = partial(lifter.run, features)
            lifter_rounds = [1e6 * median_seconds(lift, args.calls) / persons for _ in range(args.rounds)]
            report(f"lifter ONNX {label}, batch {persons}", lifter_rounds, 300.0)

    with tempfile.TemporaryDirectory() as tmp:
        for blocks in (2, 3):  # Martinez et al.'s default, and the paper's best AugLift setting
            model = SimpleBaseline(SimpleBaselineConfig(in_channels=channels, hidden=1024, blocks=blocks))
            path = export_onnx(model, Path(tmp) / f"lifter{blocks}.onnx", input_shape=(17, channels))
            time_lifter(OnnxLifter(path, device="cpu"), f"h1024 x{blocks} blocks")
    for name in available_models():  # the shipped models, as the node loads them
        lifter = load_lifter(name, device="cpu").lifter
        time_lifter(lifter, name)
    print(f"onnxruntime providers: {lifter.providers}")


if __name__ == "__main__":
    main()
