"""rclpy nodes: message <-> array conversion, then one call into the layers below.

May import: core, perception, runtime, evaluation. rclpy and ROS messages are imported only here, in
bags and in commands.
"""
