"""ROS-free algorithms of the AugLift pipeline: numpy/torch only, no message or file I/O."""
