"""Random but anatomically plausible Human3.6M-17 poses by forward kinematics.

World frame: y up, the person faces +z, their left is +x (right-handed). Poses are root-relative
(pelvis at the origin) and in metres. Each bone keeps its rest length times one body-size factor per
pose, so bone-length ratios are those of :data:`H36M_REST_BONE_LENGTHS`; only joint angles vary.
"""

from __future__ import annotations

import numpy as np

from auglift_ros.core.skeleton import H36M_BONES, H36M_NUM_JOINTS

# Rest lengths (metres) per bone, in H36M_BONES order (bone i ends at joint i + 1). Values are close to
# the Human3.6M training-subject means (hip 0.13, thigh 0.45, shin 0.44, spine 0.23 + 0.25, neck 0.11,
# head 0.12, shoulder 0.15, upper arm 0.28, forearm 0.25), i.e. a 1.75 m adult.
_HIP, _THIGH, _SHIN = 0.13, 0.45, 0.44
_SPINE, _THORAX, _NECK, _HEAD = 0.23, 0.25, 0.11, 0.12
_SHOULDER, _UPPER_ARM, _FOREARM = 0.15, 0.28, 0.25
H36M_REST_BONE_LENGTHS: np.ndarray = np.array(
    [
        _HIP, _THIGH, _SHIN,  # right leg
        _HIP, _THIGH, _SHIN,  # left leg
        _SPINE, _THORAX, _NECK, _HEAD,  # pelvis -> spine -> thorax -> neck/nose -> head
        _SHOULDER, _UPPER_ARM, _FOREARM,  # left arm
        _SHOULDER, _UPPER_ARM, _FOREARM,  # right arm
    ]
)  # fmt: skip
"""Bone lengths of the rest skeleton in metres, one per entry of ``H36M_BONES``."""

_UP, _DOWN, _LEFT, _RIGHT = (0.0, 1.0, 0.0), (0.0, -1.0, 0.0), (1.0, 0.0, 0.0), (-1.0, 0.0, 0.0)
# Neck/nose sits in front of the thorax (the H36M "neck/nose" marker is at the face), and the head top
# slightly behind the nose: directions from Human3.6M rest poses, rounded.
_TO_NOSE = (0.0, 0.8, 0.6)
_TO_HEAD_TOP = (0.0, 0.95, -0.3)
H36M_REST_DIRECTIONS: np.ndarray = np.array(
    [
        _RIGHT, _DOWN, _DOWN,  # right hip, knee, ankle
        _LEFT, _DOWN, _DOWN,  # left hip, knee, ankle
        _UP, _UP, _TO_NOSE, _TO_HEAD_TOP,  # spine, thorax, neck/nose, head
        _LEFT, _DOWN, _DOWN,  # left shoulder, elbow, wrist: arms hanging
        _RIGHT, _DOWN, _DOWN,  # right shoulder, elbow, wrist
    ]
)  # fmt: skip
H36M_REST_DIRECTIONS /= np.linalg.norm(H36M_REST_DIRECTIONS, axis=1, keepdims=True)
"""Unit direction of each bone (``H36M_BONES`` order) in its parent's frame at rest: standing upright,
arms hanging; world frame y up, facing +z, left +x."""


def _rotation(axis: int, angle: np.ndarray) -> np.ndarray:
    """(n, 3, 3) right-handed rotations by angle (n,) radians about coordinate axis 0/1/2 (x/y/z)."""
    c, s = np.cos(angle), np.sin(angle)
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    rot = np.zeros((*np.shape(angle), 3, 3))
    rot[..., axis, axis] = 1.0
    rot[..., i, i], rot[..., i, j], rot[..., j, i], rot[..., j, j] = c, -s, s, c
    return rot


