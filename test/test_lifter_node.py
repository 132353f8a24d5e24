"""The lifter node over real DDS, in its own process: good frames, bad frames, and missing depth."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from scenes import two_people
from sensor_msgs.msg import CameraInfo, Image, PointCloud2
from std_msgs.msg import Header
from visualization_msgs.msg import MarkerArray

from auglift_ros.core.camera import PinholeCamera
from auglift_ros.core.skeleton import H36M_ROOT
from auglift_ros.nodes.messages import cloud_to_skeletons, keypoints_to_cloud
from auglift_ros.nodes.qos import EVERY_FRAME
from dds_helpers import node_under_test, spin_until, stream_until

FRAME = "camera_optical_frame"


def _scene() -> tuple[PinholeCamera, np.ndarray, np.ndarray]:
    return two_people(4, distance=(3.0, 4.0))


def _header(sec: int) -> Header:
    return Header(stamp=Time(sec=sec, nanosec=0), frame_id=FRAME)


class Harness(Node):
    """The test's side of the graph: camera, detector and depth stand-ins, and output listeners."""

    def __init__(self) -> None:
        super().__init__("lifter_test_harness")
        self.model = ""  # the node's depth model
        self.keypoints = self.create_publisher(PointCloud2, "keypoints", EVERY_FRAME)
        self.depth = self.create_publisher(Image, "depth", qos_profile_sensor_data)
        self.info = self.create_publisher(CameraInfo, "camera_info", qos_profile_sensor_data)
        self.skeletons: list[PointCloud2] = []
        self.markers: list[MarkerArray] = []
        self.diagnostics: list[DiagnosticArray] = []
        self.create_subscription(
            PointCloud2, "/lifter/skeletons", self.skeletons.append, qos_profile_sensor_data
        )
        self.create_subscription(MarkerArray, "/lifter/markers", self.markers.append, 10)
        self.create_subscription(DiagnosticArray, "/diagnostics", self.diagnostics.append, 10)


@pytest.fixture(scope="module", params=["auglift_uadd", "auglift_temporal_uadd"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    """The node with each shipped depth model: single-frame, and temporal (windows per tracked person)."""
    with node_under_test(
        "auglift_ros.nodes.lifter_node",
        {"model": request.param, "max_depth_age": "0.05", "diagnostics_period": "0.2"},
        Harness,
        "keypoints",
    ) as node:
        node.model = request.param
        yield node


def _publish_frame(
    node: Harness, camera: PinholeCamera, joints: np.ndarray, depth: np.ndarray | None, sec: int
) -> None:
    info = CameraInfo(
        header=_header(sec), width=camera.width, height=camera.height, k=camera.K.reshape(-1).tolist()
    )
    node.info.publish(info)
    if depth is not None:
        node.depth.publish(
            Image(
                header=_header(sec),
                height=depth.shape[0],
                width=depth.shape[1],
                encoding="32FC1",
                step=4 * depth.shape[1],
                data=depth.astype("<f4").tobytes(),
            )
        )
    spin_until(node, lambda: False, timeout=0.2)  # let camera_info and depth arrive first
    node.keypoints.publish(
        keypoints_to_cloud(_header(sec), camera.project(joints), np.ones(joints.shape[:2]))
    )


def _lifted_with_depth(harness: Harness) -> bool:
    return any(
        kv.key == "lifted with depth" for a in harness.diagnostics for s in a.status for kv in s.values
    )


def test_skeletons_arrive_with_the_input_stamp_in_place(harness: Harness) -> None:
    camera, joints, depth = _scene()
    # Until the node has a depth image it lifts without one (the fallback); stream until it has.
    assert stream_until(
        harness,
        lambda: _publish_frame(harness, camera, joints, depth, sec=100),
        lambda: _lifted_with_depth(harness),
    )
    count = len(harness.skeletons)
    assert stream_until(
        harness,
        lambda: _publish_frame(harness, camera, joints, depth, sec=100),
        lambda: len(harness.skeletons) > count,
    )
    msg = harness.skeletons[-1]
    lifted, _ = cloud_to_skeletons(msg)
    assert (msg.header.stamp.sec, msg.header.frame_id) == (100, FRAME) and lifted.shape == (2, 17, 3)
    # With depth the pelvis lands near the truth (one person half hides the other here); measured
    # 12.6 cm single-frame, 19.0 cm temporal (MotionBERT, a person standing perfectly still).
    tolerance = {"auglift_uadd": 0.15, "auglift_temporal_uadd": 0.25}[harness.model]
    assert np.linalg.norm(lifted[:, H36M_ROOT] - joints[:, H36M_ROOT], axis=-1).max() < tolerance
    assert spin_until(
        harness, lambda: any(m.markers and m.markers[0].header.stamp.sec == 100 for m in harness.markers)
    )


def test_bad_frames_are_counted_and_the_node_keeps_serving(harness: Harness) -> None:
    camera, joints, depth = _scene()
    bad = keypoints_to_cloud(_header(200), camera.project(joints), np.ones((2, 17)))
    bad.fields = bad.fields[1:]  # no "u" field

    def rejected() -> bool:
        return any(
            kv.key.startswith("rejected") and int(kv.value) >= 1
            for array in harness.diagnostics
            for status in array.status
            for kv in status.values
        )

    assert stream_until(harness, lambda: harness.keypoints.publish(bad), rejected)
    assert stream_until(
        harness,
        lambda: _publish_frame(harness, camera, joints, depth, sec=201),
        lambda: any(m.header.stamp.sec == 201 for m in harness.skeletons),
    )


def test_stale_depth_switches_to_the_fallback_and_says_so(harness: Harness) -> None:
    camera, joints, _ = _scene()
    assert stream_until(
        harness,  # no depth for t = 300; the newest is from t = 201: too old
        lambda: _publish_frame(harness, camera, joints, None, sec=300),
        lambda: any(m.header.stamp.sec == 300 for m in harness.skeletons),
    )
    assert spin_until(
        harness, lambda: any("without depth" in s.message for a in harness.diagnostics[-3:] for s in a.status)
    )


def test_out_of_order_keypoints_are_rejected(harness: Harness) -> None:
    camera, joints, depth = _scene()

    def rejected_out_of_order() -> bool:
        keys = {kv.key for a in harness.diagnostics for s in a.status for kv in s.values}
        return "rejected: OutOfOrderStampError" in keys

    before = len(harness.skeletons)
    assert stream_until(
        harness, lambda: _publish_frame(harness, camera, joints, depth, sec=250), rejected_out_of_order
    )
    assert not any(m.header.stamp.sec == 250 for m in harness.skeletons[before:])  # after t = 300: dropped
