"""Quality of service of the nodes' camera-rate subscriptions."""

from __future__ import annotations

from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

NEWEST_FRAME_ONLY = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=1,
    reliability=ReliabilityPolicy.BEST_EFFORT,
    durability=DurabilityPolicy.VOLATILE,
)
"""Sensor-data QoS (best effort, volatile) with a queue of one: a node slower than the camera skips
to the newest frame instead of working through a backlog (rclpy's qos_profile_sensor_data keeps 5,
which at 30 fps adds up to 165 ms of latency behind a slow detector)."""

FEW_FRAMES = 5
EVERY_FRAME = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=FEW_FRAMES,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.VOLATILE,
)
"""Small per-frame results between our own nodes (keypoints, skeletons): reliable with a queue of a
few, so a node that keeps up loses no frame to a burst (two frames arriving within one callback) or
to UDP loss. A reliable subscription needs a reliable publisher (the detector node publishes keypoints
with this profile); a reliable publisher also serves best-effort subscribers (RViz)."""

RECENT_DEPTH_IMAGES = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=FEW_FRAMES,
    reliability=ReliabilityPolicy.BEST_EFFORT,
    durability=DurabilityPolicy.VOLATILE,
)
"""Depth images: best effort (matches any camera driver's publisher) with a queue of a few, so a
depth image and the next one arriving together are both stored for stamp pairing."""
