"""Placing root-relative poses in the camera frame, from depth or by re-projection."""

from __future__ import annotations

import numpy as np
import pytest

from auglift_ros.core.placement import (
    PELVIS_SURFACE_TO_CENTRE_M,
    median_of_finite,
    pixel_rays,
    place_pose,
    root_depth_from_joints,
    root_from_reprojection,
    root_on_ray,
)
from auglift_ros.mocap.generated import random_poses

K = np.array([[500.0, 0.0, 320.0], [0.0, 510.0, 240.0], [0.0, 0.0, 1.0]])


def _project(points: np.ndarray, k: np.ndarray) -> np.ndarray:
    uvw = points @ k.T
    return uvw[..., :2] / uvw[..., 2:]


def test_pixel_rays_invert_the_projection_also_with_skew() -> None:
    skewed = K.copy()
    skewed[0, 1] = 3.0
    points = np.array([[0.4, -0.3, 2.0], [-1.0, 0.5, 5.0]])
    for k in (K, skewed):
        rays = pixel_rays(_project(points, k), k)
        np.testing.assert_allclose(rays * points[:, 2:], points, atol=1e-12)
    with pytest.raises(ValueError, match="camera matrix"):
        pixel_rays(np.zeros(2), np.eye(2))


def test_root_on_ray_on_hand_computed_rays() -> None:
    pixels = np.array([[320.0, 240.0], [570.0, 240.0], [320.0, 240.0], [320.0, 240.0]])
    root = root_on_ray(pixels, np.array([3.0, 2.0, np.nan, 0.0]), K)
    np.testing.assert_allclose(root[0], [0.0, 0.0, 3.0])
    np.testing.assert_allclose(root[1], [1.0, 0.0, 2.0])  # 250 px right of centre at f = 500
    assert np.isnan(root[2:]).all()  # missing and zero depth are not guessed


def test_root_depth_is_the_median_of_what_each_joint_implies() -> None:
    pose = np.zeros((2, 5, 3))
    pose[:, :, 2] = [0.0, 0.1, -0.1, 0.2, 0.0]  # joint depths relative to the pelvis
    surface = 4.0 - PELVIS_SURFACE_TO_CENTRE_M  # the pelvis centre is at 4 m
    readings = surface + pose[..., 2]
    readings[0, 0] = 2.5  # an occluder in front of the pelvis
    readings[0, 3] = 10.0  # a keypoint that missed the body and hit the wall
    readings[1, :] = np.nan  # no depth at all
    np.testing.assert_allclose(root_depth_from_joints(readings, pose), [4.0, np.nan])


def test_reprojection_recovers_the_translation_of_a_projected_pose() -> None:
    rng = np.random.default_rng(0)
    poses = random_poses(5, rng)
    poses -= poses[:, :1]
    poses[..., 1] *= -1  # y up -> camera y down
    translation = np.array(
        [[0.3, -0.2, 4.0], [-1.0, 0.4, 2.5], [0.0, 0.0, 7.5], [2.0, 1.0, 6.0], [0.1, 0.1, 3.0]]
    )
    keypoints = _project(poses + translation[:, None], K)
    confidence = np.ones(poses.shape[:2])
    np.testing.assert_allclose(
        root_from_reprojection(poses, keypoints, confidence, K), translation, atol=1e-9
    )
    # A wild keypoint with confidence 0 is ignored; the rest still pin the translation exactly.
    keypoints[:, 5] += 300.0
    confidence[:, 5] = 0.0
    np.testing.assert_allclose(
        root_from_reprojection(poses, keypoints, confidence, K), translation, atol=1e-9
    )
    placed = place_pose(poses, translation)
    np.testing.assert_allclose(_project(placed, K)[:, :5], keypoints[:, :5], atol=1e-6)


def test_reprojection_refuses_underdetermined_people() -> None:
    pose = np.zeros((1, 17, 3))
    pose[0, :, 0] = np.linspace(-0.5, 0.5, 17)
    keypoints = _project(pose + np.array([0.0, 0.0, 3.0]), K)
    confidence = np.zeros((1, 17))
    confidence[0, 3] = 1.0  # one usable joint: two equations, three unknowns
    assert np.isnan(root_from_reprojection(pose, keypoints, confidence, K)).all()
    with pytest.raises(ValueError, match="do not pair up"):
        root_from_reprojection(pose, keypoints[:, :5], confidence, K)


def test_median_of_finite_is_nanmedian_by_hand_and_at_random() -> None:
    values = np.array([[3.0, np.nan, 1.0, 2.0], [np.nan, 5.0, np.nan, 7.0], [4.0, np.nan, np.nan, np.nan]])
    assert median_of_finite(values).tolist() == [2.0, 6.0, 4.0]
    rng = np.random.default_rng(0)
    random = rng.normal(size=(500, 17))
    random[rng.random(random.shape) < 0.5] = np.nan
    random[:, 0] = rng.normal(size=500)  # every row keeps a finite value
    assert np.array_equal(median_of_finite(random), np.nanmedian(random, axis=-1))
