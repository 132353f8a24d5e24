"""Helpers for tests that run a node in its own process and talk to it over real DDS."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest
import rclpy
from rclpy.node import Node


def start_process(command: list[str]) -> subprocess.Popen:
    """command on a ROS domain of this test process, in a process group of its own, so that
    stop_process can also reap the processes it starts (a pipeline runner's nodes)."""
    os.environ["ROS_DOMAIN_ID"] = str(100 + os.getpid() % 100)
    return subprocess.Popen(
        command,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def start_node_process(module: str, parameters: dict[str, str]) -> subprocess.Popen:
    """`python -m module` with --ros-args -p name:=value ..."""
    args = [arg for name, value in parameters.items() for arg in ("-p", f"{name}:={value}")]
    return start_process([sys.executable, "-m", module, "--ros-args", *args])


def stop_process(process: subprocess.Popen, stop_signal: int = signal.SIGTERM, timeout: float = 30.0) -> str:
    """Send stop_signal and return the process's output once it exits. One still running after
    timeout is killed with its whole process group and the test fails: a left-over node would talk
    to the next test on the same ROS domain."""
    if process.poll() is None:
        process.send_signal(stop_signal)
    try:
        return process.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output = process.communicate()[0]
        name = signal.Signals(stop_signal).name
        pytest.fail(f"{' '.join(process.args)} did not stop within {timeout:.0f} s of {name}:\n{output}")


def stop_node_process(process: subprocess.Popen) -> None:
    """SIGTERM, then require a clean exit (status 0) and show the node's output if not."""
    output = stop_process(process, timeout=20)
    assert process.returncode == 0, output


def spin_until(node: Node, condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.05)
        if condition():
            return True
    return False


def stream_until(
    node: Node, publish: Callable[[], None], condition: Callable[[], bool], timeout: float = 20.0
) -> bool:
    """Re-publish (as a camera streams) until condition holds: best-effort sensor QoS drops what was
    sent before both sides matched, so a single message may never arrive."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        publish()
        if spin_until(node, condition, timeout=0.5):
            return True
    return False


def rejects_then_serves(
    harness: Node,
    publish_bad: Callable[[], None],
    diagnostics: list,
    publish_good: Callable[[], None],
    served: Callable[[], bool],
) -> bool:
    """Stream a bad input until the node's /diagnostics count a rejection, then a good one until it
    is served: the node logged, dropped and counted the bad frame and kept running."""

    def rejected() -> bool:
        return any(kv.key.startswith("rejected") for a in diagnostics for s in a.status for kv in s.values)

    return stream_until(harness, publish_bad, rejected) and stream_until(harness, publish_good, served)


def wait_for_node(node: Node, process: subprocess.Popen, topic: str, timeout: float = 30.0) -> None:
    """Wait until the node process subscribes to topic; fail fast if it exits."""
    started = spin_until(
        node, lambda: node.count_subscribers(topic) > 0 or process.poll() is not None, timeout
    )
    assert started and process.poll() is None, "node did not start: " + (
        process.stdout.read() if process.poll() is not None else "timeout"
    )


@contextlib.contextmanager
def node_under_test(
    module: str, parameters: dict[str, str], make_harness: Callable[[], Node], input_topic: str
) -> Iterator[Node]:
    """Start the node process, a harness node in this process, wait until they see each other; on
    exit destroy the harness and require the node process to stop cleanly."""
    process = start_node_process(module, parameters)
    rclpy.init()
    harness = make_harness()
    try:
        wait_for_node(harness, process, input_topic)
        yield harness
    finally:
        harness.destroy_node()
        rclpy.shutdown()
        stop_node_process(process)
