"""Rendered test scenes shared by the lifting and lifter-node tests."""

from __future__ import annotations

import numpy as np

from auglift_ros.core.camera import PinholeCamera
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
