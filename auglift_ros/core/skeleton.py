"""Joint layouts (Human3.6M-17, COCO-17, BlazePose-33) and conversions between them.

Conversions are linear: every output joint is the mean of one or more input joints, and its
confidence is the mean of theirs (method.md, section 2). Each conversion is therefore one weight
matrix, applied the same way to pixel keypoints, 3D points and confidences.
"""

from __future__ import annotations

import numpy as np

H36M_JOINT_NAMES: tuple[str, ...] = (
    "pelvis",
    "right_hip",
    "right_knee",
    "right_ankle",
    "left_hip",
    "left_knee",
    "left_ankle",
    "spine",
    "thorax",
    "neck_nose",
    "head",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    "right_shoulder",
    "right_elbow",
    "right_wrist",
)
H36M_NUM_JOINTS = len(H36M_JOINT_NAMES)
H36M_ROOT = 0
H36M_PELVIS = 0
H36M_THORAX = 8
H36M_PARENTS: tuple[int, ...] = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)
"""Parent of each joint in the kinematic tree rooted at the pelvis (-1 for the root)."""
H36M_BONES: tuple[tuple[int, int], ...] = tuple(
    (parent, child) for child, parent in enumerate(H36M_PARENTS) if parent >= 0
)
"""(parent, child) joint index pairs, one per bone (16 bones)."""
H36M_LEFT_RIGHT_PAIRS: tuple[tuple[int, int], ...] = ((4, 1), (5, 2), (6, 3), (11, 14), (12, 15), (13, 16))
"""(left, right) joint index pairs."""

COCO_JOINT_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
COCO_NUM_JOINTS = len(COCO_JOINT_NAMES)
COCO_LEFT_RIGHT_PAIRS: tuple[tuple[int, int], ...] = (
    (1, 2),
    (3, 4),
    (5, 6),
    (7, 8),
    (9, 10),
    (11, 12),
    (13, 14),
    (15, 16),
)

BLAZEPOSE_NUM_JOINTS = 33
BLAZEPOSE_TO_COCO: tuple[int, ...] = (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)
"""BlazePose-33 landmark index for each COCO-17 joint (eyes are BlazePose's eye centres)."""

# Sources of each H36M joint in COCO-17 (mean of the listed joints). The joints H36M has and COCO
# lacks follow the common COCO->H36M convention (MotionBERT, mmpose): pelvis = mean of hips,
# thorax = mean of shoulders, spine = mean of pelvis and thorax, neck/nose = nose, head = mean of eyes.
_COCO_HIPS = (11, 12)
_COCO_SHOULDERS = (5, 6)
H36M_FROM_COCO_SOURCES: tuple[tuple[int, ...], ...] = (
    _COCO_HIPS,  # pelvis
    (12,),  # right_hip
    (14,),  # right_knee
    (16,),  # right_ankle
    (11,),  # left_hip
    (13,),  # left_knee
    (15,),  # left_ankle
    _COCO_HIPS + _COCO_SHOULDERS,  # spine: mean(pelvis, thorax) = mean of the four
    _COCO_SHOULDERS,  # thorax
    (0,),  # neck_nose
    (1, 2),  # head
    (5,),  # left_shoulder
    (7,),  # left_elbow
    (9,),  # left_wrist
    (6,),  # right_shoulder
    (8,),  # right_elbow
    (10,),  # right_wrist
)


def _averaging_matrix(sources: tuple[tuple[int, ...], ...], num_inputs: int) -> np.ndarray:
    """(K_out, K_in) matrix whose row j averages the input joints listed in sources[j]."""
    matrix = np.zeros((len(sources), num_inputs))
    for row, cols in enumerate(sources):
        matrix[row, list(cols)] = 1.0 / len(cols)
    return matrix


COCO_TO_H36M_MATRIX = _averaging_matrix(H36M_FROM_COCO_SOURCES, COCO_NUM_JOINTS)
BLAZEPOSE_TO_COCO_MATRIX = _averaging_matrix(tuple((i,) for i in BLAZEPOSE_TO_COCO), BLAZEPOSE_NUM_JOINTS)


def _apply(matrix: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Apply a joint map along axis -2 of values (..., K_in, D); NaN in a source stays NaN."""
    values = np.asarray(values, dtype=np.float64)
    if values.shape[-2] != matrix.shape[1]:
        raise ValueError(f"expected {matrix.shape[1]} joints on axis -2, got shape {values.shape}")
    finite = np.isfinite(values)
    mixed = np.einsum("oi,...id->...od", matrix, np.where(finite, values, 0.0))
    poisoned = np.einsum("oi,...id->...od", (matrix != 0).astype(np.float64), (~finite).astype(np.float64))
    return np.where(poisoned > 0, np.nan, mixed)


def convert_joints(
    matrix: np.ndarray, points: np.ndarray, confidence: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Map points (..., K_in, D) and optional confidence (..., K_in) through a joint map matrix."""
    out_points = _apply(matrix, points)
    out_conf = None if confidence is None else _apply(matrix, np.asarray(confidence)[..., None])[..., 0]
    return out_points, out_conf


def coco_to_h36m(
    points: np.ndarray, confidence: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """COCO-17 keypoints (..., 17, D) [+ confidence (..., 17)] -> Human3.6M-17."""
    return convert_joints(COCO_TO_H36M_MATRIX, points, confidence)


def blazepose_to_coco(
    points: np.ndarray, confidence: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """BlazePose-33 landmarks (..., 33, D) [+ visibility (..., 33)] -> COCO-17."""
    return convert_joints(BLAZEPOSE_TO_COCO_MATRIX, points, confidence)


def flip_permutation(pairs: tuple[tuple[int, int], ...], num_joints: int) -> np.ndarray:
    """Index array that swaps left and right joints (for mirroring augmentation and tests)."""
    perm = np.arange(num_joints)
    for left, right in pairs:
        perm[left], perm[right] = right, left
    return perm


H36M_FLIP_PERMUTATION = flip_permutation(H36M_LEFT_RIGHT_PAIRS, H36M_NUM_JOINTS)


def bone_lengths(joints: np.ndarray) -> np.ndarray:
    """Length of each H36M bone for joints (..., 17, D) -> (..., 16)."""
    joints = np.asarray(joints)
    parents = np.array([p for p, _ in H36M_BONES])
    children = np.array([c for _, c in H36M_BONES])
    return np.linalg.norm(joints[..., children, :] - joints[..., parents, :], axis=-1)
