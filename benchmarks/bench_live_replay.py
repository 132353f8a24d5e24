"""Live equals offline: a bag played into the running pipeline, scored per frame against its replay.

For each frame rate, an evaluation bag is made from a mocap take (`make-bag --sequences TAKE
--max-frames N --fps F`, depth logged before its keypoints in even frames and after them in odd
ones: `--depth-delay-ms 0 20`), evaluated offline (`evaluate-bag`), then played `--runs` times in a
row (`auglift-ros play`) into `auglift-ros pipeline --evaluate`, whose evaluator writes the live
report. Printed per run: frames the offline replay scores, how many of them were scored live, the
largest per-frame MPJPE difference and the frames differing by more than 0.5 mm.
Target (issue 21): every frame scored live, live equal to offline within 0.5 mm per frame, in every
run at 10 and 30 fps.

    .venv/bin/python benchmarks/bench_live_replay.py [--sequences TAKE] [--fps 10 30] [--runs 3]
        [--max-frames 60]

The default take is the first of `../shared/data/mocap/cmu` (any format `make-bag` reads works);
each run uses a ROS domain of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

TOLERANCE_MM = 0.5
DEFAULT_TAKES = Path(__file__).resolve().parents[2] / "shared" / "data" / "mocap" / "cmu"


def auglift_ros(*args: str) -> list[str]:
    return [sys.executable, "-m", "auglift_ros.commands.main", *args]


def per_frame(report_path: Path) -> dict[int, float]:
    frames = json.loads(report_path.read_text())["per_frame"]
    return dict(zip(frames["stamp_ns"], frames["mpjpe"], strict=True))


def live_run(bag: Path, out: Path, domain: int) -> tuple[dict[int, float], str]:
    """Play the bag into a fresh pipeline on its own ROS domain; the live per-frame MPJPE."""
    env = dict(os.environ, ROS_DOMAIN_ID=str(domain))
    pipeline = subprocess.Popen(
        auglift_ros("pipeline", "--evaluate", "--evaluation-out", str(out)),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        player = subprocess.run(
            auglift_ros("play", str(bag), "--wait", "60"),
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        time.sleep(1.0)  # the last frames through the lifter
    finally:
        pipeline.send_signal(signal.SIGINT)
        output = pipeline.communicate(timeout=60)[0]
    if player.returncode != 0 or pipeline.returncode != 0:
        raise RuntimeError(f"live run failed:\n{player.stdout}{player.stderr}\n{output}")
    if not (out / "metrics.json").is_file():
        raise RuntimeError(f"the live evaluator wrote no report:\n{player.stdout}\n{output}")
    return per_frame(out / "metrics.json"), output


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sequences", default=str(DEFAULT_TAKES), help="mocap take(s) for make-bag")
    parser.add_argument("--max-sequences", type=int, default=1)
    parser.add_argument("--fps", type=float, nargs="+", default=[10.0, 30.0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-frames", type=int, default=60)
    args = parser.parse_args(argv)

    print("| fps | run | frames offline | scored live | max diff mm | frames > 0.5 mm |")
    print("|---|---|---|---|---|---|")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="bench_live_") as tmp:
        for fps in args.fps:
            bag, offline_dir = Path(tmp) / f"bag_{fps:g}", Path(tmp) / f"offline_{fps:g}"
            make_bag = ["make-bag", "--sequences", args.sequences, "--max-sequences", str(args.max_sequences)]
            make_bag += ["--max-frames", str(args.max_frames), "--fps", f"{fps:g}", "--out", str(bag)]
            make_bag += ["--depth-delay-ms", "0", "20"]
            subprocess.run(auglift_ros(*make_bag), check=True, capture_output=True)
            subprocess.run(
                auglift_ros("evaluate-bag", str(bag), "--out", str(offline_dir)),
                check=True,
                capture_output=True,
            )
            offline = per_frame(offline_dir / "metrics.json")
            for run in range(1, args.runs + 1):
                live, _ = live_run(bag, Path(tmp) / f"live_{fps:g}_{run}", 150 + os.getpid() % 50 + run)
                common = [s for s in offline if s in live]
                differences = [abs(live[s] - offline[s]) for s in common]
                worst = max(differences, default=float("nan"))
                off = sum(d > TOLERANCE_MM for d in differences)
                failures += int(len(common) < len(offline) or off > 0)
                row = f"| {fps:g} | {run} | {len(offline)} | {len(common)} | {worst:.3f} | {off} |"
                print(row, flush=True)
    print("target met" if failures == 0 else f"target missed in {failures} run(s)")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
