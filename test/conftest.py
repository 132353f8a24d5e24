"""Test-wide settings: keep any DDS discovery on this machine."""

import os

os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
