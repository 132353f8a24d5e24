"""ROS 2 bags without a ROS install: making evaluation bags, replaying them offline, playing them over DDS.

rosbags reads and writes the files, rclpy (de)serialises. May import: core, perception, mocap,
simulation, footage, runtime, evaluation, nodes.
"""
