"""The depth node: over real DDS in its own process with a real ONNX session, plus its frame skipping
and start-up checks in this process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import rclpy
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image
from std_msgs.msg import Header

from auglift_ros.nodes.depth_node import SKIPPED, DepthNode
from auglift_ros.nodes.messages import depth_image_to_metres, rgb_to_image
from dds_helpers import node_under_test, rejects_then_serves, stream_until
from depth_models import red_to_output, write_depth_model

RED = 200
FRAME = np.dstack([np.full((24, 32), RED, np.uint8), np.zeros((24, 32, 2), np.uint8)])


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_depth_model(tmp_path_factory.mktemp("depth_node") / "depth.onnx")


class Harness(Node):
    def __init__(self) -> None:
        super().__init__("depth_test_harness")
        self.images = self.create_publisher(Image, "image", qos_profile_sensor_data)
        self.depth: list[Image] = []
        self.diagnostics: list[DiagnosticArray] = []
        self.create_subscription(Image, "/depth/depth", self.depth.append, qos_profile_sensor_data)
        self.create_subscription(DiagnosticArray, "/diagnostics", self.diagnostics.append, 10)


@pytest.fixture(scope="module")
def harness(model: Path) -> Iterator[Harness]:
    parameters = {"model": str(model), "input_size": "28", "diagnostics_period": "0.2"}
    with node_under_test("auglift_ros.nodes.depth_node", parameters, Harness, "image") as node:
        yield node


def _header(sec: int) -> Header:
    return Header(stamp=Time(sec=sec, nanosec=3), frame_id="camera_optical_frame")


def test_metric_depth_arrives_with_the_image_header_and_size(harness: Harness) -> None:
    image = rgb_to_image(_header(5), FRAME)
    assert stream_until(harness, lambda: harness.images.publish(image), lambda: bool(harness.depth))
    msg = harness.depth[-1]
    assert (msg.header.stamp.sec, msg.header.stamp.nanosec, msg.header.frame_id) == (
        5,
        3,
        "camera_optical_frame",
    )
    assert (msg.encoding, msg.height, msg.width) == ("32FC1", 24, 32)
    np.testing.assert_allclose(depth_image_to_metres(msg), red_to_output(RED), rtol=1e-5)


def test_wrong_encoding_is_counted_and_the_node_keeps_serving(harness: Harness) -> None:
    bad = Image(header=_header(20), height=2, width=2, encoding="16UC1", step=4, data=bytes(8))
    good = rgb_to_image(_header(21), FRAME)
    assert rejects_then_serves(
        harness,
        lambda: harness.images.publish(bad),
        harness.diagnostics,
        lambda: harness.images.publish(good),
        lambda: any(m.header.stamp.sec == 21 for m in harness.depth),
    )


@pytest.fixture
def ros() -> Iterator[rclpy.Context]:
    """A context of its own: the DDS tests' harness holds the default one for the whole module."""
    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        yield context
    finally:
        rclpy.shutdown(context=context)


def test_every_n_frames_estimates_every_nth_image_with_its_own_stamp(ros: rclpy.Context, model: Path) -> None:
    node = DepthNode(
        context=ros,
        parameter_overrides=[Parameter("model", value=str(model)), Parameter("every_n_frames", value=3)],
    )
    published: list[Image] = []
    node._depth.publish = published.append  # the node's output, without a round trip through DDS
    try:
        for sec in range(7):
            node._on_image(rgb_to_image(_header(sec), FRAME))
        assert [m.header.stamp.sec for m in published] == [0, 3, 6]
        assert node._diagnostics.stats.counts[SKIPPED] == 4
        (changed,) = node.set_parameters([Parameter("every_n_frames", value=0)])
        assert not changed.successful  # range 1-100
    finally:
        node.destroy_node()


def test_start_fails_with_a_named_reason(ros: rclpy.Context, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="parameter model is empty"):
        DepthNode(context=ros)
    with pytest.raises(RuntimeError, match=r"depth model .*nothing.onnx: file not found"):
        DepthNode(context=ros, parameter_overrides=[Parameter("model", value=str(tmp_path / "nothing.onnx"))])
    with pytest.raises(ValueError, match="model_kind"):
        DepthNode(
            context=ros,
            parameter_overrides=[
                Parameter("model", value="x.onnx"),
                Parameter("model_kind", value="ordinal"),
            ],
        )
