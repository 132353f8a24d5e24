"""nodes/spin.spin_node: an error rclpy raises once shutdown has begun is a stop; before, a fault."""

from __future__ import annotations

import pytest

rclpy = pytest.importorskip("rclpy")
from rclpy.node import Node  # noqa: E402

from auglift_ros.nodes import spin  # noqa: E402


def _spin_raising(monkeypatch: pytest.MonkeyPatch, *, shut_down_first: bool) -> None:
    def spin_once_then_fail(node: Node) -> None:
        if shut_down_first:  # the SIGTERM race: the context goes away under the executor
            rclpy.shutdown()
        raise RuntimeError("failed to initialize wait set: the given context is not valid")

    monkeypatch.setattr(spin.rclpy, "spin", spin_once_then_fail)


def test_an_error_after_shutdown_began_is_a_clean_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    _spin_raising(monkeypatch, shut_down_first=True)
    assert spin.spin_node(lambda: Node("spin_test_stop"), "test", args=[]) == 0
    assert not rclpy.ok()


def test_an_error_while_running_propagates(monkeypatch: pytest.MonkeyPatch) -> None:
    _spin_raising(monkeypatch, shut_down_first=False)
    with pytest.raises(RuntimeError, match="wait set"):
        spin.spin_node(lambda: Node("spin_test_fault"), "test", args=[])
    assert not rclpy.ok()  # shut down all the same
