"""Pose augmentation on root-relative H36M-17 poses (N, 17, 3), metres, y up: mirroring and body shape.

Recorded motion comes from a few bodies (cmu_full has one skeleton for 107 subjects), so a lifter can
learn those proportions instead of lifting. :func:`vary_body` draws new bodies for the same joint
angles; :func:`mirror_poses` doubles the motions with their left-right mirror images.
"""

from __future__ import annotations

import numpy as np

from auglift_ros.core.skeleton import H36M_BONES, H36M_FLIP_PERMUTATION, H36M_JOINT_NAMES, H36M_NUM_JOINTS


def _poses(poses: np.ndarray) -> np.ndarray:
    poses = np.asarray(poses, dtype=np.float64)
    if poses.ndim != 3 or poses.shape[1:] != (H36M_NUM_JOINTS, 3):
        raise ValueError(f"poses have shape {poses.shape}, expected (N, 17, 3)")
    return poses


def mirror_poses(poses: np.ndarray) -> np.ndarray:
    """The left-right mirror images of ``poses`` (N, 17, 3): x negated and left and right joints
    swapped (:data:`~auglift_ros.core.skeleton.H36M_FLIP_PERMUTATION`), so a left arm raised becomes
    a right arm raised and the person stays upright. Mirroring twice gives the poses back."""
    mirrored = _poses(poses)[:, H36M_FLIP_PERMUTATION].copy()
    mirrored[..., 0] *= -1.0
    return mirrored


def _bone_groups() -> np.ndarray:
    """(16,) group of each bone of ``H36M_BONES``: a left bone and its right twin share a group."""
    names = [H36M_JOINT_NAMES[child].replace("left_", "").replace("right_", "") for _, child in H36M_BONES]
    kinds = sorted(set(names))
    return np.array([kinds.index(name) for name in names])


BONE_GROUPS: np.ndarray = _bone_groups()
"""Group index per bone (``H36M_BONES`` order; 10 groups): bones of one group get one length factor."""


def vary_body(
    poses: np.ndarray, rng: np.random.Generator, *, size_std: float = 0.05, bone_std: float = 0.04
) -> np.ndarray:
    """``poses`` (N, 17, 3) with new bodies and the same joint angles.

    Each pose gets a body-size factor exp(N(0, size_std)) and each bone group (:data:`BONE_GROUPS`:
    a left bone and its right twin together, so the body stays symmetric) a factor exp(N(0,
    bone_std)); the pose is rebuilt from its bone directions from the pelvis down the kinematic tree,
    so every bone keeps its direction and the pelvis its place. Defaults: adult statures vary by
    about 5% (both sexes), segment lengths relative to stature by a few percent. Zero stds return the
    poses unchanged.
    """
    poses = _poses(poses)
    n = len(poses)
    size = np.exp(rng.normal(0.0, size_std, n))
    factors = np.exp(rng.normal(0.0, bone_std, (n, int(BONE_GROUPS.max()) + 1)))[:, BONE_GROUPS]
    out = np.empty_like(poses)
    out[:, 0] = poses[:, 0]
    for bone, (parent, child) in enumerate(H36M_BONES):  # parents come before their children
        out[:, child] = (
            out[:, parent] + (poses[:, child] - poses[:, parent]) * (size * factors[:, bone])[:, None]
        )
    return out
