"""ROS-free algorithms of the AugLift pipeline: numpy/scipy/torch/onnxruntime only, no message or file I/O.

Skeleton layouts, the pinhole camera, UADD, the feature codec, metrics, placement, tracking,
triangulation and the lifter families. May import: nothing else of auglift_ros. Every other layer
builds on this one (docs/architecture.md).
"""
