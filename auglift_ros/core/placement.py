"""Placing a lifted, root-relative pose in the camera frame.

A lifter predicts joints relative to the pelvis; a robot needs them where the person is. Two ways:

- with depth: the pelvis lies on its keypoint's ray (`root_on_ray`) at the depth the joints' readings
  imply: each reading plus the surface-to-centre distance minus the joint's lifted depth relative to
  the pelvis, median over joints (`root_depth_from_joints`), robust to occluders and background hits;
- without depth: the translation that best re-projects the metric 3D pose onto the detected 2D
  keypoints (`root_from_reprojection`), a linear least-squares problem per person, weighted by
  confidence. It recovers distance from the pose's metric size, so it inherits the lifter's scale
  error (a 10% too small skeleton is placed 10% too close).

Camera frame: ROS optical (x right, y down, z forward, REP 103); depth is z-depth (REP 118).
"""

from __future__ import annotations

import numpy as np

from auglift_ros.core.skeleton import H36M_ROOT

PELVIS_SURFACE_TO_CENTRE_M = 0.1
"""Distance from the body surface a camera sees at the pelvis to the pelvis joint centre, metres:
about half the hip depth of an adult (the simulation's hip capsules have radius 0.09-0.14 m)."""


def _check_intrinsics(camera_matrix: np.ndarray) -> np.ndarray:
    k = np.asarray(camera_matrix, dtype=np.float64)
    if k.shape != (3, 3) or not np.isfinite(k).all() or k[0, 0] <= 0 or k[1, 1] <= 0:
        raise ValueError(f"camera matrix must be a finite 3x3 with positive focal lengths, got {k.tolist()}")
    return k


def pixel_rays(pixels: np.ndarray, camera_matrix: np.ndarray) -> np.ndarray:
    """Rays (..., 3) with z = 1 through pixels (..., 2): K^-1 [u, v, 1]."""
    k = _check_intrinsics(camera_matrix)
    pixels = np.asarray(pixels, dtype=np.float64)
    x = (pixels[..., 0] - k[0, 2] - k[0, 1] * (pixels[..., 1] - k[1, 2]) / k[1, 1]) / k[0, 0]
    y = (pixels[..., 1] - k[1, 2]) / k[1, 1]
    return np.stack([x, y, np.ones_like(x)], axis=-1)


def root_on_ray(root_pixel: np.ndarray, root_depth: np.ndarray, camera_matrix: np.ndarray) -> np.ndarray:
    """Pelvis positions (P, 3) on the pelvis keypoints' rays (P, 2) at z-depth (P,); NaN where the
    depth is not a positive number (the caller falls back to re-projection)."""
    depth = np.asarray(root_depth, dtype=np.float64)
    z = np.where(np.isfinite(depth) & (depth > 0), depth, np.nan)
    return pixel_rays(root_pixel, camera_matrix) * z[..., None]


def root_depth_from_joints(
    point_depth: np.ndarray,
    pose: np.ndarray,
    surface_to_centre: float = PELVIS_SURFACE_TO_CENTRE_M,
) -> np.ndarray:
    """Pelvis z-depth (P,) as the median over joints of what each joint's depth reading implies.

    A reading d_j at joint j's keypoint, with the joint's lifted depth z_j relative to the pelvis,
    implies a pelvis depth d_j + surface_to_centre - z_j. The median over joints ignores the few
    readings that hit an occluder or the background (one person in front of another hides the
    other's pelvis, which a pelvis-only reading would take as the person's distance). NaN where no
    joint has a reading.
    """
    depth = np.asarray(point_depth, dtype=np.float64)
    usable = np.isfinite(depth) & (depth > 0)
    implied = np.where(usable, depth + surface_to_centre - np.asarray(pose, dtype=np.float64)[..., 2], np.nan)
    result = np.full(depth.shape[:-1], np.nan)
    rows = usable.any(axis=-1)
    result[rows] = median_of_finite(implied[rows])
    return result


