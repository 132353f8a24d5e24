"""Message <-> array conversions of the nodes (real ROS 2 message classes, no DDS needed)."""

from __future__ import annotations

import numpy as np
import pytest
from builtin_interfaces.msg import Time
from sensor_msgs.msg import CameraInfo, Image, PointCloud2
from std_msgs.msg import Header
from visualization_msgs.msg import Marker

from auglift_ros.core.skeleton import H36M_BONES
from auglift_ros.nodes.messages import (
    MessageError,
    camera_info_message,
    camera_matrix,
    cloud_to_keypoints,
    cloud_to_skeletons,
    depth_image_to_metres,
    distortion_coefficients,
    keypoints_to_cloud,
    metres_to_depth_image,
    skeleton_markers,
    skeletons_to_cloud,
)

HEADER = Header(stamp=Time(sec=12, nanosec=345), frame_id="camera_color_optical_frame")


def test_keypoint_and_skeleton_clouds_round_trip() -> None:
    rng = np.random.default_rng(0)
    keypoints = rng.uniform(0, 640, (3, 17, 2)).astype(np.float32)
    keypoints[1, 4] = np.nan  # an undetected joint stays undetected
    confidence = rng.uniform(0, 1, (3, 17)).astype(np.float32)
    msg = keypoints_to_cloud(HEADER, keypoints, confidence)
    assert [f.name for f in msg.fields] == ["u", "v", "confidence", "person_id", "joint_id"]
    assert msg.width == 51 and msg.header.frame_id == HEADER.frame_id
    back, back_conf = cloud_to_keypoints(msg)
    np.testing.assert_array_equal(back, keypoints)
    np.testing.assert_array_equal(back_conf, confidence)
    joints = rng.normal(size=(2, 17, 3)).astype(np.float32)
    joints_back, _ = cloud_to_skeletons(skeletons_to_cloud(HEADER, joints, np.ones((2, 17))))
    np.testing.assert_array_equal(joints_back, joints)
    empty, empty_conf = cloud_to_keypoints(
        keypoints_to_cloud(HEADER, np.zeros((0, 17, 2)), np.zeros((0, 17)))
    )
    assert empty.shape == (0, 17, 2) and empty_conf.shape == (0, 17)


def test_malformed_clouds_are_named() -> None:
    msg = keypoints_to_cloud(HEADER, np.zeros((1, 17, 2)), np.ones((1, 17)))
    with pytest.raises(MessageError, match="lacks field"):
        cloud_to_skeletons(msg)
    truncated = PointCloud2(
        header=msg.header,
        height=1,
        width=msg.width,
        fields=msg.fields,
        point_step=msg.point_step,
        row_step=msg.row_step,
        data=bytes(msg.data)[:-4],
    )
    with pytest.raises(MessageError, match="bytes"):
        cloud_to_keypoints(truncated)
    with pytest.raises(MessageError, match="joint_id"):
        cloud_to_keypoints(msg, num_joints=10)


def _image(encoding: str, values: np.ndarray, pad: int = 0) -> Image:
    height, width = values.shape
    rows = np.zeros((height, values.itemsize * width + pad), np.uint8)
    rows[:, : values.itemsize * width] = values.view(np.uint8).reshape(height, -1)
    return Image(
        height=height,
        width=width,
        encoding=encoding,
        step=rows.shape[1],
        data=rows.tobytes(),
        is_bigendian=False,
    )


def test_depth_images_in_metres_and_millimetres() -> None:
    millimetres = np.array([[1500, 0], [2250, 65535]], dtype="<u2")
    np.testing.assert_allclose(
        depth_image_to_metres(_image("16UC1", millimetres, pad=4)), [[1.5, np.nan], [2.25, 65.535]], rtol=1e-6
    )
    metres = np.array([[1.5, np.nan], [-1.0, 3.0]], dtype="<f4")
    np.testing.assert_allclose(depth_image_to_metres(_image("32FC1", metres)), [[1.5, np.nan], [np.nan, 3.0]])
    with pytest.raises(MessageError, match="encoding 'rgb8'"):
        depth_image_to_metres(_image("rgb8", np.zeros((2, 2), np.uint8)))
    short = _image("32FC1", metres)
    short.data = bytes(short.data)[:-1]
    with pytest.raises(MessageError, match="bytes"):
        depth_image_to_metres(short)


