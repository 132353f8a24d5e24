"""NodeDiagnostics.drop: every drop counted; each distinct problem logged at once, repeats throttled."""

from __future__ import annotations

import pytest

rclpy = pytest.importorskip("rclpy")
from rclpy.node import Node  # noqa: E402

from auglift_ros.nodes import diagnostics  # noqa: E402
from auglift_ros.nodes.messages import MessageError  # noqa: E402


def test_distinct_problems_are_logged_at_once_and_repeats_throttled(monkeypatch: pytest.MonkeyPatch) -> None:
    rclpy.init()
    try:
        node = Node("diagnostics_test")
        watched = diagnostics.NodeDiagnostics(node, "test")
        logged: list[str] = []
        monkeypatch.setattr(type(node.get_logger()), "warning", lambda self, text, **kw: logged.append(text))
        clock = [100.0]
        monkeypatch.setattr(diagnostics.time, "monotonic", lambda: clock[0])
        for _ in range(30):  # a bad stream: 30 identical drops in one second
            watched.drop("a frame", MessageError("K has non-finite values"))
        watched.drop("a frame", MessageError("depth image encoding 'rgb8' not supported"))  # a new problem
        clock[0] += diagnostics.LOG_EVERY_S
        watched.drop("a frame", MessageError("K has non-finite values"))  # the first again, after the wait
        assert logged == [
            "dropped a frame: K has non-finite values",
            "dropped a frame: depth image encoding 'rgb8' not supported",
            "dropped a frame: K has non-finite values",
        ]
        assert watched.stats.rejected_total == 32
        node.destroy_node()
    finally:
        rclpy.shutdown()
