"""UADD on hand-computed depth maps: planes, step edges, borders, holes, radii."""

import numpy as np
import pytest

from auglift_ros.core.uadd import (
    UaddParams,
    depth_descriptors,
    depth_min_v1,
    sampling_radii,
    sunflower_offsets,
)

H, W = 120, 160


def person(torso_px: float = 50.0, joints: int = 17, at: tuple[float, float] = (80.0, 60.0)) -> np.ndarray:
    """Keypoints (1, K, 2) all at `at`, except the thorax placed torso_px above the pelvis."""
    kp = np.tile(np.asarray(at, float), (1, joints, 1))
    kp[0, 8] = (at[0], at[1] - torso_px)
    return kp


def test_radius_rule_confidence_one_and_zero() -> None:
    kp = person(torso_px=100.0)
    conf = np.zeros((1, 17))
    conf[0, :2] = [1.0, 0.5]
    radii = sampling_radii(kp, conf, UaddParams())
    # c = 1: k * S = 0.04 * 100 = 4 px; c = 0.5: 4 * (1 + 1.5) ** 1.5 = 15.81 px; c = 0: 32 px -> r_max = 30
    assert radii[0, 0] == pytest.approx(4.0)
    assert radii[0, 1] == pytest.approx(4.0 * 2.5**1.5)
    assert radii[0, 2] == pytest.approx(30.0)
    # a small person clips to r_min
    assert sampling_radii(person(torso_px=20.0), np.ones((1, 17)), UaddParams())[0, 0] == pytest.approx(3.0)


def test_missing_torso_uses_widest_radius() -> None:
    kp = person()
    kp[0, 0] = np.nan
    radii = sampling_radii(kp, np.ones((1, 17)), UaddParams())
    assert np.all(radii == 30.0)


def test_planar_depth_gives_constant_descriptor() -> None:
    depth = np.full((H, W), 2.5, np.float32)
    result = depth_descriptors(depth, person(), np.full((1, 17), 0.3))
    assert result.descriptors.shape == (1, 17, 3)
    np.testing.assert_allclose(result.descriptors, 2.5)
    assert result.valid.all()


def test_tilted_plane_point_depth_and_symmetric_percentiles() -> None:
    # depth rises 0.01 m per column: d is the keypoint's column, the disk is symmetric in x, so d_min
    # and d_max lie symmetrically around d; the 90th percentile of x over a uniform unit disk is 0.69
    cols = np.arange(W, dtype=np.float32)
    depth = np.tile(1.0 + 0.01 * cols, (H, 1))
    kp = person(at=(80.0, 60.0))
    result = depth_descriptors(depth, kp, np.zeros((1, 17)))  # c = 0: r = 0.04 * 50 * 4 ** 1.5 = 16 px
    d, d_min, d_max = result.descriptors[0, 0]
    assert result.radii[0, 0] == pytest.approx(16.0)
    assert d == pytest.approx(1.8, abs=1e-6)
    assert (d - d_min) == pytest.approx(d_max - d, abs=0.012)
    assert d_max - d == pytest.approx(0.01 * 0.69 * 16.0, rel=0.1)


def test_step_edge_spread_and_point_depth() -> None:
    depth = np.full((H, W), 4.0, np.float32)
    depth[:, :80] = 2.0  # a near body on the left, a wall 2 m further on the right
    kp = person(at=(79.0, 60.0))
    result = depth_descriptors(depth, kp, np.zeros((1, 17)))
    d, d_min, d_max = result.descriptors[0, 0]
    assert d == pytest.approx(2.0)
    assert d_min == pytest.approx(2.0)
    assert d_max == pytest.approx(4.0)
    # a confident keypoint 10 px from the edge sees only the body (r = 4 px < 10 px)
    confident = depth_descriptors(depth, person(at=(69.0, 60.0)), np.ones((1, 17)))
    np.testing.assert_allclose(confident.descriptors[0, 0], [2.0, 2.0, 2.0])


def test_percentiles_match_numpy_on_the_same_samples() -> None:
    rng = np.random.default_rng(3)
    depth = rng.uniform(1.0, 6.0, (H, W)).astype(np.float32)
    depth[rng.random((H, W)) < 0.2] = np.nan
    kp = rng.uniform([10, 10], [150, 110], (2, 17, 2))
    conf = rng.uniform(0, 1, (2, 17))
    params = UaddParams()
    result = depth_descriptors(depth, kp, conf, params)
    radii = sampling_radii(kp, conf, params)
    for p, j in [(0, 0), (0, 5), (1, 16)]:
        pts = np.floor(kp[p, j] + radii[p, j] * sunflower_offsets(params.num_samples) + 0.5).astype(int)
        samples = depth[pts[:, 1], pts[:, 0]]
        samples = samples[np.isfinite(samples)]
        np.testing.assert_allclose(result.descriptors[p, j, 1:], np.percentile(samples, [10, 90]), rtol=1e-6)


