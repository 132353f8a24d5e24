"""`auglift-ros pipeline` end to end over DDS: a real photograph in, 3D skeletons out, clean stop; with
depth from an RGB-D camera topic, and with depth from the depth node (a wall-at-2-m ONNX model)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import matplotlib.cbook
import matplotlib.image
import numpy as np
import pytest
import rclpy
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, Image, PointCloud2
from std_msgs.msg import Header

from auglift_ros.core.skeleton import H36M_JOINT_NAMES, H36M_ROOT
from auglift_ros.nodes.messages import cloud_to_skeletons, metres_to_depth_image, rgb_to_image
from dds_helpers import spin_until, start_process, stop_process, stream_until
from depth_models import ConstantDepth, write_depth_model

# Half size (256 x 300): large best-effort messages are often dropped on a loaded machine, and the
# detector still finds her (shoulder confidence 1.0 at this size).
PORTRAIT = np.ascontiguousarray(
    matplotlib.image.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))[::2, ::2]
)
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
        self.keypoints: list[PointCloud2] = []
        self.diagnostics: list[DiagnosticArray] = []
        self.create_subscription(
            PointCloud2, "/lifter/skeletons", self.skeletons.append, qos_profile_sensor_data
        )
        self.create_subscription(
            PointCloud2, "/detector/keypoints", self.keypoints.append, qos_profile_sensor_data
        )
        self.create_subscription(DiagnosticArray, "/diagnostics", self.diagnostics.append, 10)

    def lifted_with_depth(self) -> bool:
        return any(
            kv.key == "lifted with depth" for a in self.diagnostics for s in a.status for kv in s.values
        )

    def report(self) -> str:
        statuses = [
            f"{s.name}: {s.message} {[(kv.key, kv.value) for kv in s.values]}"
            for a in self.diagnostics[-4:]
            for s in a.status
        ]
        counts = f"{len(self.keypoints)} keypoint and {len(self.skeletons)} skeleton messages"
        return f"{counts}; diagnostics: {statuses}"

    def publish_frame(self, sec: int, *, with_depth: bool) -> None:
        header = Header(stamp=Time(sec=sec), frame_id="camera_color_optical_frame")
        k = [250.0, 0.0, (WIDTH - 1) / 2, 0.0, 250.0, (HEIGHT - 1) / 2, 0.0, 0.0, 1.0]
        self.info.publish(CameraInfo(header=header, width=WIDTH, height=HEIGHT, k=k))
        if with_depth:
            self.depth.publish(metres_to_depth_image(header, np.full((HEIGHT, WIDTH), WALL_M)))
        spin_until(self, lambda: False, timeout=0.1)
        self.image.publish(rgb_to_image(header, PORTRAIT))


@pytest.fixture(scope="module", params=["camera", "node"])
def pipeline(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[subprocess.Popen, Camera, str]]:
    options = ["--image-topic", "/test/image", "--camera-info-topic", "/test/camera_info"]
    if request.param == "camera":
        options += ["--depth-topic", "/test/depth"]
    else:
        model = tmp_path_factory.mktemp("pipeline") / "wall.onnx"
        write_depth_model(model, network=ConstantDepth(WALL_M))
        options += ["--depth-source", "node", "--depth-model", str(model), "--depth-every-n-frames", "2"]
    runner = start_process([sys.executable, "-m", "auglift_ros.commands.main", "pipeline", *options])
    rclpy.init()
    camera = Camera()
    try:
        yield runner, camera, request.param
    finally:
        camera.destroy_node()
        rclpy.shutdown()
        if runner.poll() is None:  # the test failed before it stopped the runner
            stop_process(runner)


def test_photograph_to_skeleton_through_the_nodes_then_clean_stop(
    pipeline: tuple[subprocess.Popen, Camera, str],
) -> None:
    runner, camera, depth_source = pipeline

    def publish() -> None:
        camera.publish_frame(sec=42, with_depth=depth_source == "camera")

    # The first frames may be lifted before any depth image arrived (the fallback); stream until the
    # lifter reports a frame lifted with depth, then check the skeleton that follows it.
    arrived = stream_until(camera, publish, camera.lifted_with_depth, timeout=60)
    count = len(camera.skeletons)
    arrived = arrived and stream_until(camera, publish, lambda: len(camera.skeletons) > count)
    if not arrived:
        pytest.fail(f"{camera.report()}\npipeline output:\n" + stop_process(runner))
    msg = camera.skeletons[-1]
    assert (msg.header.stamp.sec, msg.header.frame_id) == (42, "camera_color_optical_frame")
    joints, confidence = cloud_to_skeletons(msg)
    assert joints.shape == (1, 17, 3)
    shoulders = [H36M_JOINT_NAMES.index("left_shoulder"), H36M_JOINT_NAMES.index("right_shoulder")]
    assert (confidence[0, shoulders] > 0.9).all()
    # The person is placed at the depth image's 2 m (plus the surface-to-centre offset).
    assert 1.8 < joints[0, H36M_ROOT, 2] < 2.5
    output = stop_process(runner)
    assert runner.returncode == 0, output
    assert "started detector" in output and "started lifter" in output and "stopping" in output
    assert ("started depth" in output) == (depth_source == "node")
