"""`auglift-ros pipeline`: start the graph of config/pipeline.yaml without `ros2 launch`.

Each node runs in its own child process (`python -m auglift_ros.nodes.start <executable>` with the same
--ros-args the launch file passes), so a slow detector never blocks the lifter. Ctrl-C (SIGINT) or
SIGTERM stops every child cleanly, also when the runner was started as a script's background job,
which inherits SIGINT ignored (as `ros2 launch` and rclpy nodes do, it installs its own handler); if
one node dies, the others are stopped and its exit status returned.
With Fast DDS (the default RMW) and no profile of the user's, the nodes get config/
fastdds_large_shm.xml, whose shared-memory segment holds camera-sized images.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from auglift_ros.runtime.graph import fastdds_profile_environment, load_graph

STOP_TIMEOUT_S = 10.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _node_environment() -> dict[str, str]:
    environment = dict(os.environ)
    profile = fastdds_profile_environment(environment)
    for path in profile.values():
        print(f"[pipeline] Fast DDS profile {path} (16 MB shared memory)", flush=True)
    return environment | profile


def run_pipeline(
    config: str | Path | None = None,
    *,
    namespace: str = "",
    camera: dict[str, str] | None = None,
    depth_source: str | None = None,
    arguments: dict[str, str] | None = None,
    evaluate: bool = False,
) -> int:
    """Run until interrupted (0) or until a node exits (its status, at least 1). camera, depth_source
    and arguments override the config as the launch file's arguments do (see auglift_ros.runtime.graph);
    evaluate also starts the evaluator node."""
    specs = load_graph(config, camera, depth_source=depth_source, arguments=arguments, evaluate=evaluate)
    previous = {signum: signal.signal(signum, _raise_interrupt) for signum in STOP_SIGNALS}
    children: dict[str, subprocess.Popen] = {}
    environment = _node_environment()
    try:
        for spec in specs:
            children[spec.name] = subprocess.Popen(spec.command(namespace), env=environment)
            print(
                f"[pipeline] started {spec.name} ({spec.executable}, pid {children[spec.name].pid})",
                flush=True,
            )
        while True:
            for name, child in children.items():
                status = child.poll()
                if status is not None:
                    print(
                        f"[pipeline] {name} exited with status {status}; stopping the pipeline",
                        file=sys.stderr,
                    )
                    return status or 1
            time.sleep(0.2)
    except KeyboardInterrupt:
        print("[pipeline] stopping", flush=True)
        return 0
    finally:
        # A second Ctrl-C while the nodes stop must not leave them running without their runner.
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for child in children.values():
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