def test_keypoint_at_border_uses_inside_half_only() -> None:
    depth = np.full((H, W), 3.0, np.float32)
    kp = person(at=(0.0, 60.0))
    result = depth_descriptors(depth, kp, np.zeros((1, 17)))
    np.testing.assert_allclose(result.descriptors[0, 0], [3.0, 3.0, 3.0])


def test_keypoint_outside_image_is_nan_and_invalid() -> None:
    depth = np.full((H, W), 3.0, np.float32)
    kp = person(at=(80.0, 60.0))
    kp[0, 3] = (-200.0, 60.0)
    kp[0, 4] = (80.0, 500.0)
    result = depth_descriptors(depth, kp, np.ones((1, 17)))
    assert not result.valid[0, 3] and not result.valid[0, 4]
    assert np.isnan(result.descriptors[0, 3]).all()
    assert result.valid[0, [0, 1, 2, 5]].all()


def test_nan_hole_at_keypoint_falls_back_to_nearest_valid_sample() -> None:
    depth = np.full((H, W), 5.0, np.float32)
    depth[55:66, 75:86] = np.nan  # an 11x11 hole around (80, 60)
    depth[:, 86:] = 6.0  # to the right of the hole the depth is 6
    depth[40:50, :] = 0.0  # zero depth means "no measurement" (REP 118) and is ignored too
    result = depth_descriptors(depth, person(at=(80.0, 60.0)), np.zeros((1, 17)))
    d, d_min, d_max = result.descriptors[0, 0]
    assert d in (5.0, 6.0)
    assert d_min == pytest.approx(5.0) and d_max == pytest.approx(6.0)
    all_hole = np.full((H, W), np.nan, np.float32)
    empty = depth_descriptors(all_hole, person(), np.ones((1, 17)))
    assert not empty.valid.any() and np.isnan(empty.descriptors).all()


def test_no_persons_and_determinism() -> None:
    depth = np.random.default_rng(0).uniform(1, 5, (H, W)).astype(np.float32)
    empty = depth_descriptors(depth, np.zeros((0, 17, 2)), np.zeros((0, 17)))
    assert empty.descriptors.shape == (0, 17, 3) and empty.radii.shape == (0, 17)
    kp = np.random.default_rng(1).uniform(0, 120, (3, 17, 2))
    conf = np.random.default_rng(2).uniform(0, 1, (3, 17))
    first = depth_descriptors(depth, kp, conf)
    second = depth_descriptors(depth, kp, conf)
    np.testing.assert_array_equal(first.descriptors, second.descriptors)


def test_persons_are_independent_of_batching() -> None:
    rng = np.random.default_rng(5)
    depth = rng.uniform(1, 5, (H, W)).astype(np.float32)
    kp = rng.uniform(0, 120, (4, 17, 2))
    conf = rng.uniform(0, 1, (4, 17))
    batched = depth_descriptors(depth, kp, conf).descriptors
    single = np.concatenate(
        [depth_descriptors(depth, kp[i : i + 1], conf[i : i + 1]).descriptors for i in range(4)]
    )
    np.testing.assert_array_equal(batched, single)
    permuted = depth_descriptors(depth, kp[::-1], conf[::-1]).descriptors
    np.testing.assert_array_equal(permuted, batched[::-1])


def test_overrides_and_parameter_validation() -> None:
    kp = person(torso_px=100.0)
    radii = depth_descriptors(np.ones((H, W)), kp, np.ones((1, 17)), k=0.1).radii
    assert radii[0, 0] == pytest.approx(10.0)
    with pytest.raises(ValueError, match="r_min"):
        UaddParams(r_min=40.0)
    with pytest.raises(ValueError, match="percentiles"):
        UaddParams(low_percentile=95.0)
    with pytest.raises(ValueError, match="shape"):
        depth_descriptors(np.ones((H, W)), np.ones((17, 2)), np.ones(17))
    with pytest.raises(ValueError, match="confidence shape"):
        depth_descriptors(np.ones((H, W)), kp, np.ones((1, 16)))
    with pytest.raises(ValueError, match="2D"):
        depth_descriptors(np.ones((H, W, 1)), kp, np.ones((1, 17)))


def test_params_round_trip() -> None:
    params = UaddParams(k=0.05, r_max=25.0)
    assert UaddParams.from_dict(params.to_dict()) == params


def test_v1_minimum_within_three_pixels() -> None:
    depth = np.full((H, W), 4.0, np.float32)
    depth[60, 83] = 1.5  # 3 px to the right: inside the radius-3 disk
    depth[62, 83] = 1.0  # sqrt(9 + 4) = 3.6 px away: outside
    kp = np.array([[[80.0, 60.0], [-50.0, 0.0]]])
    d = depth_min_v1(depth, kp)
    assert d[0, 0] == pytest.approx(1.5)
    assert np.isnan(d[0, 1])
