"""One frame through the lifting stage with the shipped models: a rendered scene with a known person."""

from __future__ import annotations

import numpy as np
import pytest
from scenes import two_people

from auglift_ros.core.camera import PinholeCamera
from auglift_ros.core.skeleton import H36M_ROOT
from auglift_ros.runtime.lifting import FrameLifter
from auglift_ros.runtime.models import load_lifter


@pytest.fixture(scope="module")
def lifter() -> FrameLifter:
    return FrameLifter(load_lifter("auglift_uadd"), fallback=load_lifter("auglift_xyc"))


def _scene(seed: int) -> tuple[PinholeCamera, np.ndarray, np.ndarray]:
    """Two people 3-5 m from a 640x480 camera: their camera-frame joints and the rendered depth."""
    return two_people(seed, distance=(3.0, 5.0))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lifted_people_land_where_they_are(lifter: FrameLifter, seed: int) -> None:
    camera, joints, depth = _scene(seed)
    keypoints = camera.project(joints)
    confidence = np.ones(keypoints.shape[:2])
    with_depth = lifter.lift(keypoints, confidence, (640, 480), camera.K, depth)
    without = lifter.lift(keypoints, confidence, (640, 480), camera.K, None)
    assert (with_depth.feature_set, with_depth.used_depth) == ("uadd", True)
    assert (without.feature_set, without.used_depth) == ("xyc", False)
    truth_root = joints[:, H36M_ROOT]
    for result in (with_depth, without):
        assert result.joints_cam.shape == (2, 17, 3) and np.isfinite(result.joints_cam).all()
        # Generated poses are new to the mocap-trained models: measured 0.13-0.24 m mean joint error.
        assert np.linalg.norm(result.root_relative - (joints - joints[:, :1]), axis=-1).mean() < 0.3
    # With depth the pelvis is placed from the measurement (measured: 4-10 cm off at 3-5 m) ...
    assert np.linalg.norm(with_depth.joints_cam[:, H36M_ROOT] - truth_root, axis=-1).max() < 0.15
    # ... without, from the lifted skeleton's size, so the lifter's scale error becomes distance error
    # (measured: up to 20% of the distance).
    distance_error = np.linalg.norm(without.joints_cam[:, H36M_ROOT] - truth_root, axis=-1)
    assert (distance_error / np.linalg.norm(truth_root, axis=-1)).max() < 0.3
    # With depth, the pelvis sits on its keypoint's ray at the measured depth: the error is along z only.
    lateral = with_depth.joints_cam[:, H36M_ROOT, :2] / with_depth.joints_cam[:, H36M_ROOT, 2:]
    np.testing.assert_allclose(lateral, joints[:, H36M_ROOT, :2] / joints[:, H36M_ROOT, 2:], atol=1e-9)


def test_bad_depth_size_and_empty_frames(lifter: FrameLifter) -> None:
    camera, joints, depth = _scene(0)
    keypoints = camera.project(joints)
    with pytest.raises(ValueError, match="depth image is 320 x 240"):
        lifter.lift(keypoints, np.ones((2, 17)), (640, 480), camera.K, depth[::2, ::2])
    empty = lifter.lift(np.zeros((0, 17, 2)), np.zeros((0, 17)), (640, 480), camera.K, depth)
    assert empty.joints_cam.shape == (0, 17, 3)
    with pytest.raises(ValueError, match="fallback"):
        FrameLifter(load_lifter("auglift_xyc"), fallback=load_lifter("auglift_uadd"))


def test_a_card_that_disagrees_with_the_model_file_is_refused(tmp_path) -> None:
    """The shipped uadd model copied with its card, then the card's input frame edited or removed."""
    import json
    import shutil

    from auglift_ros.core.lifters import ModelLoadError

    model = tmp_path / "copy.onnx"
    shutil.copy(load_lifter("auglift_uadd").path, model)
    card = json.loads(load_lifter("auglift_uadd").path.with_suffix(".json").read_text())
    assert load_lifter(model).codec.input_frame == "image"  # no card: the file's codec alone
    card["input"]["codec"]["input_frame"] = "perspective_crop"
    model.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(
        ModelLoadError, match=r"says input_frame 'perspective_crop' but the codec in .* uses 'image'"
    ):
        load_lifter(model)
    del card["input"]["codec"]["input_frame"]
    model.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match="states no input_frame"):
        load_lifter(model)


