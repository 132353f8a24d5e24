"""The detector node over real DDS, in its own process, on a real photograph."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib.cbook
import matplotlib.image
import numpy as np
import pytest
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image, PointCloud2
from std_msgs.msg import Header

from auglift_ros.core.skeleton import H36M_JOINT_NAMES
from auglift_ros.nodes.messages import cloud_to_keypoints, rgb_to_image
from dds_helpers import node_under_test, stream_until

# Half size: large best-effort messages are often dropped on a loaded machine (see test_pipeline_runner).
PORTRAIT = np.ascontiguousarray(
    matplotlib.image.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))[::2, ::2]
)


class Harness(Node):
    def __init__(self) -> None:
        super().__init__("detector_test_harness")
        self.images = self.create_publisher(Image, "image", qos_profile_sensor_data)
        self.keypoints: list[PointCloud2] = []
        self.diagnostics: list[DiagnosticArray] = []
        self.create_subscription(
            PointCloud2, "/detector/keypoints", self.keypoints.append, qos_profile_sensor_data
        )
        self.create_subscription(DiagnosticArray, "/diagnostics", self.diagnostics.append, 10)


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with node_under_test(
        "auglift_ros.nodes.detector_node",
        {"tracking": "false", "diagnostics_period": "0.2"},
        Harness,
        "image",
    ) as node:
        yield node


def _header(sec: int) -> Header:
    return Header(stamp=Time(sec=sec, nanosec=7), frame_id="camera_optical_frame")


def test_keypoints_of_a_portrait_arrive_with_the_image_stamp(harness: Harness) -> None:
    image = rgb_to_image(_header(10), PORTRAIT)
    assert stream_until(harness, lambda: harness.images.publish(image), lambda: bool(harness.keypoints))
    msg = harness.keypoints[-1]
    assert (msg.header.stamp.sec, msg.header.stamp.nanosec, msg.header.frame_id) == (
        10,
        7,
        "camera_optical_frame",
    )
    keypoints, confidence = cloud_to_keypoints(msg)
    assert keypoints.shape == (1, 17, 2)
    shoulders = [H36M_JOINT_NAMES.index("left_shoulder"), H36M_JOINT_NAMES.index("right_shoulder")]
    assert (confidence[0, shoulders] > 0.9).all()
    assert np.all((keypoints[0, shoulders] >= 0) & (keypoints[0, shoulders] < PORTRAIT.shape[1::-1]))


def test_wrong_encoding_is_counted_and_the_node_keeps_serving(harness: Harness) -> None:
    bad = Image(header=_header(20), height=2, width=2, encoding="32FC1", step=8, data=bytes(16))

    def rejected() -> bool:
        return any(
            kv.key.startswith("rejected") for a in harness.diagnostics for s in a.status for kv in s.values
        )

    assert stream_until(harness, lambda: harness.images.publish(bad), rejected)
    good = rgb_to_image(_header(21), PORTRAIT)
    assert stream_until(
        harness,
        lambda: harness.images.publish(good),
        lambda: any(m.header.stamp.sec == 21 for m in harness.keypoints),
    )
