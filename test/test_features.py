"""Feature sets, normalisation, box rescaling, missing-depth fill and codec round trips."""

import json

import numpy as np
import pytest

from auglift_ros.core.features import (
    DEPTH_CHANNELS,
    NO_INFORMATION,
    FeatureCodec,
    drop_channels,
    mean_box_size,
    rescale_to_box_size,
)
from auglift_ros.core.uadd import UaddParams

IMAGE = (640, 480)


def detections(persons: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform([100, 50], [540, 430], (persons, 17, 2)), rng.uniform(0, 1, (persons, 17))


@pytest.mark.parametrize(("feature_set", "width"), [("xy", 2), ("xyc", 3), ("xycd", 4), ("uadd", 6)])
def test_feature_set_widths(feature_set: str, width: int) -> None:
    kp, conf = detections()
    codec = FeatureCodec(feature_set=feature_set)
    depth = codec.sample_depth(np.full((480, 640), 3.0), kp, conf) if codec.uses_depth else None
    features = codec.encode(kp, conf, IMAGE, depth)
    assert features.shape == (2, 17, width) and features.dtype == np.float32
    assert codec.channels[:2] == ("x", "y")


def test_hand_computed_normalisation() -> None:
    kp = np.zeros((1, 17, 2))
    kp[0, 0] = (320, 240)  # image centre -> (0, 0)
    kp[0, 1] = (640, 480)  # bottom-right corner -> (1, 0.75): both axes divided by w/2
    kp[0, 2] = (0, 0)
    conf = np.full((1, 17), 0.5)
    conf[0, 1], conf[0, 2] = 1.0, 0.0
    descriptors = np.zeros((1, 17, 3))
    descriptors[0] = 3.0
    descriptors[0, 0] = (2.5, 2.2, 4.0)  # nearest joint: d_min - d = -0.3, d_max - d = 1.5 -> clipped 1
    descriptors[0, 1] = (5.0, 5.0, 5.0)  # 2.5 m behind the nearest joint -> clipped to 2
    f = FeatureCodec(feature_set="uadd").encode(kp, conf, IMAGE, descriptors)
    np.testing.assert_allclose(f[0, 0], [0.0, 0.0, 0.0, 0.0, -0.3, 1.0], atol=1e-6)
    np.testing.assert_allclose(f[0, 1], [1.0, 0.75, 1.0, 2.0, 0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(f[0, 2], [-1.0, -0.75, -1.0, 0.5, 0.0, 0.0], atol=1e-6)


def test_root_relative_depth() -> None:
    kp, conf = detections(1)
    d = np.linspace(2.0, 6.0, 17)[None]
    f = FeatureCodec(feature_set="xycd", depth_reference="root").encode(kp, conf, IMAGE, d)
    np.testing.assert_allclose(f[0, :, 3], np.clip(d[0] - 2.0, -2, 2), atol=1e-6)


def test_missing_depth_and_missing_keypoints_get_defined_fill() -> None:
    kp, conf = detections(1)
    kp[0, 5] = np.nan
    descriptors = np.full((1, 17, 3), 3.0)
    descriptors[0, 7] = np.nan
    codec = FeatureCodec(feature_set="uadd")
    f = codec.encode(kp, conf, IMAGE, descriptors)
    assert np.isfinite(f).all()
    np.testing.assert_array_equal(f[0, 7, 3:], NO_INFORMATION)
    np.testing.assert_array_equal(f[0, 5, :3], [NO_INFORMATION, NO_INFORMATION, -1.0])
    no_depth = codec.encode(kp, conf, IMAGE, None)
    np.testing.assert_array_equal(no_depth[..., 3:], NO_INFORMATION)
    np.testing.assert_array_equal(no_depth[..., :3], f[..., :3])
    all_nan = codec.encode(kp, conf, IMAGE, np.full((1, 17, 3), np.nan))
    np.testing.assert_array_equal(all_nan[..., 3:], NO_INFORMATION)


def test_depth_features_are_invariant_to_a_global_depth_shift() -> None:
    # min-relative depth and depth spreads do not change when the person moves 1 m further away
    kp, conf = detections(1)
    rng = np.random.default_rng(4)
    point = rng.uniform(3, 4, (1, 17))
    descriptors = np.stack([point, point - 0.1, point + 0.2], axis=-1)
    codec = FeatureCodec(feature_set="uadd")
    near = codec.encode(kp, conf, IMAGE, descriptors)
    far = codec.encode(kp, conf, IMAGE, descriptors + 1.0)
    np.testing.assert_allclose(near, far, atol=1e-6)


def test_xy_round_trip() -> None:
    kp, conf = detections(3)
    codec = FeatureCodec(feature_set="xyc")
    np.testing.assert_allclose(codec.decode_xy(codec.encode(kp, conf, IMAGE), IMAGE), kp, atol=1e-4)


def test_box_rescaling() -> None:
    kp, _ = detections(2)
    rescaled, scale = rescale_to_box_size(kp, 150.0)
    width = rescaled.max(axis=1) - rescaled.min(axis=1)
    np.testing.assert_allclose(width.mean(axis=-1), 150.0)
    np.testing.assert_allclose(rescaled.mean(axis=1), kp.mean(axis=1))  # centroid stays
    # undoing the scale about the centroid recovers the input
    centroid = kp.mean(axis=1, keepdims=True)
    np.testing.assert_allclose((rescaled - centroid) / scale[:, None, None] + centroid, kp)
    # a person twice as large gets half the scale; the features are then identical
    big = 2.0 * (kp - centroid) + centroid
    np.testing.assert_allclose(rescale_to_box_size(big, 150.0)[1], scale / 2.0)
    codec = FeatureCodec(feature_set="xy", box_rescale=True, train_box_size=150.0)
    conf = np.ones((2, 17))
    np.testing.assert_allclose(codec.encode(big, conf, IMAGE), codec.encode(kp, conf, IMAGE), atol=1e-5)
    assert mean_box_size(kp) == pytest.approx(float((kp.max(1) - kp.min(1)).mean()))


def test_box_rescaling_ignores_missing_joints_and_degenerate_boxes() -> None:
    kp, _ = detections(2)
    kp[0, 3] = np.nan
    kp[1] = 10.0  # all joints on one pixel
    rescaled, scale = rescale_to_box_size(kp, 150.0)
    assert scale[1] == 1.0 and np.isfinite(scale[0])
    assert np.isnan(rescaled[0, 3]).all() and np.isfinite(np.delete(rescaled[0], 3, axis=0)).all()


def test_codec_serialises_to_json_and_back() -> None:
    codec = FeatureCodec(
        feature_set="uadd", box_rescale=True, train_box_size=210.5, uadd=UaddParams(k=0.05, r_max=20.0)
    )
    assert FeatureCodec.from_dict(json.loads(json.dumps(codec.to_dict()))) == codec


def test_codec_validation() -> None:
    with pytest.raises(ValueError, match="unknown feature set"):
        FeatureCodec(feature_set="xyz")
    with pytest.raises(ValueError, match="train_box_size"):
        FeatureCodec(box_rescale=True)
    with pytest.raises(ValueError, match="depth inputs"):
        FeatureCodec(feature_set="uadd").encode(*detections(1), IMAGE, np.ones((1, 17)))
    with pytest.raises(ValueError, match="uses no depth"):
        FeatureCodec(feature_set="xyc").sample_depth(np.ones((4, 4)), *detections(1))


def test_channel_dropout_zeroes_whole_persons_channels() -> None:
    codec = FeatureCodec(feature_set="uadd")
    features = np.ones((1000, 17, 6), np.float32)
    mask = codec.channel_mask(DEPTH_CHANNELS)
    out = drop_channels(features, mask, 0.3, np.random.default_rng(0))
    dropped = (out[:, :, 3:] == NO_INFORMATION).all(axis=(1, 2))
    assert 0.25 < dropped.mean() < 0.35
    np.testing.assert_array_equal(out[:, :, :3], 1.0)
    assert set(np.unique(out[:, :, 3:])) <= {0.0, 1.0}
    assert not (out[~dropped, :, 3:] == 0).any()
    np.testing.assert_array_equal(features, 1.0)  # input untouched


# --- the camera-invariant input frame (perspective crop) ------------------------------------------


def _person(seed: int = 0, offset: tuple[float, float, float] = (0.8, -0.3, 4.0)) -> np.ndarray:
    """(1, 17, 3) a random pose in a camera frame, pelvis at offset (off the optical axis)."""
    from auglift_ros.mocap.generated import random_poses

    pose = random_poses(1, np.random.default_rng(seed))
    return pose * np.array([1.0, -1.0, -1.0]) + np.array(offset)  # y up -> optical frame (y down)


def _project(points: np.ndarray, k: np.ndarray) -> np.ndarray:
    uvw = points @ k.T
    return uvw[..., :2] / uvw[..., 2:]


def _matrix(f: float, cx: float, cy: float) -> np.ndarray:
    return np.array([[f, 0.0, cx], [0.0, f, cy], [0.0, 0.0, 1.0]])


def test_perspective_crop_ignores_image_size_focal_length_and_principal_point() -> None:
    codec = FeatureCodec(feature_set="xyc", input_frame="perspective_crop")
    joints = _person()
    confidence = np.ones((1, 17))
    landscape = _matrix(500.0, 319.5, 239.5)
    portrait_4k = _matrix(2900.0, 1080.0, 1920.0)
    a = codec.encode(_project(joints, landscape), confidence, (640, 480), camera_matrix=landscape)
    b = codec.encode(_project(joints, portrait_4k), confidence, (2160, 3840), camera_matrix=portrait_4k)
    np.testing.assert_allclose(a, b, atol=1e-5)
    # The image frame does depend on them (what the shipped models suffered from on portrait footage).
    image = FeatureCodec(feature_set="xyc")
    assert (
        np.abs(
            image.encode(_project(joints, landscape), confidence, (640, 480))
            - image.encode(_project(joints, portrait_4k), confidence, (2160, 3840))
        ).max()
        > 0.1
    )


def test_perspective_crop_is_centred_on_the_pelvis_with_unit_spread() -> None:
    codec = FeatureCodec(feature_set="xy", input_frame="perspective_crop")
    k = _matrix(600.0, 320.0, 240.0)
    features = codec.encode(_project(_person(1), k), np.ones((1, 17)), (640, 480), camera_matrix=k)
    np.testing.assert_allclose(features[0, 0], 0.0, atol=1e-6)
    np.testing.assert_allclose(np.sqrt((features[0] ** 2).sum(axis=-1).mean()), 1.0, atol=1e-5)


def test_perspective_crop_hand_computed_on_the_optical_axis() -> None:
    """Pelvis on the optical axis: the virtual camera is the real one, features are (u - cx) / f / s."""
    codec = FeatureCodec(feature_set="xy", input_frame="perspective_crop")
    k = _matrix(100.0, 50.0, 40.0)
    keypoints = np.full((1, 17, 2), np.nan)
    keypoints[0, 0] = (50.0, 40.0)  # pelvis at the principal point
    keypoints[0, 1] = (53.0, 40.0)  # 0.03 right
    keypoints[0, 2] = (50.0, 36.0)  # 0.04 up
    np.testing.assert_allclose(codec.view_rotation(keypoints, k)[0], np.eye(3), atol=1e-12)
    features = codec.encode(keypoints, np.ones((1, 17)), (100, 80), camera_matrix=k)
    spread = np.sqrt((0.03**2 + 0.04**2) / 3)  # RMS over the three detected joints
    np.testing.assert_allclose(features[0, :3], [[0, 0], [0.03 / spread, 0], [0, -0.04 / spread]], atol=1e-6)
    np.testing.assert_array_equal(features[0, 3:], NO_INFORMATION)  # missing joints


def test_perspective_crop_follows_a_panning_camera() -> None:
    """Turning the camera about its vertical axis moves the person in the image but not in the crop."""
    codec = FeatureCodec(feature_set="xy", input_frame="perspective_crop")
    k = _matrix(500.0, 320.0, 240.0)
    joints = _person(2, offset=(0.0, 0.2, 5.0))
    angle = np.deg2rad(25.0)
    pan = np.array([[np.cos(angle), 0, -np.sin(angle)], [0, 1, 0], [np.sin(angle), 0, np.cos(angle)]])
    panned = joints @ pan.T
    a = codec.encode(_project(joints, k), np.ones((1, 17)), (640, 480), camera_matrix=k)
    b = codec.encode(_project(panned, k), np.ones((1, 17)), (640, 480), camera_matrix=k)
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_pose_round_trip_through_the_virtual_camera() -> None:
    codec = FeatureCodec(feature_set="xy", input_frame="perspective_crop")
    k = _matrix(500.0, 320.0, 240.0)
    joints = np.concatenate([_person(3), _person(4, offset=(-1.5, 0.5, 3.0))])
    rotation = codec.view_rotation(_project(joints, k), k)
    np.testing.assert_allclose(
        rotation @ np.swapaxes(rotation, 1, 2), np.broadcast_to(np.eye(3), (2, 3, 3)), atol=1e-12
    )
    # The pelvis ray becomes the virtual optical axis.
    pelvis = joints[:, 0] / np.linalg.norm(joints[:, 0], axis=-1, keepdims=True)
    np.testing.assert_allclose(np.einsum("pij,pj->pi", rotation, pelvis), [[0, 0, 1]] * 2, atol=1e-9)
    relative = joints - joints[:, :1]
    encoded = codec.encode_pose(relative, rotation)
    assert np.abs(encoded - relative).max() > 0.01  # off-axis people are seen obliquely
    np.testing.assert_allclose(codec.decode_pose(encoded, rotation), relative, atol=1e-12)
    image = FeatureCodec(feature_set="xy")
    np.testing.assert_allclose(image.encode_pose(relative, image.view_rotation(joints[..., :2])), relative)


def test_perspective_crop_validation_and_missing_pelvis() -> None:
    codec = FeatureCodec(feature_set="xyc", input_frame="perspective_crop")
    kp, conf = detections(1)
    with pytest.raises(ValueError, match="needs the camera matrix"):
        codec.encode(kp, conf, IMAGE)
    with pytest.raises(ValueError, match=r"camera matrix must be \(3, 3\)"):
        codec.encode(kp, conf, IMAGE, camera_matrix=np.eye(4))
    with pytest.raises(ValueError, match="input_frame must be one of"):
        FeatureCodec(input_frame="fisheye")
    with pytest.raises(ValueError, match="box_rescale applies to the image input frame"):
        FeatureCodec(input_frame="perspective_crop", box_rescale=True, train_box_size=100.0)
    with pytest.raises(ValueError, match="records no input_frame"):
        FeatureCodec.from_dict({"feature_set": "xyc"})
    with pytest.raises(ValueError, match="decode_xy inverts the image input frame only"):
        codec.decode_xy(np.zeros((1, 17, 3)), IMAGE)
    k = _matrix(500.0, 320.0, 240.0)
    kp[0, 0] = np.nan  # no pelvis: the crop looks at the keypoints' mean ray instead
    features = codec.encode(kp, conf, IMAGE, camera_matrix=k)
    assert np.isfinite(features).all()
    np.testing.assert_allclose(features[0, 1:, :2].mean(axis=0), 0.0, atol=0.05)
    with pytest.raises(ValueError, match="without any finite keypoint"):
        codec.encode(np.full((1, 17, 2), np.nan), conf, IMAGE, camera_matrix=k)
