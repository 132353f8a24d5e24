"""`auglift-ros play`: publish a bag's messages over DDS at their recorded pace, for machines without
`ros2 bag play` (rosbag2 is not a pip package). On a ROS 2 install, `ros2 bag play BAG` replays the
same bags.

Each topic gets a publisher of its recorded type (reliable, as `ros2 bag play` publishes by default,
which best-effort subscribers also accept). Playback waits up to `wait_s` for every publisher to be
matched by a subscriber, then `delay_s` more (as `ros2 bag play --delay`): DDS discovery is not
symmetric, and a subscriber that has not yet matched the publisher drops what it is sent (measured
here: with 1 s, a third of the first take's frames never reached the lifter; with 3 s, none was lost).
Then each message is sent when its log time comes (divided by `rate`). Before the node is destroyed,
playback waits up to `wait_s` for subscribers to acknowledge every message: a reliable writer that
goes away at once loses what is still in flight (seen here: the last two frames of a bag, now and then).
The player uses the transport profile the pipeline's nodes get (auglift_ros.runtime.graph, unless
the environment names the user's own): with Fast DDS's default 512 KB shared-memory segment, most
640x480 depth images never reached the lifter, which then lifted their frames with older depth.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from tqdm import tqdm

from auglift_ros.bags.io import bag_message_counts, bag_topics, message_class, read_messages
from auglift_ros.runtime.graph import fastdds_profile_environment

PLAYER_QOS = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)


STOP_CHECK_S = 0.1
"""While waiting for a message's log time, playback checks this often whether it should stop."""


class BagPlayer:
    """Publishers for a bag's topics on node, and the paced playback."""

    def __init__(
        self, node: Node, path: str | Path, *, topics: Iterable[str] | None = None, rate: float = 1.0
    ) -> None:
        if not rate > 0:
            raise ValueError(f"playback rate must be positive, got {rate}")
        self.path = Path(path)
        self.rate = rate
        self._context = node.context
        available = bag_topics(self.path)
        wanted = list(available) if topics is None else list(topics)
        missing = sorted(set(wanted) - set(available))
        if missing:
            raise ValueError(f"bag {self.path} has no topic(s) {missing}; it has {sorted(available)}")
        self.topics = wanted
        self._count = sum(n for topic, n in bag_message_counts(self.path).items() if topic in wanted)
        self._publishers = {
            topic: node.create_publisher(message_class(available[topic]), topic, PLAYER_QOS)
            for topic in wanted
        }

    def wait_for_subscribers(self, wait_s: float) -> list[str]:
        """Wait until every topic has a subscriber or wait_s passes; the topics still unmatched."""
        deadline = time.monotonic() + wait_s
        while True:
            unmatched = [t for t, p in self._publishers.items() if p.get_subscription_count() == 0]
            if not unmatched or time.monotonic() >= deadline:
                return unmatched
            time.sleep(0.05)

    def wait_for_delivery(self, wait_s: float) -> list[str]:
        """Wait until subscribers acknowledged every published message or wait_s passes (shared by
        all topics); the topics with messages still unacknowledged."""
        deadline = time.monotonic() + wait_s
        return [
            topic
            for topic, publisher in self._publishers.items()
            if not publisher.wait_for_all_acked(Duration(seconds=max(0.0, deadline - time.monotonic())))
        ]

    def _stopping(self, stop: Callable[[], bool]) -> bool:
        """The caller asked to stop, or the node's context shut down (rclpy's SIGINT / SIGTERM
        handlers do that)."""
        return stop() or not self._context.ok()

    def play(self, *, progress: bool = True, stop: Callable[[], bool] = lambda: False) -> int:
        """Publish every message at its log time / rate after the first; the number published."""
        published = 0
        first_log = started = None
        for message in tqdm(
            read_messages(self.path, self.topics),
            total=self._count,
            desc="play",
            unit="msg",
            disable=not progress,
        ):
            if first_log is None:
                first_log, started = message.log_time_ns, time.monotonic()
            due = started + (message.log_time_ns - first_log) / 1e9 / self.rate
            while time.monotonic() < due and not self._stopping(stop):  # any gap stays stoppable
                time.sleep(min(STOP_CHECK_S, due - time.monotonic()))
            if self._stopping(stop):
                break
            self._publishers[message.topic].publish(message.msg)
            published += 1
        return published


def play_bag(
    path: str | Path,
    *,
    rate: float = 1.0,
    wait_s: float = 10.0,
    delay_s: float = 3.0,
    topics: list[str] | None = None,
) -> int:
    """The `auglift-ros play` command: a node of its own, paced playback, a summary line."""
    import rclpy

    profile = fastdds_profile_environment(os.environ)  # before the participant exists: Fast DDS reads it then
    os.environ.update(profile)
    for value in profile.values():
        print(f"[play] Fast DDS profile {value}, as the pipeline's nodes use", flush=True)
    rclpy.init()
    node = rclpy.create_node("bag_player")
    try:
        player = BagPlayer(node, path, topics=topics, rate=rate)
        unmatched = player.wait_for_subscribers(wait_s)
        if unmatched:
            print(f"[play] no subscriber after {wait_s:g} s on {unmatched}; playing anyway", flush=True)
        time.sleep(delay_s)
        count = player.play()
        print(f"[play] published {count} messages from {path}", flush=True)
        unacknowledged = player.wait_for_delivery(wait_s)
        if unacknowledged:
            print(f"[play] not acknowledged after {wait_s:g} s on {unacknowledged}", flush=True)
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    return 0
