"""The ideal pinhole camera: intrinsics, projection and pixel rays in the ROS optical frame.

Optical frame (REP 103 ``_optical_frame``): x right, y down, z forward. The scene simulation renders
through it and the footage code builds its calibrated cameras on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PinholeCamera:
    """Ideal pinhole camera (no distortion); pixel centres at integer coordinates, as in OpenCV/ROS."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int

    @classmethod
    def from_fov(cls, width: int, height: int, horizontal_fov_deg: float) -> PinholeCamera:
        """Square pixels and a centred principal point: fx = fy = (width / 2) / tan(fov / 2)."""
        f = (width / 2.0) / np.tan(np.deg2rad(horizontal_fov_deg) / 2.0)
        return cls(float(f), float(f), (width - 1) / 2.0, (height - 1) / 2.0, width, height)

    @property
    def K(self) -> np.ndarray:  # noqa: N802 (the standard name of the intrinsic matrix)
        """3x3 intrinsic matrix, as in sensor_msgs/CameraInfo."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    def project(self, points: np.ndarray) -> np.ndarray:
        """Pixels (..., 2) of optical-frame points (..., 3); NaN for points not in front (z <= 0)."""
        points = np.asarray(points, dtype=np.float64)
        z = points[..., 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            u = self.fx * points[..., 0] / z + self.cx
            v = self.fy * points[..., 1] / z + self.cy
        uv = np.stack([u, v], axis=-1)
        return np.where((z > 0)[..., None], uv, np.nan)

    def ray_directions(self) -> np.ndarray:
        """(H, W, 3) ray through each pixel centre with z = 1, so distance along it equals z-depth."""
        x = (np.arange(self.width) - self.cx) / self.fx
        y = (np.arange(self.height) - self.cy) / self.fy
        rays = np.ones((self.height, self.width, 3))
        rays[..., 0] = x[None, :]
        rays[..., 1] = y[:, None]
        return rays


def check_camera_matrix(camera_matrix: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """K (3, 3) as float, or ValueError naming what is wrong: not finite, no positive focal lengths
    (an unset camera_info is all zeros), not of pinhole form, or a principal point outside the image
    (K calibrated for another resolution, e.g. the sensor's full size while the stream is binned)."""
    k = np.asarray(camera_matrix, dtype=np.float64)
    if k.shape != (3, 3) or not np.isfinite(k).all():
        raise ValueError(
            f"camera matrix K must be a finite 3x3 matrix, got {np.asarray(camera_matrix).tolist()}"
        )
    if k[0, 0] <= 0 or k[1, 1] <= 0:
        raise ValueError(
            f"camera matrix K has no positive focal lengths (fx {k[0, 0]}, fy {k[1, 1]}): unset?"
        )
    if not np.allclose(k[2], (0.0, 0.0, 1.0)) or k[1, 0] != 0:
        raise ValueError(f"camera matrix K is not a pinhole intrinsic matrix: {k.tolist()}")
    width, height = image_size
    if not (0 <= k[0, 2] <= width and 0 <= k[1, 2] <= height):
        raise ValueError(
            f"camera matrix K's principal point ({k[0, 2]:.1f}, {k[1, 2]:.1f}) lies outside the "
            f"{width}x{height} image: K was calibrated for another image size"
        )
    return k
