"""Weighted linear triangulation, undistortion and reprojection on synthetic calibrated cameras."""

import cv2
import numpy as np
import pytest

from auglift_ros.core.camera import PinholeCamera
from auglift_ros.core.triangulation import (
    project_points,
    reprojection_errors,
    triangulate_points,
    undistort_pixels,
)
from auglift_ros.simulation.scene import random_view

CAMERA = PinholeCamera.from_fov(1088, 1920, 35.0)  # portrait, like the pose2sim demo's phones
DIST = np.array([-0.2, 0.1, 0.002, -0.001, 0.03])  # stronger than the demo's lenses


def _rig(views=4):
    """(V, 3, 4) projections of cameras 3-4 m around the origin at 1.2-1.8 m height, 90 deg apart."""
    projections = []
    for view in range(views):
        angle = -180.0 + 90.0 * view + 20.0
        rotation, translation = random_view(
            np.random.default_rng(view),
            distance=(3.0 + 0.3 * view, 3.0 + 0.3 * view),
            height=(1.2 + 0.2 * view, 1.2 + 0.2 * view),
            pitch_deg=(-10.0, -10.0),
            yaw_deg=(angle, angle),
            pan_deg=(0.0, 0.0),
        )
        projections.append(CAMERA.K @ np.hstack([rotation, translation[:, None]]))
    return np.stack(projections)


def _points(shape=(5, 17)):
    """World points in a person-sized box standing on the floor at the origin (y up)."""
    rng = np.random.default_rng(42)
    return rng.uniform([-0.4, 0.0, -0.3], [0.4, 1.8, 0.3], size=(*shape, 3))


def test_exact_recovery_from_two_to_four_views():
    projections = _rig(4)
    points = _points()
    pixels = project_points(points, projections)
    assert np.isfinite(pixels).all()
    for views in (2, 3, 4):
        found = triangulate_points(pixels[:views], np.ones(pixels.shape[:-1])[:views], projections[:views])
        assert found.shape == points.shape
        np.testing.assert_allclose(found, points, atol=1e-9)


def test_a_low_confidence_corrupted_view_barely_moves_the_point_unlike_equal_weights():
    projections = _rig(4)
    points = _points()
    pixels = project_points(points, projections)
    rng = np.random.default_rng(0)
    pixels = pixels + rng.normal(0.0, 1.0, pixels.shape)  # 1 px detector noise everywhere
    pixels[3] += 60.0  # view 3 is off by 85 px
    weighted = np.ones(pixels.shape[:-1])
    weighted[3] = 0.15
    error_weighted = np.linalg.norm(triangulate_points(pixels, weighted, projections) - points, axis=-1)
    error_equal = np.linalg.norm(
        triangulate_points(pixels, np.ones(pixels.shape[:-1]), projections) - points, axis=-1
    )
    # 85 px at 3 m with f = 2900 px is 9 cm in that view: equal weights spread it over the point.
    assert np.median(error_equal) > 0.02
    assert np.median(error_weighted) < 0.01
    assert np.median(error_weighted) < np.median(error_equal) / 4


def test_too_few_usable_views_give_nan():
    projections = _rig(3)
    points = _points((4,))
    pixels = project_points(points, projections)
    confidence = np.ones(pixels.shape[:-1])
    confidence[1:, 0] = 0.0  # point 0: one view only
    pixels[1, 1] = np.nan  # point 1: view 1 missing, two left
    confidence[2, 2] = 0.05  # point 2: view 2 below min_confidence, two left
    found = triangulate_points(pixels, confidence, projections, min_confidence=0.1)
    assert np.isnan(found[0]).all()
    np.testing.assert_allclose(found[1:], points[1:], atol=1e-9)
    strict = triangulate_points(pixels, confidence, projections, min_views=3, min_confidence=0.1)
    assert np.isnan(strict[:3]).all()
    np.testing.assert_allclose(strict[3], points[3], atol=1e-9)
    with pytest.raises(ValueError, match="at least 2 views"):
        triangulate_points(pixels, confidence, projections, min_views=1)


def test_result_does_not_depend_on_view_order_or_projection_scale():
    projections = _rig(4)
    points = _points()
    rng = np.random.default_rng(1)
    pixels = project_points(points, projections) + rng.normal(0.0, 3.0, (4, *points.shape[:-1], 2))
    confidence = rng.uniform(0.2, 1.0, pixels.shape[:-1])
    reference = triangulate_points(pixels, confidence, projections)
    assert not np.allclose(reference, points, atol=1e-4)  # noisy: the tests below are not trivial
    order = [2, 0, 3, 1]
    np.testing.assert_allclose(
        triangulate_points(pixels[order], confidence[order], projections[order]), reference, atol=1e-10
    )
    scales = np.array([1e-3, 5.0, 1.0, 300.0])[:, None, None]
    np.testing.assert_allclose(
        triangulate_points(pixels, confidence, projections * scales), reference, atol=1e-10
    )


def test_confidence_is_a_relative_weight():
    projections = _rig(3)
    points = _points((6,))
    rng = np.random.default_rng(2)
    pixels = project_points(points, projections) + rng.normal(0.0, 2.0, (3, 6, 2))
    confidence = rng.uniform(0.3, 1.0, (3, 6))
    np.testing.assert_allclose(
        triangulate_points(pixels, 0.5 * confidence, projections, min_confidence=0.0),
        triangulate_points(pixels, confidence, projections, min_confidence=0.0),
        atol=1e-10,
    )


def test_reprojection_errors_are_pixel_distances():
    projections = _rig(2)
    points = _points((3,))
    pixels = project_points(points, projections)
    pixels[0, 1] += [3.0, 4.0]
    pixels[1, 2] = np.nan
    errors = reprojection_errors(points, pixels, projections)
    assert errors.shape == (2, 3)
    np.testing.assert_allclose(errors[0], [0.0, 5.0, 0.0], atol=1e-9)
    assert errors[1, 0] < 1e-9 and np.isnan(errors[1, 2])


def test_points_behind_a_camera_do_not_project():
    projections = _rig(1)
    rotation = np.linalg.solve(CAMERA.K, projections[0])[:, :3]
    translation = np.linalg.solve(CAMERA.K, projections[0])[:, 3]
    behind = rotation.T @ (np.array([0.0, 0.0, -2.0]) - translation)  # 2 m behind the camera
    assert np.isnan(project_points(behind, projections)).all()


def test_undistort_inverts_opencv_projection():
    rng = np.random.default_rng(3)
    # normalised image coordinates up to the corners of the image
    xy = rng.uniform([-0.3, -0.55], [0.3, 0.55], (200, 2))
    cam_points = np.concatenate([xy * 3.0, np.full((200, 1), 3.0)], axis=1)
    distorted, _ = cv2.projectPoints(cam_points, np.zeros(3), np.zeros(3), CAMERA.K, DIST)
    distorted = distorted.reshape(-1, 2)
    ideal = CAMERA.project(cam_points)
    assert np.abs(distorted - ideal).max() > 20.0  # the distortion is not negligible here
    undistorted = undistort_pixels(distorted.reshape(20, 10, 2), CAMERA.K, DIST).reshape(-1, 2)
    np.testing.assert_allclose(undistorted, ideal, atol=1e-6)  # OpenCV's default 5 iterations: 5e-4
    with_nan = undistort_pixels(np.array([[np.nan, 1.0], [544.0, 960.0]]), CAMERA.K, DIST)
    assert np.isnan(with_nan[0]).all() and np.isfinite(with_nan[1]).all()
