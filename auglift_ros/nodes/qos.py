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