@pytest.mark.parametrize(
    ("k", "message"),
    [
        (np.zeros((3, 3)), "no positive focal lengths"),
        (np.full((3, 3), np.nan), "finite 3x3"),
        (
            np.array([[500.0, 0, 960], [0, 500, 540], [0, 0, 1]]),
            r"principal point \(960.0, 540.0\) lies outside the 640x480",
        ),
        (np.array([[500.0, 0, 320], [0, 500, 240], [0, 1, 1]]), "not a pinhole"),
    ],
)
def test_a_bad_camera_matrix_is_named(lifter: FrameLifter, k: np.ndarray, message: str) -> None:
    camera, joints, depth = _scene(0)
    with pytest.raises(ValueError, match=message):
        lifter.lift(camera.project(joints), np.ones((2, 17)), (640, 480), k, depth)


def test_distorted_keypoints_are_undistorted_before_lifting(lifter: FrameLifter) -> None:
    """Keypoints detected in a distorted image, with the coefficients, lift as the ideal projection
    does without them."""
    import cv2

    camera, joints, _ = _scene(1)
    coefficients = np.array([-0.25, 0.08, 0.001, -0.001, 0.0])
    distorted = cv2.projectPoints(joints.reshape(-1, 3), np.zeros(3), np.zeros(3), camera.K, coefficients)[0]
    distorted = distorted.reshape(joints.shape[0], 17, 2)
    ideal = camera.project(joints)
    assert np.abs(distorted - ideal).max() > 2.0  # the lens moves keypoints by pixels
    confidence = np.ones(ideal.shape[:2])
    undistorted = lifter.lift(distorted, confidence, (640, 480), camera.K, None, distortion=coefficients)
    expected = lifter.lift(ideal, confidence, (640, 480), camera.K, None)
    np.testing.assert_allclose(undistorted.joints_cam, expected.joints_cam, atol=1e-4)
    ignored = lifter.lift(distorted, confidence, (640, 480), camera.K, None)
    assert np.abs(ignored.joints_cam - expected.joints_cam).max() > 1e-3


def test_a_camera_invariant_model_lifts_the_same_person_alike_through_any_camera(tmp_path) -> None:
    """A perspective-crop model (random weights: the property is the runtime path's, not the
    training's) gives one pose for one person whatever the lens and image size, and turning the
    camera turns the published pose with it."""
    import json

    import torch

    from auglift_ros.core.features import FeatureCodec
    from auglift_ros.core.lifters import build_lifter, export_lifter, lifter_config
    from auglift_ros.runtime.models import CODEC_METADATA_KEY

    torch.manual_seed(0)
    codec = FeatureCodec(feature_set="xyc", input_frame="perspective_crop")
    model = build_lifter(lifter_config("simple_baseline", {"in_channels": 3, "hidden": 32, "blocks": 1}))
    path = export_lifter(
        model.eval(), tmp_path / "crop.onnx", {CODEC_METADATA_KEY: json.dumps(codec.to_dict())}
    )
    lifter = FrameLifter(load_lifter(path))
    _, joints, _ = _scene(2)
    confidence = np.ones((2, 17))
    wide = PinholeCamera.from_fov(640, 480, 90.0)
    tele = PinholeCamera.from_fov(1080, 1920, 40.0)
    a = lifter.lift(wide.project(joints), confidence, (640, 480), wide.K)
    b = lifter.lift(tele.project(joints), confidence, (1080, 1920), tele.K)
    np.testing.assert_allclose(a.root_relative, b.root_relative, atol=1e-5)
    angle = np.deg2rad(20.0)
    pan = np.array([[np.cos(angle), 0, -np.sin(angle)], [0, 1, 0], [np.sin(angle), 0, np.cos(angle)]])
    turned = lifter.lift(wide.project(joints @ pan.T), confidence, (640, 480), wide.K)
    np.testing.assert_allclose(turned.root_relative, a.root_relative @ pan.T, atol=1e-5)
