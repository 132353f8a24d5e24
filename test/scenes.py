"""Rendered test scenes shared by the lifting and lifter-node tests."""

from __future__ import annotations

import numpy as np

from auglift_ros.core.camera import PinholeCamera
from auglift_ros.footage.calibration import CalibratedCamera
from auglift_ros.mocap.generated import random_poses
from auglift_ros.simulation.scene import (
    floor_plane,
    lift_to_floor,
    place_in_camera,
    random_view,
    render_depth,
)


def two_people(seed: int, distance: tuple[float, float]) -> tuple[PinholeCamera, np.ndarray, np.ndarray]:
    """Two standing people side by side, `distance` m from a 640x480 camera: their camera-frame
    joints (2, 17, 3) and the rendered metric depth (480, 640)."""
    rng = np.random.default_rng(seed)
    camera = PinholeCamera.from_fov(640, 480, 65.0)
    rotation, translation = random_view(rng, distance=distance, pan_deg=(0.0, 0.0))
    people = lift_to_floor(random_poses(2, rng, sit_fraction=0.0))
    people[0, :, 0] -= 0.6
    people[1, :, 0] += 0.6
    joints = place_in_camera(people, rotation, translation)
    return camera, joints, render_depth(camera, joints, floor=floor_plane(rotation, translation))


def camera_ring(yaws_deg: tuple[float, ...], dist: np.ndarray | None = None) -> list[CalibratedCamera]:
    """Calibrated 1088x1920 portrait cameras (35 deg) 3.5 m around the world origin (y up), 1.8 m
    high, looking down 15 degrees, one per azimuth; dist: every lens's OpenCV distortion (none)."""
    pinhole = PinholeCamera.from_fov(1088, 1920, 35.0)
    lens = np.zeros(5) if dist is None else np.asarray(dist, dtype=np.float64)
    cameras = []
    for view, yaw in enumerate(yaws_deg):
        rotation, translation = random_view(
            np.random.default_rng(view),
            distance=(3.5, 3.5),
            height=(1.8, 1.8),
            pitch_deg=(-15.0, -15.0),
            yaw_deg=(yaw, yaw),
            pan_deg=(0.0, 0.0),
        )
        cameras.append(CalibratedCamera(f"cam{view}", 1088, 1920, pinhole.K, lens, rotation, translation))
    return cameras
