"""What a running pipeline needs besides ROS: model cards and loading, FrameLifter, the node graph.

`graph` reads config/pipeline.yaml (the one description of nodes, topics and defaults), `runner`
starts it without ros2 launch, `models` loads a lifter with its codec, `lifting` lifts one frame,
`weights` fetches third-party weights. No rclpy here. May import: core.
"""
