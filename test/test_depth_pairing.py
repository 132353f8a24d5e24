"""Depth pairing: the stamp-pairing rule with a bounded wait (pure), and the depth subscription's
buffer and callback over DDS, through message_filters.Cache (where installed) and the ring buffer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import rclpy
from builtin_interfaces.msg import Time
from rclpy.node import Node
from rclpy.qos import QoSProfile
from sensor_msgs.msg import Image, PointCloud2
from std_msgs.msg import Header

from auglift_ros.nodes.depth_pairing import (
    COVERAGE_FRAMES,
    DepthSubscription,
    PairedFrame,
    RecentImages,
    StampPairing,
    stamp_ns,
)
from dds_helpers import spin_until

MS = 1_000_000
BASE_MS = 10_000


def _header(ms: int) -> Header:
    total = BASE_MS + ms
    return Header(stamp=Time(sec=total // 1000, nanosec=(total % 1000) * MS))


def _depth(ms: int) -> Image:
    return Image(header=_header(ms), height=1, width=1, encoding="32FC1", step=4, data=bytes(4))


def _keypoints(ms: int) -> PointCloud2:
    return PointCloud2(header=_header(ms))


def _ms(msg: Image | PointCloud2 | None) -> int | None:
    return None if msg is None else stamp_ns(msg.header) // MS - BASE_MS


class Stream:
    """A StampPairing over a ring buffer, driven in milliseconds of the clock it is given."""

    def __init__(self, *, wait_ms: int = 50, max_age_ms: int = 100, buffer: int = 5) -> None:
        self.recent = RecentImages(buffer)
        self.pairing = StampPairing(self.recent.within, max_age_ns=max_age_ms * MS, wait_ns=wait_ms * MS)

    def keypoints(self, stamp_ms: int, now_ms: int) -> list[tuple[int | None, int | None]]:
        return _pairs(self.pairing.add_keypoints(_keypoints(stamp_ms), now_ms * MS))

    def depth(self, stamp_ms: int, now_ms: int) -> list[tuple[int | None, int | None]]:
        self.recent.add(_depth(stamp_ms))
        return _pairs(self.pairing.add_depth(_depth(stamp_ms), now_ms * MS))

    def expire(self, now_ms: int) -> list[tuple[int | None, int | None]]:
        return _pairs(self.pairing.expire(now_ms * MS))


def _pairs(frames: list[PairedFrame]) -> list[tuple[int | None, int | None]]:
    """(keypoints stamp, depth stamp or None) per released frame, in ms."""
    return [(_ms(f.keypoints), _ms(f.depth)) for f in frames]


def test_depth_before_its_keypoints_pairs_at_once() -> None:
    stream = Stream()
    assert stream.depth(0, now_ms=0) == []
    assert stream.keypoints(0, now_ms=10) == [(0, 0)]
    assert stream.pairing.waiting == 0


def test_keypoints_wait_for_the_depth_of_their_own_stamp() -> None:
    stream = Stream()
    stream.depth(0, now_ms=0)
    stream.keypoints(0, now_ms=10)
    assert stream.keypoints(100, now_ms=110) == []  # the 0 ms depth is within max age: it waits anyway
    assert stream.pairing.next_deadline() == 160 * MS
    assert stream.expire(now_ms=150) == []
    assert stream.depth(100, now_ms=130) == [(100, 100)]  # its own depth, 20 ms after it


def test_a_wait_that_runs_out_takes_the_nearest_depth_within_the_age() -> None:
    stream = Stream(wait_ms=50, max_age_ms=100)
    stream.depth(0, now_ms=0)
    stream.keypoints(0, now_ms=10)
    stream.keypoints(100, now_ms=110)
    assert stream.expire(now_ms=159) == []
    assert stream.expire(now_ms=160) == [(100, 0)]  # 100 ms older: still within max_depth_age
    stream.keypoints(200, now_ms=210)  # the previous frame had no own depth, this one has a history of 1 in 2
    assert stream.expire(now_ms=260) == [(200, None)]  # nothing within 100 ms: lifted without depth


def test_no_depth_at_all_never_waits() -> None:
    stream = Stream()
    for frame in range(30):
        assert stream.keypoints(33 * frame, now_ms=33 * frame + 10) == [(33 * frame, None)]


def test_depth_on_every_third_frame_stops_the_waits_after_a_few_frames() -> None:
    """The depth node's every_n_frames: own-stamp depth is absent for most frames, so they must not
    wait 50 ms each; once the history shows it, they take the last depth image at once."""
    stream = Stream(max_age_ms=200)
    released: list[tuple[int | None, int | None]] = []
    at_arrival = []
    for frame in range(30):
        stamp = 33 * frame
        if frame % 3 == 0:
            released += stream.depth(stamp, now_ms=stamp)
        now = stream.keypoints(stamp, now_ms=stamp + 10)
        at_arrival.append(now[-1:] == [(stamp, stamp - stamp % 99)])  # the last depth image, 0-66 ms old
        released += now + stream.expire(now_ms=stamp + 32)
    assert all(at_arrival[COVERAGE_FRAMES:])
    assert [k for k, _ in released] == [33 * f for f in range(30)]  # each frame once, in order


def test_a_depth_stream_that_stops_delays_only_a_few_frames_and_never_stalls() -> None:
    stream = Stream(wait_ms=50, max_age_ms=100)
    stream.depth(0, now_ms=0)  # a frame waits only once depth has been seen
    stream.keypoints(0, now_ms=10)
    for frame in range(1, 10):  # depth with every frame, after its keypoints
        stream.keypoints(33 * frame, now_ms=33 * frame + 10)
        assert stream.depth(33 * frame, now_ms=33 * frame + 20) == [(33 * frame, 33 * frame)]
    waited = 0
    for frame in range(10, 40):  # depth stops
        stamp = 33 * frame
        released = stream.keypoints(stamp, now_ms=stamp + 10)
        if not released:
            waited += 1
            released = stream.expire(now_ms=stamp + 60)
        assert len(released) == 1 and released[0][0] == stamp
    assert waited == COVERAGE_FRAMES // 2 + 1  # until fewer than half of the last 10 frames had depth


def test_frames_leave_in_arrival_order_a_waiting_one_holds_back_the_next() -> None:
    stream = Stream()
    stream.depth(0, now_ms=0)
    stream.keypoints(0, now_ms=10)
    assert stream.keypoints(33, now_ms=43) == []  # waits for depth 33
    stream.depth(66, now_ms=70)
    assert stream.keypoints(66, now_ms=76) == []  # its depth is here, but frame 33 is first
    assert stream.depth(33, now_ms=80) == [(33, 33), (66, 66)]


def test_no_wait_when_depth_wait_is_zero_and_flush_releases_everything() -> None:
    stream = Stream(wait_ms=0)
    stream.depth(0, now_ms=0)
    stream.keypoints(0, now_ms=10)
    assert stream.keypoints(33, now_ms=43) == [(33, 0)]
    waiting = Stream(wait_ms=50)
    waiting.depth(0, now_ms=0)
    waiting.keypoints(0, now_ms=5)
    waiting.keypoints(33, now_ms=40)
    waiting.keypoints(66, now_ms=70)
    assert _pairs(waiting.pairing.flush()) == [(33, 0), (66, 0)]


# --- the subscription: buffer and callback over DDS -------------------------------------------------


@pytest.fixture(params=["message_filters", "ring buffer"])
def subscription(request: pytest.FixtureRequest) -> Iterator[tuple[Node, DepthSubscription, list[int]]]:
    if request.param == "message_filters":
        pytest.importorskip("message_filters", reason="message_filters comes with a ROS 2 install")
    rclpy.init()
    node = Node("depth_pairing_test")
    arrived: list[int] = []
    found = DepthSubscription(
        node,
        "/pairing_test/depth",
        QoSProfile(depth=10),
        size=3,
        on_depth=lambda msg: arrived.append(_ms(msg)),
        use_message_filters=request.param != "ring buffer",
    )
    assert found.backend == ("message_filters.Cache" if request.param == "message_filters" else "ring buffer")
    try:
        yield node, found, arrived
    finally:
        node.destroy_node()
        rclpy.shutdown()


def test_subscription_keeps_the_last_few_and_calls_back_after_storing(
    subscription: tuple[Node, DepthSubscription, list[int]],
) -> None:
    node, found, arrived = subscription
    publisher = node.create_publisher(Image, "/pairing_test/depth", QoSProfile(depth=10))
    assert found.within(0, 2**62) == []  # nothing received yet
    for ms in (0, 50, 200, 300):  # size 3: the first one is forgotten
        publisher.publish(_depth(ms))
    assert spin_until(node, lambda: len(arrived) == 4, timeout=10)
    assert arrived == [0, 50, 200, 300]

    def stamps(low_ms: int, high_ms: int) -> list[int | None]:
        return sorted(_ms(m) for m in found.within((BASE_MS + low_ms) * MS, (BASE_MS + high_ms) * MS))

    assert stamps(-1000, 1000) == [50, 200, 300]
    assert stamps(50, 200) == [50, 200]  # both ends included
    assert stamps(200, 200) == [200]  # the own-stamp query
    assert stamps(201, 299) == []
