"""Test-wide settings: keep any DDS discovery on this machine, and give every participant (this
process and the node processes it starts) the transport profile the pipeline's nodes get, so
camera-sized images and depth go over shared memory instead of being lost over UDP (a test of the
lifter node once failed that way; a profile the user names still wins)."""

import os

from auglift_ros.runtime.graph import fastdds_profile_environment

os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
os.environ.update(fastdds_profile_environment(os.environ))
