"""auglift_ros: monocular 3D human pose for ROS 2 with AugLift (keypoints + confidence + depth)."""

__version__ = "0.1.0"
