"""Joint layouts and conversions on known poses."""

import numpy as np
import pytest

from auglift_ros.core import skeleton as sk


def coco_pose() -> np.ndarray:
    """A hand-made COCO-17 pose (pixels): a person standing, facing the camera."""
    pose = np.zeros((17, 2))
    pose[sk.COCO_JOINT_NAMES.index("nose")] = (100, 40)
    pose[sk.COCO_JOINT_NAMES.index("left_eye")] = (106, 34)
    pose[sk.COCO_JOINT_NAMES.index("right_eye")] = (94, 34)
    pose[sk.COCO_JOINT_NAMES.index("left_ear")] = (112, 38)
    pose[sk.COCO_JOINT_NAMES.index("right_ear")] = (88, 38)
    pose[sk.COCO_JOINT_NAMES.index("left_shoulder")] = (130, 80)
    pose[sk.COCO_JOINT_NAMES.index("right_shoulder")] = (70, 80)
    pose[sk.COCO_JOINT_NAMES.index("left_elbow")] = (140, 130)
    pose[sk.COCO_JOINT_NAMES.index("right_elbow")] = (60, 130)
    pose[sk.COCO_JOINT_NAMES.index("left_wrist")] = (145, 175)
    pose[sk.COCO_JOINT_NAMES.index("right_wrist")] = (55, 175)
    pose[sk.COCO_JOINT_NAMES.index("left_hip")] = (120, 180)
    pose[sk.COCO_JOINT_NAMES.index("right_hip")] = (80, 180)
    pose[sk.COCO_JOINT_NAMES.index("left_knee")] = (122, 250)
    pose[sk.COCO_JOINT_NAMES.index("right_knee")] = (78, 250)
    pose[sk.COCO_JOINT_NAMES.index("left_ankle")] = (124, 320)
    pose[sk.COCO_JOINT_NAMES.index("right_ankle")] = (76, 320)
    return pose


def test_h36m_layout_is_a_tree() -> None:
    assert len(sk.H36M_JOINT_NAMES) == len(sk.H36M_PARENTS) == 17
    assert len(sk.H36M_BONES) == 16
    assert sk.H36M_PARENTS[sk.H36M_ROOT] == -1
    for child, parent in enumerate(sk.H36M_PARENTS[1:], start=1):
        assert 0 <= parent < child  # parents come first: forward kinematics can run in index order
    for left, right in sk.H36M_LEFT_RIGHT_PAIRS:
        assert sk.H36M_JOINT_NAMES[left].replace("left", "right") == sk.H36M_JOINT_NAMES[right]
    perm = sk.H36M_FLIP_PERMUTATION
    np.testing.assert_array_equal(perm[perm], np.arange(17))


def test_coco_to_h36m_known_pose() -> None:
    coco = coco_pose()
    conf = np.linspace(0.2, 1.0, 17)
    h36m, h_conf = sk.coco_to_h36m(coco, conf)
    name = sk.H36M_JOINT_NAMES.index
    np.testing.assert_allclose(h36m[name("pelvis")], (100, 180))
    np.testing.assert_allclose(h36m[name("thorax")], (100, 80))
    np.testing.assert_allclose(h36m[name("spine")], (100, 130))
    np.testing.assert_allclose(h36m[name("neck_nose")], (100, 40))
    np.testing.assert_allclose(h36m[name("head")], (100, 34))
    np.testing.assert_allclose(h36m[name("right_knee")], (78, 250))
    np.testing.assert_allclose(h36m[name("left_wrist")], (145, 175))
    assert h_conf[name("pelvis")] == pytest.approx((conf[11] + conf[12]) / 2)
    assert h_conf[name("spine")] == pytest.approx(np.mean(conf[[5, 6, 11, 12]]))
    assert h_conf[name("left_elbow")] == pytest.approx(conf[7])


def test_conversion_batches_3d_and_propagates_nan() -> None:
    rng = np.random.default_rng(0)
    coco3d = rng.normal(size=(4, 2, 17, 3))
    coco3d[1, 0, 11] = np.nan  # left hip missing
    h36m, conf = sk.coco_to_h36m(coco3d)
    assert h36m.shape == (4, 2, 17, 3) and conf is None
    missing = {i for i in range(17) if np.isnan(h36m[1, 0, i]).any()}
    assert missing == {sk.H36M_JOINT_NAMES.index(n) for n in ("pelvis", "left_hip", "spine")}
    assert np.isfinite(h36m[0]).all()
    with pytest.raises(ValueError, match="17 joints"):
        sk.coco_to_h36m(np.zeros((33, 2)))


def test_blazepose_to_coco_picks_landmarks() -> None:
    blaze = np.arange(33 * 2, dtype=float).reshape(33, 2)
    visibility = np.arange(33) / 33
    coco, conf = sk.blazepose_to_coco(blaze, visibility)
    np.testing.assert_array_equal(coco, blaze[list(sk.BLAZEPOSE_TO_COCO)])
    np.testing.assert_allclose(conf, visibility[list(sk.BLAZEPOSE_TO_COCO)])
    # the chain BlazePose -> COCO -> H36M puts the pelvis between BlazePose's hips (23, 24)
    h36m, _ = sk.coco_to_h36m(coco)
    np.testing.assert_allclose(h36m[0], (blaze[23] + blaze[24]) / 2)


def test_conversion_commutes_with_affine_maps() -> None:
    # a mean of points moves with the points: converting then transforming equals the reverse
    coco = coco_pose()
    angle = 0.3
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    shift = np.array([12.0, -7.0])
    converted_then_moved = sk.coco_to_h36m(coco)[0] @ rot.T + shift
    moved_then_converted = sk.coco_to_h36m(coco @ rot.T + shift)[0]
    np.testing.assert_allclose(converted_then_moved, moved_then_converted, atol=1e-9)


def test_bone_lengths() -> None:
    joints = np.zeros((17, 3))
    for child, parent in enumerate(sk.H36M_PARENTS):
        if parent >= 0:
            joints[child] = joints[parent] + (0.0, 0.1 * child, 0.0)
    lengths = sk.bone_lengths(joints)
    np.testing.assert_allclose(lengths, [0.1 * c for _, c in sk.H36M_BONES])
