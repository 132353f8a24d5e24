"""Per-node frame statistics published on /diagnostics (diagnostic_msgs), shared by every node."""

from __future__ import annotations

import collections
import time

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rcl_interfaces.msg import FloatingPointRange, ParameterDescriptor
from rclpy.node import Node
from std_msgs.msg import Header

REJECTED_PREFIX = "rejected: "
LOG_EVERY_S = 5.0
"""The same dropped-frame message is logged at most this often."""


def float_range(low: float, high: float) -> list[FloatingPointRange]:
    """A descriptor's floating_point_range: [low, high], any step."""
    return [FloatingPointRange(from_value=low, to_value=high, step=0.0)]


class FrameStats:
    """Counts of what happened to frames, and recent processing times, as one DiagnosticStatus."""

    def __init__(self, window: int = 100) -> None:
        self.counts = collections.Counter[str]()
        self._times_ms: collections.deque[float] = collections.deque(maxlen=window)
        self._finished_at: collections.deque[float] = collections.deque(maxlen=window)

    def processed(self, outcome: str, milliseconds: float) -> None:
        self.counts[outcome] += 1
        self._times_ms.append(milliseconds)
        self._finished_at.append(time.monotonic())

    @property
    def rate_hz(self) -> float:
        """Processed frames per second over the recent window (NaN before two frames)."""
        if len(self._finished_at) < 2 or self._finished_at[-1] <= self._finished_at[0]:
            return float("nan")
        return (len(self._finished_at) - 1) / (self._finished_at[-1] - self._finished_at[0])

    def rejected(self, reason: str) -> None:
        self.counts[REJECTED_PREFIX + reason] += 1

    @property
    def rejected_total(self) -> int:
        return sum(v for k, v in self.counts.items() if k.startswith(REJECTED_PREFIX))

    def diagnostics(self, header: Header, name: str, message: str, *, warn: bool = False) -> DiagnosticArray:
        """One status: WARN if asked or if any frame was rejected, with counts and the median time."""
        median = float(np.median(self._times_ms)) if self._times_ms else float("nan")
        values = {"processing time median ms": f"{median:.2f}", "rate Hz": f"{self.rate_hz:.1f}"} | {
            k: str(v) for k, v in sorted(self.counts.items())
        }
        status = DiagnosticStatus(
            level=DiagnosticStatus.WARN if warn or self.rejected_total else DiagnosticStatus.OK,
            name=name,
            message=message,
            hardware_id="auglift_ros",
            values=[KeyValue(key=k, value=v) for k, v in values.items()],
        )
        return DiagnosticArray(header=header, status=[status])


class NodeDiagnostics:
    """A node's /diagnostics: declares its read-only `diagnostics_period` (s), publishes the frame
    statistics (`stats`) with the current `message` on that period, and logs (throttled) and counts
    every dropped frame, so each node reports the same way."""

    def __init__(self, node: Node, role: str, message: str = "running") -> None:
        node.declare_parameter(
            "diagnostics_period",
            1.0,
            ParameterDescriptor(
                description="seconds between /diagnostics messages",
                floating_point_range=float_range(0.1, 60.0),
                read_only=True,
            ),
        )
        self.stats = FrameStats()
        self.message = message
        self.warn = False
        self._node = node
        self._name = f"{node.get_name()}: {role}"
        self._logged: dict[str, float] = {}  # message -> when it was last logged (time.monotonic)
        self._publisher = node.create_publisher(DiagnosticArray, "/diagnostics", 1)
        node.create_timer(node.get_parameter("diagnostics_period").value, self._publish)

    def drop(self, what: str, error: Exception) -> None:
        """Count a dropped frame under its error's type and log why: each distinct problem at once,
        the same problem again at most every LOG_EVERY_S (a bad stream at 30 fps must not flood the
        log, and one bad frame must not hide the next, different one)."""
        self.stats.rejected(type(error).__name__)
        text = f"dropped {what}: {error}"
        now = time.monotonic()
        if now - self._logged.get(text, -np.inf) >= LOG_EVERY_S:
            self._logged[text] = now
            self._node.get_logger().warning(text)

    def _publish(self) -> None:
        header = Header(stamp=self._node.get_clock().now().to_msg())
        self._publisher.publish(self.stats.diagnostics(header, self._name, self.message, warn=self.warn))