def test_depth_maps_written_in_either_encoding_read_back() -> None:
    metres = np.array([[1.5, np.nan], [2.2504, 80.0]])
    millimetres = metres_to_depth_image(HEADER, metres, "16UC1")
    assert (millimetres.encoding, millimetres.step) == ("16UC1", 4)
    # NaN -> 0 (no reading) -> NaN; 1 mm steps; beyond 65.535 m saturates.
    np.testing.assert_allclose(depth_image_to_metres(millimetres), [[1.5, np.nan], [2.25, 65.535]], rtol=1e-6)
    np.testing.assert_allclose(
        depth_image_to_metres(metres_to_depth_image(HEADER, metres)), metres, rtol=1e-6
    )
    with pytest.raises(MessageError, match="32FC1 or 16UC1"):
        metres_to_depth_image(HEADER, metres, "mono16")


def test_camera_info_message_carries_intrinsics_and_distortion() -> None:
    k = np.array([[500.0, 0.0, 319.5], [0.0, 510.0, 239.5], [0.0, 0.0, 1.0]])
    info = camera_info_message(HEADER, k, 640, 480, [0.1, -0.2, 0.001, 0.002, 0.0])
    np.testing.assert_array_equal(camera_matrix(info), k)
    assert (info.width, info.height, info.distortion_model) == (640, 480, "plumb_bob")
    assert list(info.d) == [0.1, -0.2, 0.001, 0.002, 0.0]
    assert list(info.p) == [500.0, 0.0, 319.5, 0.0, 0.0, 510.0, 239.5, 0.0, 0.0, 0.0, 1.0, 0.0]


def test_camera_matrix_requires_intrinsics() -> None:
    info = CameraInfo(k=[500.0, 0.0, 320.0, 0.0, 500.0, 240.0, 0.0, 0.0, 1.0])
    assert camera_matrix(info)[0, 2] == 320.0
    with pytest.raises(MessageError, match="intrinsics"):
        camera_matrix(CameraInfo())
    with pytest.raises(MessageError, match=r"non-finite values: \[nan"):
        camera_matrix(CameraInfo(k=[np.nan, 0.0, 320.0, 0.0, 500.0, 240.0, 0.0, 0.0, 1.0]))


def test_distortion_coefficients_of_a_camera_info() -> None:
    k = np.array([[500.0, 0.0, 319.5], [0.0, 510.0, 239.5], [0.0, 0.0, 1.0]])
    coefficients = [0.1, -0.2, 0.001, 0.002, 0.0]
    np.testing.assert_array_equal(
        distortion_coefficients(camera_info_message(HEADER, k, 640, 480, coefficients)), coefficients
    )
    assert distortion_coefficients(camera_info_message(HEADER, k, 640, 480, [0.0] * 5)) is None  # rectified
    assert distortion_coefficients(CameraInfo()) is None  # no distortion given
    fisheye = CameraInfo(distortion_model="equidistant", d=[0.1, 0.01, 0.0, 0.0])
    with pytest.raises(MessageError, match="'equidistant' is not supported"):
        distortion_coefficients(fisheye)
    with pytest.raises(MessageError, match="plumb_bob needs 5 finite coefficients"):
        distortion_coefficients(CameraInfo(distortion_model="plumb_bob", d=[0.1, 0.2]))


def test_markers_hold_joints_and_bones_per_person() -> None:
    joints = np.zeros((2, 17, 3))
    joints[..., 2] = 3.0
    joints[1, 16] = np.nan  # right wrist missing: its bone is left out
    markers = skeleton_markers(HEADER, joints, np.array([0, 7]), lifetime_s=0.25).markers
    assert [(m.id, m.type) for m in markers] == [
        (0, Marker.SPHERE_LIST),
        (1, Marker.LINE_LIST),
        (14, Marker.SPHERE_LIST),
        (15, Marker.LINE_LIST),
    ]
    assert len(markers[0].points) == 17 and len(markers[1].points) == 2 * len(H36M_BONES)
    assert len(markers[2].points) == 16 and len(markers[3].points) == 2 * (len(H36M_BONES) - 1)
    assert markers[0].lifetime.nanosec == 250_000_000 and markers[0].header.stamp.sec == 12
    assert markers[0].color != markers[2].color


def test_colour_images_to_rgb() -> None:
    from auglift_ros.nodes.messages import image_to_rgb, rgb_to_image

    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    np.testing.assert_array_equal(image_to_rgb(rgb_to_image(HEADER, rgb)), rgb)
    bgr = _image("bgr8", rgb[..., ::-1].copy().view(np.uint8).reshape(2, -1), pad=2)
    bgr.width = 3
    np.testing.assert_array_equal(image_to_rgb(bgr), rgb)
    mono = _image("mono8", np.array([[0, 128], [255, 7]], np.uint8))
    assert image_to_rgb(mono)[1, 0].tolist() == [255, 255, 255]
    with pytest.raises(MessageError, match="encoding '32FC1'"):
        image_to_rgb(_image("32FC1", np.zeros((2, 2), "<f4")))
