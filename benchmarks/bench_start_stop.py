"""Start and stop the nodes at random moments: every stop must be clean.

Each cycle starts one node process (cycling through the lifter, evaluator and detector nodes, with
the parameters config/pipeline.yaml gives them), waits a random time (uniform 0 to `--max-wait` s:
during imports, model loading, or spinning), sends SIGINT or SIGTERM (chosen at random, as Ctrl-C
and `ros2 launch` / systemd send them), and waits for the exit. A cycle passes when the output holds
no Python traceback and the exit status is 0 (a node stopped before rclpy installed its signal
handlers ends by the signal itself, with no output: that passes too, and is counted apart; so does a
SIGINT in the first few milliseconds, while CPython imports its `site` module and no code of this
package has run: CPython reports that as a fatal error, which no package can prevent).
Target (issue 21): 100 cycles, 0 tracebacks, exit 0 once running.

    .venv/bin/python benchmarks/bench_start_stop.py [--cycles 100] [--max-wait 4] [--seed 0]

Prints a table per node and outcome, and the output of the first failing cycles.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import replace

from auglift_ros.runtime.graph import load_graph

NODES = ("lifter", "evaluator", "detector")
RUNNING_MARKERS = {"lifter": "lifting with", "evaluator": "", "detector": "detecting with"}
"""A line each node logs once it is up (the evaluator logs nothing at start: judged by time only)."""


def node_command(name: str, out_dir: str) -> list[str]:
    """`python -m module --ros-args ...` as config/pipeline.yaml describes the node."""
    spec = {s.name: s for s in load_graph(evaluate=True)}[name]
    if name == "evaluator":
        spec = replace(spec, parameters={**spec.parameters, "out_dir": out_dir})
    return spec.command()


def _default_sigint() -> None:
    """In the child: Ctrl-C acts as in a terminal or under `ros2 launch`, even when this script runs
    as a background job of a shell without job control (which starts it, and so its children, with
    SIGINT ignored: a node then misses a SIGINT sent before rclpy installs its handler)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def one_cycle(name: str, wait_s: float, stop: signal.Signals, out_dir: str) -> tuple[str, str]:
    """(outcome, output) of starting the node, waiting, and stopping it."""
    process = subprocess.Popen(
        node_command(name, out_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_default_sigint,
    )
    time.sleep(wait_s)
    process.send_signal(stop)
    try:
        output = process.communicate(timeout=60)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        return "did not stop within 60 s", process.communicate()[0]
    marker = RUNNING_MARKERS[name]
    running = bool(marker) and marker in output
    if "init_import_site" in output:  # CPython's own start-up, before any code of this package runs
        return "interrupted while the interpreter started (no package code yet)", output
    if "Traceback" in output:
        return "traceback", output
    if process.returncode == -stop:
        return "ended by the signal (before rclpy took it)", output
    if process.returncode != 0:
        return f"exit {process.returncode}", output
    return "exit 0, running" if running else "exit 0, starting", output


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--max-wait", type=float, default=4.0, help="longest wait before the signal (s)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault("ROS_DOMAIN_ID", str(180 + os.getpid() % 50))
    rng = random.Random(args.seed)
    outcomes: collections.Counter[tuple[str, str]] = collections.Counter()
    failures: list[str] = []
    out_dir = f"/tmp/bench_start_stop_{os.getpid()}"
    for cycle in range(args.cycles):
        name = NODES[cycle % len(NODES)]
        wait_s = rng.uniform(0.0, args.max_wait)
        stop = rng.choice((signal.SIGINT, signal.SIGTERM))
        outcome, output = one_cycle(name, wait_s, stop, out_dir)
        outcomes[(name, outcome)] += 1
        if not outcome.startswith(("exit 0", "ended by the signal", "interrupted while the interpreter")):
            failures.append(
                f"--- cycle {cycle}: {name}, {stop.name} after {wait_s:.2f} s: {outcome}\n{output}"
            )
    print("| node | outcome | cycles |\n|---|---|---|")
    for (name, outcome), count in sorted(outcomes.items()):
        print(f"| {name} | {outcome} | {count} |")
    print(f"{args.cycles} cycles, {len(failures)} failed (target: 0)")
    for failure in failures[:3]:
        print(failure[-3000:])
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
