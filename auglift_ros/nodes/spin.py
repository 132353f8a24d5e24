"""The one `main()` body every node shares: start, spin, and stop cleanly on Ctrl-C or SIGTERM."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node


def spin_node(create: Callable[[], Node], label: str, args: Sequence[str] | None = None) -> int:
    """Run the node create() makes until shutdown; 1 (with the reason on stderr) if it cannot start."""
    rclpy.init(args=args)
    try:
        executor = _Executor()
        node = create()
    except KeyboardInterrupt:  # Ctrl-C while starting: a stop, not a fault
        rclpy.try_shutdown()
        return 0
    except Exception as error:  # a bad parameter, a missing model, a backend that cannot load
        if not rclpy.ok():  # a SIGTERM while starting shut the context down under the node: a stop
            return 0
        print(f"{label}: cannot start: {error}", file=sys.stderr)
        rclpy.try_shutdown()
        return 1
    try:
        rclpy.spin(node, executor)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception:
        # A SIGTERM that lands while the executor builds its wait set makes rclpy raise RCLError
        # ("the given context is not valid") instead of ExternalShutdownException: a stop, not a
        # fault. While the context is still valid the error is real and propagates.
        if rclpy.ok():
            raise
    finally:
        node.destroy_node()
        executor.shutdown()
        rclpy.try_shutdown()
    return 0


class _Executor(SingleThreadedExecutor):
    """rclpy's executor, whose __del__ also works on an instance a signal interrupted in __init__:
    rclpy's own then raises AttributeError, printed as a traceback (seen once in 100 random stops)."""

    def __del__(self) -> None:
        if "_sigint_gc" in vars(self):
            super().__del__()
