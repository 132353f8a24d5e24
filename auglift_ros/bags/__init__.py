"""ROS 2 bags without a ROS install: rosbags reads and writes the files, rclpy (de)serialises."""
