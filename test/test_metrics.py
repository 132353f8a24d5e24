"""Pose metrics on hand-computed cases, invariances and input validation."""

import numpy as np
import pytest

from auglift_ros.core.metrics import (
    auc,
    joint_errors,
    mpjpe,
    n_mpjpe,
    p_mpjpe,
    pck,
    procrustes_align,
)


def random_rotations(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, 3, 3) proper rotations from QR of Gaussian matrices, det forced to +1."""
    q, r = np.linalg.qr(rng.normal(size=(n, 3, 3)))
    q = q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]
    q[np.linalg.det(q) < 0, :, 0] *= -1
    return q


def random_poses(rng: np.random.Generator, n: int = 8, k: int = 17) -> np.ndarray:
    """Generic (chiral, non-degenerate) point sets of roughly human size in mm."""
    return rng.normal(scale=300.0, size=(n, k, 3))


# --- hand-computed values ---------------------------------------------------------------------------


def test_two_joint_mpjpe_known_error() -> None:
    gt = np.array([[0.0, 0.0, 0.0], [100.0, 0.0, 0.0]])
    pred = np.array([[0.0, 0.0, 0.0], [100.0, 30.0, 40.0]])  # second joint off by a 3-4-5 triangle
    assert mpjpe(pred, gt) == pytest.approx(25.0)  # (0 + 50) / 2
    np.testing.assert_allclose(mpjpe(pred, gt, per_joint=True), [0.0, 50.0])
    assert mpjpe(pred, gt, root=None) == pytest.approx(25.0)


def test_root_alignment_removes_translation() -> None:
    gt = np.array([[[0.0, 0.0, 0.0], [100.0, 0.0, 0.0]]])
    pred = gt + np.array([1000.0, -500.0, 250.0])
    assert mpjpe(pred, gt) == pytest.approx(0.0)
    # Without alignment every joint is off by |(1000, -500, 250)| = 1145.64 mm.
    assert mpjpe(pred, gt, root=None) == pytest.approx(np.sqrt(1000**2 + 500**2 + 250**2))


def test_root_choice_matters() -> None:
    gt = np.zeros((1, 2, 3))
    pred = np.array([[[0.0, 0.0, 0.0], [0.0, 0.0, 10.0]]])
    assert mpjpe(pred, gt, root=0) == pytest.approx(5.0)
    # Aligning on joint 1 moves the error onto joint 0 instead: same mean.
    np.testing.assert_allclose(mpjpe(pred, gt, root=1, per_joint=True), [10.0, 0.0])
    np.testing.assert_allclose(mpjpe(pred, gt, root=-1, per_joint=True), [10.0, 0.0])


def three_joint_errors_0_75_200() -> tuple[np.ndarray, np.ndarray]:
    gt = np.zeros((1, 3, 3))
    pred = np.array([[[0.0, 0.0, 0.0], [75.0, 0.0, 0.0], [0.0, 200.0, 0.0]]])
    return pred, gt


def test_pck_hand_computed() -> None:
    pred, gt = three_joint_errors_0_75_200()
    np.testing.assert_allclose(joint_errors(pred, gt), [[0.0, 75.0, 200.0]])
    assert pck(pred, gt) == pytest.approx(200.0 / 3.0)  # 2 of 3 joints within 150 mm
    assert pck(pred, gt, threshold=75.0) == pytest.approx(200.0 / 3.0)  # <= is inclusive
    assert pck(pred, gt, threshold=74.9) == pytest.approx(100.0 / 3.0)
    assert pck(pred, gt, threshold=0.0) == pytest.approx(100.0 / 3.0)
    assert pck(pred, gt, threshold=200.0) == pytest.approx(100.0)
    np.testing.assert_allclose(pck(pred, gt, per_joint=True), [100.0, 100.0, 0.0])


def test_auc_hand_computed() -> None:
    pred, gt = three_joint_errors_0_75_200()
    # Thresholds 0, 75, 150: PCK = 1/3, 2/3, 2/3 -> mean 5/9.
    assert auc(pred, gt, max_threshold=150.0, steps=3) == pytest.approx(500.0 / 9.0)
    np.testing.assert_allclose(auc(pred, gt, steps=3, per_joint=True), [100.0, 200.0 / 3.0, 0.0])
    # Default 31 thresholds 0, 5, ..., 150: joint errors pass 31, 16 and 0 of them.
    assert auc(pred, gt) == pytest.approx(100.0 * 47.0 / 93.0)


def test_n_mpjpe_hand_computed() -> None:
    gt = np.array([[[0.0, 0.0, 0.0], [100.0, 0.0, 0.0], [0.0, 100.0, 0.0]]])
    pred = np.array([[[0.0, 0.0, 0.0], [200.0, 0.0, 0.0], [0.0, 0.0, 200.0]]])
    # s = <pred, gt> / <pred, pred> = 20000 / 80000 = 0.25: joints at (50,0,0) and (0,0,50).
    expected = [0.0, 50.0, np.sqrt(100.0**2 + 50.0**2)]
    np.testing.assert_allclose(joint_errors(pred, gt, alignment="scale"), [expected])
    assert n_mpjpe(pred, gt) == pytest.approx(np.mean(expected))


def test_alignment_none_ignores_root() -> None:
    gt = np.zeros((1, 2, 3))
    pred = np.full((1, 2, 3), 2.0)
    np.testing.assert_allclose(joint_errors(pred, gt, alignment="none"), [[np.sqrt(12.0)] * 2])
    np.testing.assert_allclose(joint_errors(pred, gt, alignment="root"), [[0.0, 0.0]])


def test_single_pose_k3_accepted() -> None:
    rng = np.random.default_rng(0)
    gt = random_poses(rng, 1, 5)
    pred = gt + rng.normal(size=gt.shape)
    for fn in (mpjpe, p_mpjpe, n_mpjpe, pck, auc):
        assert fn(pred[0], gt[0]) == pytest.approx(fn(pred, gt))
    assert procrustes_align(pred[0], gt[0]).shape == (1, 5, 3)


# --- invariants -------------------------------------------------------------------------------------


def test_p_mpjpe_zero_for_similarity_transformed_copy() -> None:
    rng = np.random.default_rng(1)
    gt = random_poses(rng, n=16)
    rot = random_rotations(rng, 16)
    scale = rng.uniform(0.3, 3.0, size=(16, 1, 1))
    shift = rng.normal(scale=2000.0, size=(16, 1, 3))
    pred = scale * gt @ rot + shift
    assert p_mpjpe(pred, gt) == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(procrustes_align(pred, gt), gt, atol=1e-6)
    assert mpjpe(pred, gt) > 10.0  # the transform really does move the joints


def test_p_mpjpe_does_not_undo_a_mirror() -> None:
    rng = np.random.default_rng(2)
    gt = random_poses(rng, n=8)
    pred = gt * np.array([-1.0, 1.0, 1.0])  # x -> -x: an improper transform of a chiral point set
    assert p_mpjpe(pred, gt) > 50.0
    aligned = procrustes_align(pred, gt)
    # Reflections fixed: per-frame errors stay clearly above zero for every frame.
    assert np.all(np.linalg.norm(aligned - gt, axis=-1).mean(axis=1) > 10.0)


def test_procrustes_is_least_squares_optimal() -> None:
    rng = np.random.default_rng(3)
    gt = random_poses(rng, n=4)
    pred = gt + rng.normal(scale=60.0, size=gt.shape)
    aligned = procrustes_align(pred, gt)
    best = np.sum((aligned - gt) ** 2, axis=(1, 2))
    # Any small extra rotation / scale / shift of the solution is no better in squared error.
    for _ in range(20):
        rot = random_rotations(rng, 1)[0]
        rot = np.linalg.qr(np.eye(3) + 0.05 * (rot - np.eye(3)))[0]
        rot = rot * np.sign(np.linalg.det(rot))
        centroid = aligned.mean(axis=1, keepdims=True)
        moved = (1.0 + rng.normal(scale=0.02)) * (aligned - centroid) @ rot + centroid + rng.normal(size=3)
        assert np.all(np.sum((moved - gt) ** 2, axis=(1, 2)) >= best - 1e-6)
    # Root + scale is one particular similarity transform, so Procrustes' RMS error cannot exceed it.
    rms_p = np.sqrt(np.mean(joint_errors(pred, gt, alignment="procrustes") ** 2))
    rms_n = np.sqrt(np.mean(joint_errors(pred, gt, alignment="scale") ** 2))
    assert rms_p <= rms_n + 1e-9


def test_n_mpjpe_removes_scale_only() -> None:
    rng = np.random.default_rng(4)
    gt = random_poses(rng)
    pred = 1.3 * (gt - gt[:, :1]) + np.array([50.0, -20.0, 3000.0])
    assert n_mpjpe(pred, gt) == pytest.approx(0.0, abs=1e-6)
    assert mpjpe(pred, gt) > 50.0


def test_mpjpe_invariant_to_frame_permutation() -> None:
    rng = np.random.default_rng(5)
    gt = random_poses(rng, n=10)
    pred = gt + rng.normal(scale=40.0, size=gt.shape)
    perm = rng.permutation(10)
    for fn in (mpjpe, p_mpjpe, n_mpjpe, pck, auc):
        assert fn(pred[perm], gt[perm]) == pytest.approx(fn(pred, gt))


@pytest.mark.parametrize("fn", [mpjpe, p_mpjpe, n_mpjpe, pck, auc])
def test_per_joint_averages_to_overall(fn) -> None:
    rng = np.random.default_rng(6)
    gt = random_poses(rng, n=12, k=17)
    pred = gt + rng.normal(scale=90.0, size=gt.shape)
    per_joint = fn(pred, gt, per_joint=True)
    assert isinstance(per_joint, np.ndarray)
    assert per_joint.shape == (17,)
    overall = fn(pred, gt)
    assert isinstance(overall, float)
    assert float(per_joint.mean()) == pytest.approx(overall)


def test_degenerate_frames_do_not_produce_nan() -> None:
    rng = np.random.default_rng(7)
    gt = random_poses(rng, n=2, k=5)
    pred = np.ones_like(gt) * 42.0  # every joint at one point: no rotation or scale is defined
    aligned = procrustes_align(pred, gt)
    assert np.all(np.isfinite(aligned))
    # Best fit of a point to a point set is its centroid.
    np.testing.assert_allclose(aligned, np.broadcast_to(gt.mean(axis=1, keepdims=True), gt.shape))
    assert np.isfinite(p_mpjpe(pred, gt))
    assert np.isfinite(n_mpjpe(pred, gt))
    same = np.zeros((1, 4, 3))
    assert p_mpjpe(same, same) == 0.0
    assert n_mpjpe(same, same) == 0.0


# --- input validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pred_shape", "gt_shape"),
    [((2, 17, 3), (2, 16, 3)), ((2, 17, 3), (3, 17, 3)), ((17, 3), (1, 17, 3))],
)
def test_shape_mismatch_rejected(pred_shape, gt_shape) -> None:
    with pytest.raises(ValueError, match=r"shapes differ.*\(") as info:
        mpjpe(np.zeros(pred_shape), np.zeros(gt_shape))
    assert str(pred_shape) in str(info.value) and str(gt_shape) in str(info.value)


@pytest.mark.parametrize("shape", [(2, 17, 2), (17,), (1, 2, 17, 3)])
def test_bad_rank_or_coordinate_count_rejected(shape) -> None:
    with pytest.raises(ValueError, match=r"\(N, K, 3\)"):
        p_mpjpe(np.zeros(shape), np.zeros(shape))


def test_non_finite_rejected_with_count() -> None:
    gt = np.zeros((2, 4, 3))
    pred = gt.copy()
    pred[0, 1, 2] = np.nan
    pred[1, 3, 0] = np.inf
    for fn in (mpjpe, p_mpjpe, n_mpjpe, pck, auc, procrustes_align, joint_errors):
        with pytest.raises(ValueError, match=r"non-finite.*2 in pred"):
            fn(pred, gt)
    gt_bad = gt.copy()
    gt_bad[1, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"0 in pred.*1 in gt"):
        mpjpe(gt, gt_bad)


def test_empty_rejected() -> None:
    with pytest.raises(ValueError, match="no frames"):
        mpjpe(np.zeros((0, 17, 3)), np.zeros((0, 17, 3)))
    with pytest.raises(ValueError, match="no joints"):
        mpjpe(np.zeros((2, 0, 3)), np.zeros((2, 0, 3)))


def test_bad_options_rejected() -> None:
    pose = np.zeros((1, 3, 3))
    with pytest.raises(ValueError, match="unknown alignment"):
        joint_errors(pose, pose, alignment="similarity")
    with pytest.raises(ValueError, match="root joint 3 out of range"):
        mpjpe(pose, pose, root=3)
    with pytest.raises(ValueError, match="threshold"):
        pck(pose, pose, threshold=-1.0)
    with pytest.raises(ValueError, match="steps"):
        auc(pose, pose, steps=0)
