"""Detector (MediaPipe, RTMPose ONNX) and depth (Depth Anything V2 ONNX) backends behind small interfaces.

They take images as numpy arrays and run without ROS. May import: core.
"""
