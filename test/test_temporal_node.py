"""The lifter node with a temporal model, over real DDS: stable person ids and per-person windows."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from builtin_interfaces.msg import Time
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from scenes import two_people
from sensor_msgs.msg import CameraInfo, PointCloud2
from std_msgs.msg import Header
from temporal_models import make_temporal_model

from auglift_ros.nodes.lifter_node import describe
from auglift_ros.nodes.messages import cloud_person_ids, cloud_to_skeletons, keypoints_to_cloud
from auglift_ros.nodes.qos import EVERY_FRAME
from auglift_ros.runtime.models import load_lifter
from dds_helpers import node_under_test, spin_until, stream_until


class Harness(Node):
    def __init__(self) -> None:
        super().__init__("temporal_lifter_harness")
        self.keypoints = self.create_publisher(PointCloud2, "keypoints", EVERY_FRAME)
        self.info = self.create_publisher(CameraInfo, "camera_info", qos_profile_sensor_data)
        self.skeletons: list[PointCloud2] = []
        self.create_subscription(
            PointCloud2, "/lifter/skeletons", self.skeletons.append, qos_profile_sensor_data
        )


def test_track_ids_follow_people_and_windows_stay_apart(tmp_path):
    model = make_temporal_model(tmp_path / "vp_xyc.onnx", "videopose3d", "xyc", causal=True)
    camera, joints, _ = two_people(4, distance=(3.0, 4.0))
    keypoints = camera.project(joints)
    parameters = {"model": str(model), "fallback_model": "''", "track_timeout": "5.0"}
    with node_under_test("auglift_ros.nodes.lifter_node", parameters, Harness, "keypoints") as harness:

        def publish(sec: int, order: list[int]) -> None:
            header = Header(stamp=Time(sec=sec), frame_id="camera")
            info = CameraInfo(header=header, width=640, height=480, k=camera.K.reshape(-1).tolist())
            harness.info.publish(info)
            spin_until(harness, lambda: False, timeout=0.1)
            harness.keypoints.publish(keypoints_to_cloud(header, keypoints[order], np.ones((2, 17))))

        assert stream_until(harness, lambda: publish(10, [0, 1]), lambda: len(harness.skeletons) > 0)
        first = harness.skeletons[-1]
        ids = cloud_person_ids(first)
        lifted, _ = cloud_to_skeletons(first)
        left = ids[np.argmin(lifted[:, 0, 0])]  # person 0 stands on the left
        for sec in range(11, 16):  # the detector lists the two people in the other order
            assert stream_until(
                harness,
                lambda s=sec: publish(s, [1, 0]),
                lambda s=sec: any(m.header.stamp.sec == s for m in harness.skeletons),
            )
        last = next(m for m in reversed(harness.skeletons) if m.header.stamp.sec == 15)
        lifted_last, _ = cloud_to_skeletons(last)
        assert set(cloud_person_ids(last)) == set(ids)  # no new tracks: the same two people
        assert cloud_person_ids(last)[np.argmin(lifted_last[:, 0, 0])] == left
        # a still person's window holds copies of one frame: the same pose at every stamp
        np.testing.assert_allclose(np.sort(lifted_last[:, 0, 0]), np.sort(lifted[:, 0, 0]), atol=1e-4)


def test_a_symmetric_model_is_refused_at_start(tmp_path):
    model = make_temporal_model(tmp_path / "vp_sym.onnx", "videopose3d", "xyc")
    process = subprocess.run(
        [sys.executable, "-m", "auglift_ros.nodes.lifter_node", "--ros-args", "-p", f"model:={model}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 1
    assert "vp_sym.onnx" in process.stderr and "look-ahead" in process.stderr
    assert "Traceback" not in process.stderr


@pytest.mark.parametrize("bad", ["0.0", "-1.0"])
def test_bad_tracking_parameters_stop_the_node_with_their_name(bad):
    process = subprocess.run(
        [sys.executable, "-m", "auglift_ros.nodes.lifter_node", "--ros-args", "-p", f"track_timeout:={bad}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 1 and "track_timeout" in process.stderr


def test_the_start_up_log_names_each_models_window():
    assert describe(load_lifter("auglift_xyc")) == "auglift_xyc.onnx"
    assert describe(load_lifter("auglift_temporal_uadd")) == (
        "auglift_temporal_uadd.onnx (motionbert, 27-frame window, "
        "publishes the newest of the frames it predicts)"
    )