def _axis_angle(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """(n, 3, 3) Rodrigues rotations about unit axes (n, 3) by angle (n,) radians."""
    x, y, z = np.moveaxis(axis, -1, 0)
    zero = np.zeros_like(x)
    skew = np.stack([zero, -z, y, z, zero, -x, -y, x, zero], axis=-1).reshape(*x.shape, 3, 3)
    s, c = np.sin(angle)[..., None, None], np.cos(angle)[..., None, None]
    return np.eye(3) + s * skew + (1.0 - c) * (skew @ skew)


def _uniform_deg(rng: np.random.Generator, low: float, high: float, size: tuple[int, ...]) -> np.ndarray:
    return np.deg2rad(rng.uniform(low, high, size))


def forward_kinematics(local_rotations: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Joint positions (n, 17, 3) from local rotations (n, 17, 3, 3) and body-size factors (n,).

    ``local_rotations[:, c]`` turns the bone (parent(c) -> c) and everything below it relative to the
    parent bone's frame; entry 0 is the global (root) orientation. Pelvis at the origin.
    """
    n = local_rotations.shape[0]
    offsets = H36M_REST_DIRECTIONS * H36M_REST_BONE_LENGTHS[:, None]
    global_rot = np.empty_like(local_rotations)
    global_rot[:, 0] = local_rotations[:, 0]
    joints = np.zeros((n, H36M_NUM_JOINTS, 3))
    for bone, (parent, child) in enumerate(H36M_BONES):
        global_rot[:, child] = global_rot[:, parent] @ local_rotations[:, child]
        joints[:, child] = joints[:, parent] + global_rot[:, child] @ offsets[bone]
    return joints * np.asarray(scale, dtype=np.float64)[:, None, None]


def random_poses(n: int, rng: np.random.Generator, *, sit_fraction: float = 0.25) -> np.ndarray:
    """``n`` random root-relative H36M poses (n, 17, 3) in metres, y up, with random global yaw.

    Angle ranges (degrees) are within normal adult ranges of motion (e.g. AAOS / Kapandji tables):
    hip flexion -25..70 (extension is negative), abduction -10..30, rotation -20..30; knee flexion
    0..140 drawn as 140 u^2 so most legs are nearly straight; torso bend -10..40, side bend +-15 and
    twist +-30 shared by two spine joints; head nod -20..35, tilt +-15, turn +-50; shoulder elevation
    0..170 (raised arms included) in a plane from 20 deg behind the frontal plane to 20 deg across the
    body, humeral rotation +-60; elbow flexion 0..150. A fraction ``sit_fraction`` (default 1/4) are
    sitting (hip 70..110, knee 70..120, abduction 0..25, torso bend -10..25) or crouching (hip
    100..130, knee 110..140, torso bend 15..45) poses, because deep hip and knee flexion foreshortens
    the legs in 2D and is where depth helps most.
    Body size is one factor 0.85..1.15 per pose (statures of about 1.5-2.0 m: small to tall adults).
    """
    pair = (n, 2)  # per leg / per arm: [:, 0] left, [:, 1] right
    side = np.array([1.0, -1.0])  # mirror sign: abduction / outward rotation point to +x on the left
    hip_flex = _uniform_deg(rng, -25, 70, pair)
    hip_abd = _uniform_deg(rng, -10, 30, pair)
    hip_rot = _uniform_deg(rng, -20, 30, pair)
    knee = np.deg2rad(140.0) * rng.uniform(0.0, 1.0, pair) ** 2
    bend = _uniform_deg(rng, -10, 40, (n,))

    kind = rng.uniform(0.0, 1.0, n)
    sit = kind < sit_fraction / 2
    crouch = (kind >= sit_fraction / 2) & (kind < sit_fraction)
    hip_flex[sit] = _uniform_deg(rng, 70, 110, (int(sit.sum()), 2))
    knee[sit] = _uniform_deg(rng, 70, 120, (int(sit.sum()), 2))
    hip_abd[sit] = _uniform_deg(rng, 0, 25, (int(sit.sum()), 2))
    bend[sit] = _uniform_deg(rng, -10, 25, (int(sit.sum()),))
    hip_flex[crouch] = _uniform_deg(rng, 100, 130, (int(crouch.sum()), 2))
    knee[crouch] = _uniform_deg(rng, 110, 140, (int(crouch.sum()), 2))
    bend[crouch] = _uniform_deg(rng, 15, 45, (int(crouch.sum()),))

    side_bend = _uniform_deg(rng, -15, 15, (n,))
    twist = _uniform_deg(rng, -30, 30, (n,))
    nod = _uniform_deg(rng, -20, 35, (n,))
    tilt = _uniform_deg(rng, -15, 15, (n,))
    turn = _uniform_deg(rng, -50, 50, (n,))
    elevation = _uniform_deg(rng, 0, 170, pair)
    plane = _uniform_deg(rng, -20, 110, pair)  # 0 = sideways (frontal plane), 90 = forward
    humeral = _uniform_deg(rng, -60, 60, pair)  # positive = external (forearm outward)
    elbow = _uniform_deg(rng, 0, 150, pair)
    yaw = _uniform_deg(rng, -180, 180, (n,))
    scale = rng.uniform(0.85, 1.15, n)

    local = np.broadcast_to(np.eye(3), (n, H36M_NUM_JOINTS, 3, 3)).copy()
    local[:, 0] = _rotation(1, yaw)
    # Hip: rotation about the thigh first (sets the knee's bending plane), then abduction, then flexion
    # (flexion about -x swings the thigh forward to +z); the knee bends the shin backwards about +x.
    hip = _rotation(0, -hip_flex) @ _rotation(2, side * hip_abd) @ _rotation(1, side * hip_rot)
    local[:, [5, 2]] = hip  # bones hip -> knee (left, right)
    local[:, [6, 3]] = _rotation(0, knee)
    for joint in (7, 8):  # the two spine segments share the torso motion
        local[:, joint] = _rotation(0, bend / 2) @ _rotation(2, side_bend / 2) @ _rotation(1, twist / 2)
    local[:, 9] = _rotation(0, nod) @ _rotation(2, tilt) @ _rotation(1, turn)  # moves nose and head
    # Shoulder: elevate the hanging arm about a horizontal axis whose direction picks the plane of
    # elevation (abduction axis +-z, flexion axis -x), after rotating the humerus about its own axis.
    axis = np.stack(
        [-np.sin(plane), np.zeros_like(plane), side * np.cos(plane)], axis=-1
    )  # (n, 2, 3); side mirrors the abduction axis for the right arm
    shoulder = _axis_angle(axis, elevation) @ _rotation(1, side * humeral)
    local[:, [12, 15]] = shoulder  # bones shoulder -> elbow (left, right)
    local[:, [13, 16]] = _rotation(0, -elbow)  # elbow flexion brings the forearm forward
    return forward_kinematics(local, scale)
