"""Starting a node process so that a stop signal at any moment is a clean stop.

A node module imports numpy, rclpy, onnxruntime and more before its ``main()`` can run (about a
second); a Ctrl-C in that time raises KeyboardInterrupt inside an import, which Python reports with a
traceback. The nodes' console scripts and ``python -m auglift_ros.nodes.start EXECUTABLE [--ros-args
...]`` (how `auglift-ros pipeline` starts them) import the node module here, where that interrupt is a
stop, then run its ``main()``; nodes/spin.py handles a stop from there on. This module imports only
the standard library.
"""

from __future__ import annotations

import importlib
import sys

EXECUTABLES = ("detector_node", "depth_node", "lifter_node", "evaluator_node")


def run(executable: str) -> int:
    """Import auglift_ros.nodes.<executable> and run its main() (ROS arguments from sys.argv); 0 if a
    Ctrl-C stops it while it imports."""
    if executable not in EXECUTABLES:
        print(f"unknown node {executable!r}; one of {', '.join(EXECUTABLES)}", file=sys.stderr)
        return 2
    try:
        module = importlib.import_module(f"auglift_ros.nodes.{executable}")
    except KeyboardInterrupt:
        return 0
    return module.main()


def detector_node() -> int:
    return run("detector_node")


def depth_node() -> int:
    return run("depth_node")


def lifter_node() -> int:
    return run("lifter_node")


def evaluator_node() -> int:
    return run("evaluator_node")


if __name__ == "__main__":
    sys.exit(run(sys.argv[1] if len(sys.argv) > 1 else ""))
