"""Depth pairing by nearest stamp, through message_filters.Cache (where installed) and the ring buffer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import rclpy
from builtin_interfaces.msg import Time
from rclpy.node import Node
from rclpy.qos import QoSProfile
from sensor_msgs.msg import Image
from std_msgs.msg import Header

from auglift_ros.nodes.depth_pairing import DepthPairing, stamp_ns
from dds_helpers import spin_until

MS = 1_000_000


@pytest.fixture(params=["message_filters", "ring buffer"])
def pairing(request: pytest.FixtureRequest) -> Iterator[tuple[Node, DepthPairing]]:
    if request.param == "message_filters":
        pytest.importorskip("message_filters", reason="message_filters comes with a ROS 2 install")
    rclpy.init()
    node = Node("depth_pairing_test")
    qos = QoSProfile(depth=10)
    found = DepthPairing(
        node, "/pairing_test/depth", qos, size=3, use_message_filters=request.param != "ring buffer"
    )
    assert found.backend == ("message_filters.Cache" if request.param == "message_filters" else "ring buffer")
    try:
        yield node, found
    finally:
        node.destroy_node()
        rclpy.shutdown()


def _depth(ms: int) -> Image:
    stamp = Time(sec=10 + ms // 1000, nanosec=(ms % 1000) * MS)
    return Image(header=Header(stamp=stamp), height=1, width=1, encoding="32FC1", step=4, data=bytes(4))


def test_nearest_within_the_age_and_only_the_last_few(pairing: tuple[Node, DepthPairing]) -> None:
    node, found = pairing
    publisher = node.create_publisher(Image, "/pairing_test/depth", QoSProfile(depth=10))
    base = 10_000 * MS
    assert found.nearest(base, 100 * MS) is None  # nothing received yet
    for ms in (0, 50, 200, 300):  # size 3: the first one is forgotten
        publisher.publish(_depth(ms))
    assert spin_until(node, lambda: found.nearest(base + 300 * MS, 0) is not None, timeout=10)
    spin_until(node, lambda: False, timeout=0.2)

    def nearest_ms(query_ms: int, age_ms: int) -> int | None:
        msg = found.nearest(base + query_ms * MS, age_ms * MS)
        return None if msg is None else (stamp_ns(msg.header) - base) // MS

    assert nearest_ms(60, 100) == 50
    assert nearest_ms(140, 100) == 200  # 60 ms away, against 90 ms for the 50 ms image
    assert nearest_ms(120, 100) == 50
    assert nearest_ms(0, 10) is None  # the 0 ms image left the buffer
    assert nearest_ms(600, 100) is None  # newest is 300 ms away: too old
    assert nearest_ms(250, 50) in (200, 300)  # a tie: either is within the age