def median_of_finite(values: np.ndarray) -> np.ndarray:
    """np.nanmedian over the last axis of rows that each have a finite value, by one sort (NaN sorts
    last): the same numbers, a tenth of the time on a few persons' 17 joints (it runs every frame)."""
    ordered = np.sort(values, axis=-1)
    count = np.isfinite(values).sum(axis=-1, keepdims=True)
    low = np.take_along_axis(ordered, (count - 1) // 2, axis=-1)
    high = np.take_along_axis(ordered, count // 2, axis=-1)
    return 0.5 * (low + high)[..., 0]


def root_from_reprojection(
    pose: np.ndarray,
    keypoints: np.ndarray,
    confidence: np.ndarray,
    camera_matrix: np.ndarray,
    min_confidence: float = 0.1,
) -> np.ndarray:
    """Translations (P, 3) that best re-project root-relative poses (P, K, 3) onto keypoints (P, K, 2).

    For joint j with pose X_j and normalised image point (x_j, y_j) = K^-1 [u_j, v_j, 1], the
    projection of X_j + t equals it when
        (t_x - x_j t_z) = x_j Z_j - X_j   and   (t_y - y_j t_z) = y_j Z_j - Y_j,
    which is linear in t. Joints are weighted by confidence (below min_confidence, or non-finite:
    ignored). A person with fewer than two usable joints, or a solution behind the camera, gets NaN.
    """
    pose = np.asarray(pose, dtype=np.float64)
    rays = pixel_rays(keypoints, camera_matrix)
    conf = np.asarray(confidence, dtype=np.float64)
    if pose.shape[:-1] != rays.shape[:-1] or pose.shape[-1] != 3 or conf.shape != pose.shape[:-1]:
        raise ValueError(
            f"pose {pose.shape}, keypoints {np.shape(keypoints)} and confidence {conf.shape} do not pair up"
        )
    usable = (
        np.isfinite(rays).all(-1) & np.isfinite(pose).all(-1) & np.isfinite(conf) & (conf >= min_confidence)
    )
    weight = np.where(usable, conf, 0.0)
    x, y = np.where(usable, rays[..., 0], 0.0), np.where(usable, rays[..., 1], 0.0)
    px, py, pz = (np.where(usable, pose[..., i], 0.0) for i in range(3))
    count = usable.shape[0]
    # Rows of the design matrix per joint: [1, 0, -x] and [0, 1, -y]; right-hand sides as above.
    a = np.zeros((count, usable.shape[1], 2, 3))
    a[..., 0, 0], a[..., 0, 2] = 1.0, -x
    a[..., 1, 1], a[..., 1, 2] = 1.0, -y
    b = np.stack([x * pz - px, y * pz - py], axis=-1)
    sw = np.sqrt(weight)[..., None]
    a = (a * sw[..., None]).reshape(count, -1, 3)
    b = (b * sw).reshape(count, -1)
    normal = np.einsum("pki,pkj->pij", a, a)
    rhs = np.einsum("pki,pk->pi", a, b)
    solvable = (usable.sum(axis=1) >= 2) & (np.abs(np.linalg.det(normal)) > 1e-12)
    eye = np.broadcast_to(np.eye(3), normal.shape)
    t = np.linalg.solve(np.where(solvable[:, None, None], normal, eye), rhs[..., None])[..., 0]
    ok = solvable & (t[:, 2] + np.where(usable, pz, np.inf).min(axis=1) > 0)
    return np.where(ok[:, None], t, np.nan)


def place_pose(pose: np.ndarray, root_position: np.ndarray) -> np.ndarray:
    """Joints (P, K, 3) in the camera frame: the root-relative pose moved so its root is at root_position."""
    pose = np.asarray(pose, dtype=np.float64)
    return pose - pose[:, H36M_ROOT : H36M_ROOT + 1] + np.asarray(root_position, dtype=np.float64)[:, None, :]
