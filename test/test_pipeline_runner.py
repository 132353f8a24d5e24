"""`auglift-ros pipeline` end to end over DDS: a real photograph in, 3D skeletons out, clean stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import matplotlib.cbook
import matplotlib.image
import numpy as np
import pytest
import rclpy
from builtin_interfaces.msg import Time
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, Image, PointCloud2
from std_msgs.msg import Header

from auglift_ros.core.skeleton import H36M_JOINT_NAMES, H36M_ROOT
from auglift_ros.nodes.messages import cloud_to_skeletons, rgb_to_image
from dds_helpers import spin_until, stream_until

PORTRAIT = matplotlib.image.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
HEIGHT, WIDTH = PORTRAIT.shape[:2]
WALL_M = 2.0


class Camera(Node):
    """An RGB-D camera looking at the portrait, 2 m away, and a listener for the lifter's output."""

    def __init__(self) -> None:
        super().__init__("pipeline_test_camera")
        self.image = self.create_publisher(Image, "/test/image", qos_profile_sensor_data)
        self.info = self.create_publisher(CameraInfo, "/test/camera_info", qos_profile_sensor_data)
        self.depth = self.create_publisher(Image, "/test/depth", qos_profile_sensor_data)
        self.skeletons: list[PointCloud2] = []
        self.create_subscription(
            PointCloud2, "/lifter/skeletons", self.skeletons.append, qos_profile_sensor_data
        )

    def publish_frame(self, sec: int) -> None:
        header = Header(stamp=Time(sec=sec), frame_id="camera_color_optical_frame")
        k = [500.0, 0.0, (WIDTH - 1) / 2, 0.0, 500.0, (HEIGHT - 1) / 2, 0.0, 0.0, 1.0]
        self.info.publish(CameraInfo(header=header, width=WIDTH, height=HEIGHT, k=k))
        depth = np.full((HEIGHT, WIDTH), WALL_M, "<f4")
        self.depth.publish(
            Image(
                header=header,
                height=HEIGHT,
                width=WIDTH,
                encoding="32FC1",
                step=4 * WIDTH,
                data=depth.tobytes(),
            )
        )
        spin_until(self, lambda: False, timeout=0.1)
        self.image.publish(rgb_to_image(header, PORTRAIT))


@pytest.fixture(scope="module")
def pipeline() -> Iterator[tuple[subprocess.Popen, Camera]]:
    os.environ["ROS_DOMAIN_ID"] = str(100 + os.getpid() % 100)
    topics = [
        "--image-topic",
        "/test/image",
        "--camera-info-topic",
        "/test/camera_info",
        "--depth-topic",
        "/test/depth",
    ]
    runner = subprocess.Popen(
        [sys.executable, "-m", "auglift_ros.cli", "pipeline", *topics],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    rclpy.init()
    camera = Camera()
    try:
        yield runner, camera
    finally:
        camera.destroy_node()
        rclpy.shutdown()
        if runner.poll() is None:
            runner.kill()


def test_photograph_to_skeleton_through_both_nodes_then_clean_stop(
    pipeline: tuple[subprocess.Popen, Camera],
) -> None:
    runner, camera = pipeline
    arrived = stream_until(
        camera, lambda: camera.publish_frame(sec=42), lambda: bool(camera.skeletons), timeout=60
    )
    assert arrived, runner.stdout.read() if runner.poll() is not None else "no skeletons within 60 s"
    msg = camera.skeletons[-1]
    assert (msg.header.stamp.sec, msg.header.frame_id) == (42, "camera_color_optical_frame")
    joints, confidence = cloud_to_skeletons(msg)
    assert joints.shape == (1, 17, 3)
    shoulders = [H36M_JOINT_NAMES.index("left_shoulder"), H36M_JOINT_NAMES.index("right_shoulder")]
    assert (confidence[0, shoulders] > 0.9).all()
    # The person stands about at the wall's depth, in front of the camera, not behind it.
    assert 1.0 < joints[0, H36M_ROOT, 2] < 4.0
    runner.send_signal(signal.SIGTERM)
    output = runner.communicate(timeout=30)[0]
    assert runner.returncode == 0, output
    assert "started detector" in output and "started lifter" in output and "stopping" in output
