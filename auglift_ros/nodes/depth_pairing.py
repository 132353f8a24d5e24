"""Approximate-time pairing of keypoints with depth that never waits for depth.

The lifter is driven by keypoints: each keypoints message takes the depth image nearest in stamp
from the last few received, if one lies within the allowed age, and is lifted without depth
otherwise. A three-way ApproximateTimeSynchronizer would hold keypoints back until depth arrives and
stall when the depth stream stops; the issue asks for the no-depth fallback instead.

The recent depth images are held by `message_filters.Cache` behind a `message_filters.Subscriber`
where message_filters is importable (a ROS 2 install), and by the same ring buffer in this module
where it is not (pip-installed rclpy). Both answer the same query: the messages stamped inside an
interval.
"""

from __future__ import annotations

import collections
from typing import Any

from rclpy.clock import ClockType
from rclpy.node import Node
from rclpy.qos import QoSProfile
from rclpy.time import Time
from sensor_msgs.msg import Image

from auglift_ros.nodes.messages import stamp_ns


def _import_message_filters() -> Any:
    try:
        import message_filters
    except ImportError:
        return None
    return message_filters


class DepthPairing:
    """Subscribes to `topic` and finds the depth image nearest to a stamp; see the module docstring."""

    def __init__(
        self, node: Node, topic: str, qos: QoSProfile, size: int, *, use_message_filters: bool = True
    ) -> None:
        message_filters = _import_message_filters() if use_message_filters else None
        self.backend = "message_filters.Cache" if message_filters else "ring buffer"
        if message_filters is not None:
            subscriber = message_filters.Subscriber(node, Image, topic, qos_profile=qos)
            cache = message_filters.Cache(subscriber, cache_size=size)

            def within(low_ns: int, high_ns: int) -> list[Image]:
                low, high = (Time(nanoseconds=t, clock_type=ClockType.ROS_TIME) for t in (low_ns, high_ns))
                return cache.getInterval(low, high)

        else:
            recent = RecentImages(size)

            def keep(msg: Image) -> None:  # a def: rclpy cannot inspect bound builtins
                recent.add(msg)

            node.create_subscription(Image, topic, keep, qos)
            within = recent.within

        self._within = within

    def nearest(self, stamp: int, max_age_ns: int) -> Image | None:
        """The depth image whose stamp is nearest to stamp (ns), if within max_age_ns of it."""
        return nearest_in_stamp(self._within(stamp - max_age_ns, stamp + max_age_ns), stamp)


def nearest_in_stamp(candidates: list[Image], stamp: int) -> Image | None:
    return min(candidates, key=lambda m: abs(stamp_ns(m.header) - stamp), default=None)


class RecentImages:
    """The last `size` images received: the ring buffer of the node without message_filters, and of
    offline bag replay."""

    def __init__(self, size: int) -> None:
        self._recent: collections.deque[Image] = collections.deque(maxlen=size)

    def add(self, msg: Image) -> None:
        self._recent.append(msg)

    def within(self, low_ns: int, high_ns: int) -> list[Image]:
        return [m for m in self._recent if low_ns <= stamp_ns(m.header) <= high_ns]

    def nearest(self, stamp: int, max_age_ns: int) -> Image | None:
        return nearest_in_stamp(self.within(stamp - max_age_ns, stamp + max_age_ns), stamp)
