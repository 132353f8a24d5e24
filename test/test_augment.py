"""Pose augmentation: mirroring and new bodies for the same joint angles."""

from __future__ import annotations

import numpy as np
import pytest

from auglift_ros.core.skeleton import H36M_BONES, H36M_JOINT_NAMES, bone_lengths
from auglift_ros.mocap.augment import BONE_GROUPS, mirror_poses, vary_body
from auglift_ros.mocap.generated import random_poses

J = {name: i for i, name in enumerate(H36M_JOINT_NAMES)}
CHILDREN = [H36M_JOINT_NAMES[child] for _, child in H36M_BONES]
TWINS = [
    (CHILDREN.index(name), CHILDREN.index(name.replace("left_", "right_")))
    for name in CHILDREN
    if "left_" in name
]


def poses(n: int = 50, seed: int = 0) -> np.ndarray:
    return random_poses(n, np.random.default_rng(seed))


def directions(p: np.ndarray) -> np.ndarray:
    vectors = np.stack([p[:, c] - p[:, a] for a, c in H36M_BONES], axis=1)
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def facing(p: np.ndarray) -> np.ndarray:
    """Forward direction of each pose: (left hip - right hip) x (pelvis -> thorax)."""
    return np.cross(p[:, J["left_hip"]] - p[:, J["right_hip"]], p[:, J["thorax"]] - p[:, J["pelvis"]])


def test_mirror_is_an_involution_that_keeps_bone_lengths_and_swaps_sides() -> None:
    p = poses()
    mirrored = mirror_poses(p)
    np.testing.assert_array_equal(mirror_poses(mirrored), p)
    np.testing.assert_allclose(np.sort(bone_lengths(mirrored), axis=1), np.sort(bone_lengths(p), axis=1))
    np.testing.assert_allclose(mirrored[:, J["left_wrist"]], p[:, J["right_wrist"]] * [-1, 1, 1])
    np.testing.assert_allclose(mirrored[:, J["head"]], p[:, J["head"]] * [-1, 1, 1])
    # Not turned inside out: the mirror image faces the mirrored direction (negating x alone would
    # make it face backwards, its left hip on its right).
    np.testing.assert_allclose(facing(mirrored), facing(p) * [-1, 1, 1], atol=1e-12)


def test_vary_body_keeps_bone_directions_and_the_pelvis() -> None:
    p = poses() + np.array([0.3, 0.0, -0.2])  # any pelvis position
    varied = vary_body(p, np.random.default_rng(1), size_std=0.1, bone_std=0.1)
    np.testing.assert_allclose(directions(varied), directions(p), atol=1e-12)
    np.testing.assert_allclose(varied[:, 0], p[:, 0])
    ratio = bone_lengths(varied) / bone_lengths(p)
    assert ratio.std() > 0.05  # the bodies did change


def test_vary_body_with_zero_stds_is_identity() -> None:
    p = poses()
    np.testing.assert_allclose(
        vary_body(p, np.random.default_rng(2), size_std=0.0, bone_std=0.0), p, atol=1e-12
    )


def test_left_and_right_bones_stay_equal() -> None:
    p = poses()  # generated bodies are symmetric
    lengths = bone_lengths(vary_body(p, np.random.default_rng(3)))
    assert len(TWINS) == 6 and all(BONE_GROUPS[a] == BONE_GROUPS[b] for a, b in TWINS)
    for left, right in TWINS:
        np.testing.assert_allclose(lengths[:, left], lengths[:, right], rtol=1e-9)


def test_vary_body_spread_follows_the_stds() -> None:
    p = np.repeat(poses(1), 4000, axis=0)
    lengths = bone_lengths(vary_body(p, np.random.default_rng(4), size_std=0.05, bone_std=0.0))
    size = lengths / bone_lengths(p)
    np.testing.assert_allclose(size, np.broadcast_to(size[:, :1], size.shape))  # one factor per pose
    assert np.log(size[:, 0]).std() == pytest.approx(0.05, rel=0.1)


def test_bad_shapes_are_errors() -> None:
    with pytest.raises(ValueError, match="expected"):
        mirror_poses(np.zeros((3, 16, 3)))
