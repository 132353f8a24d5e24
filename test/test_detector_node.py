"""The detector node over real DDS, in its own process: the mediapipe backend on a real photograph,
the rtmpose_onnx backend on a drawn scene with small ONNX models (test_rtmpose); start-up checks in
this process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import matplotlib.cbook
import matplotlib.image
import numpy as np
import pytest
import rclpy
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image, PointCloud2
from std_msgs.msg import Header

from auglift_ros.core.skeleton import H36M_JOINT_NAMES
from auglift_ros.nodes.detector_node import DetectorNode
from auglift_ros.nodes.messages import cloud_to_keypoints, rgb_to_image
from dds_helpers import node_under_test, rejects_then_serves, start_node_process, stream_until
from rtmpose_models import expected_scene, scene, write_person_detector, write_pose_model

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
def rtmpose_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("detector_node")
    return write_person_detector(folder / "det.onnx"), write_pose_model(folder / "pose.onnx")


@pytest.fixture(scope="module")
def harness(request: pytest.FixtureRequest, rtmpose_models: tuple[Path, Path]) -> Iterator[Harness]:
    """The node with the backend the test names (indirect parameter): pytest ends one backend's node
    before starting the other's, so only one publishes /detector/keypoints at a time."""
    parameters = {"backend": request.param, "diagnostics_period": "0.2"}
    if request.param == "mediapipe":
        parameters["tracking"] = "false"
    else:
        parameters.update(det_model=str(rtmpose_models[0]), pose_model=str(rtmpose_models[1]))
    with node_under_test("auglift_ros.nodes.detector_node", parameters, Harness, "image") as node:
        yield node


MEDIAPIPE = pytest.mark.parametrize("harness", ["mediapipe"], indirect=True)
RTMPOSE_ONNX = pytest.mark.parametrize("harness", ["rtmpose_onnx"], indirect=True)


def _header(sec: int) -> Header:
    return Header(stamp=Time(sec=sec, nanosec=7), frame_id="camera_optical_frame")


@MEDIAPIPE
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


@MEDIAPIPE
def test_wrong_encoding_is_counted_and_the_node_keeps_serving(harness: Harness) -> None:
    bad = Image(header=_header(20), height=2, width=2, encoding="32FC1", step=8, data=bytes(16))
    good = rgb_to_image(_header(21), PORTRAIT)
    assert rejects_then_serves(
        harness,
        lambda: harness.images.publish(bad),
        harness.diagnostics,
        lambda: harness.images.publish(good),
        lambda: any(m.header.stamp.sec == 21 for m in harness.keypoints),
    )


@RTMPOSE_ONNX
def test_rtmpose_backend_publishes_every_person_with_the_image_stamp(harness: Harness) -> None:
    image = rgb_to_image(_header(30), scene())
    assert stream_until(
        harness,
        lambda: harness.images.publish(image),
        lambda: any(m.header.stamp.sec == 30 for m in harness.keypoints),
    )
    msg = next(m for m in harness.keypoints if m.header.stamp.sec == 30)
    assert (msg.header.stamp.nanosec, msg.header.frame_id) == (7, "camera_optical_frame")
    keypoints, confidence = cloud_to_keypoints(msg)
    expected_keypoints, expected_confidence = expected_scene()
    np.testing.assert_allclose(keypoints, expected_keypoints, atol=1e-4)  # the cloud holds float32
    np.testing.assert_allclose(confidence, expected_confidence, atol=1e-5)


def test_rtmpose_backend_does_not_start_without_its_models(
    rtmpose_models: tuple[Path, Path], tmp_path: Path
) -> None:
    context = rclpy.Context()  # the DDS tests' harness may hold the default one
    rclpy.init(context=context)
    try:
        with pytest.raises(ValueError, match="parameter det_model is empty: backend rtmpose_onnx needs"):
            DetectorNode(context=context, parameter_overrides=[Parameter("backend", value="rtmpose_onnx")])
    finally:
        rclpy.shutdown(context=context)
    # As a process: one line naming the missing file, exit status 1, no traceback.
    missing = tmp_path / "nothing.onnx"
    process = start_node_process(
        "auglift_ros.nodes.detector_node",
        {"backend": "rtmpose_onnx", "det_model": str(rtmpose_models[0]), "pose_model": str(missing)},
    )
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 1 and "Traceback" not in output, output
    assert f"detector: cannot start: pose model {missing}: file not found" in output
