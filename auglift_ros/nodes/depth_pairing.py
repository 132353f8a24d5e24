"""Pairing each keypoints message with the depth image of its own stamp, with a bounded wait.

The depth image of a frame is larger than its keypoints and often arrives after them (a monocular
depth model is slower than the detector). Taking whatever depth has already arrived would lift the
frame with the previous frame's depth, or without depth, and the live result would differ from the
offline replay. So a keypoints message waits for the depth of its own stamp for at most ``wait_ns``,
then takes the depth nearest in stamp within ``max_age_ns``, or none (the lifter's no-depth
fallback). A depth stream that stops never stalls the node: a frame waits only while the depth
stream has recently delivered own-stamp depth for most keypoints frames (:data:`COVERAGE_FRAMES`),
so with no depth, or depth on every n-th frame only (the depth node's ``every_n_frames``), nothing
waits. Frames are released in arrival order, so a frame that waits holds back later ones.

:class:`StampPairing` is the rule, with time passed in: the node's steady clock live, the bag's log
time in offline replay (auglift_ros.bags.replay), so both pair the same frames with the same depth.
The recent depth images are held by ``message_filters.Cache`` behind a ``message_filters.Subscriber``
where message_filters is importable (a ROS 2 install), and by :class:`RecentImages` where it is not
(pip-installed rclpy). Both answer the same query: the messages stamped inside an interval.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rclpy.clock import ClockType
from rclpy.node import Node
from rclpy.qos import QoSProfile
from rclpy.time import Time
from sensor_msgs.msg import Image, PointCloud2

from auglift_ros.nodes.messages import stamp_ns

COVERAGE_FRAMES = 10
"""A frame waits for its own depth when, of the last this-many keypoints frames since depth was first
received, at least half have had depth of their own stamp (by the time the new frame arrives)."""

Interval = Callable[[int, int], list[Image]]
"""The depth images received whose stamps (ns) lie in [low, high]."""


def _import_message_filters() -> Any:
    try:
        import message_filters
    except ImportError:
        return None
    return message_filters


@dataclass(frozen=True)
class PairedFrame:
    """A keypoints message and the depth image it is lifted with (None: lift without depth)."""

    keypoints: PointCloud2
    depth: Image | None


@dataclass(frozen=True)
class _Waiting:
    keypoints: PointCloud2
    stamp: int
    deadline: int


class StampPairing:
    """The pairing rule of the module docstring; depth images are looked up through ``within``.

    Each ``add_*`` / ``expire`` call takes the current time (ns) and returns the frames it releases,
    in arrival order.
    """

    def __init__(self, within: Interval, *, max_age_ns: int, wait_ns: int) -> None:
        self._within = within
        self.max_age_ns = max_age_ns
        self.wait_ns = wait_ns
        self._waiting: collections.deque[_Waiting] = collections.deque()
        self._keypoint_stamps: collections.deque[int] = collections.deque(maxlen=COVERAGE_FRAMES)
        self._depth_stamps: collections.deque[int] = collections.deque(maxlen=4 * COVERAGE_FRAMES)

    @property
    def waiting(self) -> int:
        """Keypoints messages not yet released."""
        return len(self._waiting)

    def next_deadline(self) -> int | None:
        """When (ns) the first waiting frame is released without its own depth; None if none waits."""
        return self._waiting[0].deadline if self._waiting else None

    def add_keypoints(self, msg: PointCloud2, now_ns: int) -> list[PairedFrame]:
        stamp = stamp_ns(msg.header)
        waits = self._expects_own_depth()
        if self._depth_stamps:  # only frames since depth was first received count
            self._keypoint_stamps.append(stamp)
        self._waiting.append(_Waiting(msg, stamp, now_ns + self.wait_ns if waits else now_ns))
        return self.expire(now_ns)

    def add_depth(self, msg: Image, now_ns: int) -> list[PairedFrame]:
        """Call after the image is in the buffer ``within`` reads."""
        self._depth_stamps.append(stamp_ns(msg.header))
        return self.expire(now_ns)

    def expire(self, now_ns: int) -> list[PairedFrame]:
        """Release, in order, the waiting frames whose own depth is here or whose wait is over."""
        released = []
        while self._waiting:
            head = self._waiting[0]
            own = self._within(head.stamp, head.stamp)
            if not own and now_ns < head.deadline:
                break
            self._waiting.popleft()
            released.append(PairedFrame(head.keypoints, own[0] if own else self.nearest(head.stamp)))
        return released

    def flush(self) -> list[PairedFrame]:
        """Release every waiting frame now (end of a bag)."""
        return self.expire(max((w.deadline for w in self._waiting), default=0))

    def nearest(self, stamp: int) -> Image | None:
        """The depth image nearest to stamp (ns) within max_age_ns, if any."""
        candidates = self._within(stamp - self.max_age_ns, stamp + self.max_age_ns)
        return min(candidates, key=lambda m: abs(stamp_ns(m.header) - stamp), default=None)

    def _expects_own_depth(self) -> bool:
        if self.wait_ns <= 0 or not self._depth_stamps:
            return False
        if not self._keypoint_stamps:
            return True
        depth = set(self._depth_stamps)
        covered = sum(stamp in depth for stamp in self._keypoint_stamps)
        return 2 * covered >= len(self._keypoint_stamps)


class RecentImages:
    """The last `size` images received: the depth buffer of the node without message_filters, and of
    offline bag replay."""

    def __init__(self, size: int) -> None:
        self._recent: collections.deque[Image] = collections.deque(maxlen=size)

    def add(self, msg: Image) -> None:
        self._recent.append(msg)

    def within(self, low_ns: int, high_ns: int) -> list[Image]:
        return [m for m in self._recent if low_ns <= stamp_ns(m.header) <= high_ns]


class DepthSubscription:
    """Subscribes to `topic`, keeps the last `size` depth images and calls ``on_depth`` with each
    one after it is stored; ``within`` is the buffer's interval query for :class:`StampPairing`."""

    def __init__(
        self,
        node: Node,
        topic: str,
        qos: QoSProfile,
        size: int,
        on_depth: Callable[[Image], None],
        *,
        use_message_filters: bool = True,
    ) -> None:
        message_filters = _import_message_filters() if use_message_filters else None
        self.backend = "message_filters.Cache" if message_filters else "ring buffer"
        if message_filters is not None:
            subscriber = message_filters.Subscriber(node, Image, topic, qos_profile=qos)
            cache = message_filters.Cache(subscriber, cache_size=size)
            cache.registerCallback(on_depth)

            def within(low_ns: int, high_ns: int) -> list[Image]:
                low, high = (Time(nanoseconds=t, clock_type=ClockType.ROS_TIME) for t in (low_ns, high_ns))
                return list(cache.getInterval(low, high))

        else:
            recent = RecentImages(size)

            def keep(msg: Image) -> None:
                recent.add(msg)
                on_depth(msg)

            node.create_subscription(Image, topic, keep, qos)
            within = recent.within

        self.within: Interval = within
