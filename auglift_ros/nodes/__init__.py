"""rclpy nodes: message <-> array conversion, then one call into the core."""
