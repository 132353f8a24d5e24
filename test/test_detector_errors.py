"""Measuring a detector's errors on multi-view footage (auglift_ros.footage.detector_errors), on
synthetic rigs with known errors; and, when the pose2sim wheel is cached, the person matching on the
real Demo_MultiPerson footage."""

from __future__ import annotations

import numpy as np
import pytest
from scenes import camera_ring

from auglift_ros.core.skeleton import H36M_LEFT_RIGHT_PAIRS
from auglift_ros.footage.calibration import CalibratedCamera
from auglift_ros.footage.detector_errors import (
    OUTLIER_THRESHOLD,
    PersonTrack,
    align_scale_shift,
    detect_people,
    error_table,
    hide_person,
    match_people,
    measure_errors,
    person_misses,
    person_size,
    robust_sigma,
    select_person,
)
from auglift_ros.footage.pose2sim import MULTI_PERSON_DIR, cached_pose2sim_demo
from auglift_ros.mocap.generated import random_poses
from auglift_ros.perception.detector import Detections
from auglift_ros.simulation.sensors import JOINT_GROUPS, QUANTILE_LEVELS, keypoint_box_scale

LEFT, RIGHT = np.array(H36M_LEFT_RIGHT_PAIRS).T


def rig(views: int = 4) -> list[CalibratedCamera]:
    """Cameras 3.5 m around the world origin (y up), 1.8 m high, looking down 15 degrees."""
    return camera_ring(tuple(-160.0 + 360.0 / views * view for view in range(views)))


def people(frames: int, seed: int = 0) -> np.ndarray:
    """Standing poses (T, 17, 3) in metres, world y up, feet on the floor at the origin."""
    poses = random_poses(frames, np.random.default_rng(seed), sit_fraction=0.0)
    poses[..., 1] += 0.08 - poses[..., 1].min(axis=-1, keepdims=True)
    return poses


def project(cameras: list[CalibratedCamera], joints: np.ndarray) -> np.ndarray:
    return np.stack([camera.project(joints, distort=False) for camera in cameras])


def test_person_size_is_the_simulations_keypoint_box_scale():
    keypoints = np.random.default_rng(0).uniform(0, 500, (20, 17, 2))
    keypoints[3, 5] = np.nan
    np.testing.assert_allclose(person_size(keypoints), keypoint_box_scale(keypoints))


def test_align_scale_shift_undoes_scale_and_shift_despite_a_wrong_joint():
    reference = np.random.default_rng(1).uniform(200, 600, (5, 17, 2))
    detected = 1.07 * (reference - 400.0) + 400.0 + np.array([12.0, -7.0])
    detected[:, 3] += 150.0  # one wrong joint per detection
    aligned = align_scale_shift(detected, reference, np.ones((5, 17)))
    others = np.delete(np.arange(17), 3)
    np.testing.assert_allclose(aligned[:, others], reference[:, others], atol=0.5)
    assert np.all(np.linalg.norm(aligned[:, 3] - reference[:, 3], axis=-1) > 100.0)


def _measured(noise, swap_prob=0.0, outlier_prob=0.0, frames=300, seed=0, noisy_views=(1,)):
    """Measure known errors injected into some views of a synthetic rig (the others exact)."""
    rng = np.random.default_rng(seed)
    cameras = rig()
    projections = np.stack([c.projection for c in cameras])
    truth = project(cameras, people(frames, seed))
    pixels, confidence = truth.copy(), np.full(truth.shape[:-1], 0.95)
    swapped = np.zeros((len(cameras), frames, 6), bool)
    for view in noisy_views:
        size = keypoint_box_scale(truth[view])[:, None, None]
        pixels[view] += rng.normal(size=truth[view].shape) * noise * size
        swapped[view] = rng.uniform(size=(frames, 6)) < swap_prob
        left, right = pixels[view][:, LEFT].copy(), pixels[view][:, RIGHT].copy()
        pixels[view][:, LEFT] = np.where(swapped[view][..., None], right, left)
        pixels[view][:, RIGHT] = np.where(swapped[view][..., None], left, right)
        jump = rng.uniform(0.3, 0.5, (frames, 17, 1)) * size
        angle = rng.uniform(0, 2 * np.pi, (frames, 17))
        outlier = rng.uniform(size=(frames, 17)) < outlier_prob
        away = truth[view] + jump * np.stack([np.cos(angle), np.sin(angle)], -1)
        pixels[view] = np.where(outlier[..., None], away, pixels[view])
        confidence[view] = np.where(outlier, 0.3, confidence[view])
    samples = measure_errors(pixels, confidence, projections, np.ones(confidence.shape, bool))
    mine = np.isin(samples.view, noisy_views)
    return samples, mine, swapped


def test_measured_noise_and_swaps_are_those_injected():
    samples, mine, swapped = _measured(0.02, swap_prob=0.02)
    # the noisy view, measured against the exact ones, shows its std (a little less: the scale and
    # shift alignment takes 3 of 34 numbers); the exact views show only what the noisy one moves their
    # references by (the fit accounts for it by measuring simulated draws alike)
    assert 0.0 < robust_sigma(samples.errors[~mine]) < 0.4 * 0.02
    per_joint = np.array([robust_sigma(samples.errors[mine, j]) for j in range(17)])
    np.testing.assert_allclose(per_joint, 0.02, rtol=0.15)
    assert 0.018 < robust_sigma(samples.errors[mine]) < 0.021
    # every injected swap found; almost nothing else (an exact view's reference can be spoilt by a
    # swap and noise of the noisy view in the same frame)
    assert swapped[1].mean() == pytest.approx(0.02, abs=0.005)
    assert samples.swapped[mine].sum() == swapped[1].sum()
    assert samples.swapped[~mine].mean() < 0.001


def test_error_table_recovers_outliers_and_confidence_bins():
    samples, mine, _ = _measured(0.02, outlier_prob=0.03)
    # The exact views see some of those outliers too, through their references: view 3 faces view 1,
    # whose image alone fixes the reference along view 3's image x axis (the fit measures simulated
    # draws through the same geometry, so it counts this alike). The noisy view's own table:
    table = error_table(samples.rows(mine), JOINT_GROUPS, QUANTILE_LEVELS, confidence_edges=(0.5, 0.9))
    for group in JOINT_GROUPS:  # 3% of its joints jumped 0.3-0.5 person sizes
        assert table.outlier_rate[group] == pytest.approx(0.03, abs=0.008)
    assert OUTLIER_THRESHOLD < table.outlier_jump[0] and table.outlier_jump[-1] < 0.55
    np.testing.assert_allclose(table.outlier_confidence, 0.3)
    # the outliers carry confidence 0.3: the lowest bin is all outliers, the top bin none
    assert table.bin_outliers[0] == pytest.approx(1.0) and table.bin_outliers[-1] < 0.01
    assert table.bin_count[1] == 0 and table.swap_rate == 0.0
    np.testing.assert_allclose(table.visible_confidence["torso"][1:-1], 0.95)


def test_jitter_that_grows_as_confidence_falls_is_measured_per_bin():
    rng = np.random.default_rng(3)
    cameras = rig()
    projections = np.stack([c.projection for c in cameras])
    truth = project(cameras, people(300, 1))
    confidence = np.where(rng.uniform(size=truth.shape[:-1]) < 0.3, 0.4, 0.95)
    size = keypoint_box_scale(truth[2])[:, None, None]
    pixels = truth.copy()
    pixels[2] += (
        rng.normal(size=truth[2].shape) * 0.015 * size * np.where(confidence[2] < 0.5, 3.0, 1.0)[..., None]
    )
    samples = measure_errors(pixels, confidence, projections, np.ones(confidence.shape, bool))
    table = error_table(
        samples.rows(samples.view == 2), JOINT_GROUPS, QUANTILE_LEVELS, confidence_edges=(0.5,)
    )
    np.testing.assert_allclose(table.joint_sigma, 0.015, rtol=0.2)
    assert table.bin_sigma[0] / table.bin_sigma[1] == pytest.approx(3.0, rel=0.15)
    assert table.bin_count[0] == pytest.approx(0.3 * table.bin_count.sum(), rel=0.1)


def test_two_people_are_matched_across_views_whatever_the_detection_order():
    cameras = rig()
    projections = np.stack([c.projection for c in cameras])
    a, b = people(1, 4)[0], people(1, 5)[0]
    b = b + np.array([1.2, 0.0, 0.4])  # a second person 1.3 m away
    pixels = np.stack([project(cameras, a), project(cameras, b)], axis=1)  # (V, P, 17, 2)
    pixels[1] = pixels[1, ::-1]  # view 1 found them the other way round
    pixels[3, 1] = np.nan  # view 3 missed the second person
    confidence = np.where(np.isfinite(pixels[..., 0]), 0.9, 0.0)
    matches = match_people(pixels, confidence, projections)
    assert sorted(m.choice for m in matches) == [(0, 1, 0, 0), (1, 0, 1, -1)]
    first = next(m for m in matches if m.choice[0] == 0)
    np.testing.assert_allclose(first.joints, a, atol=1e-6)
    assert max(m.error for m in matches) < 1e-6

    # the person near (x, y) of a z-up world: here x and -z of the y-up one
    frames = [matches, matches]
    both = np.stack([pixels, pixels], axis=1)
    conf = np.stack([confidence, confidence], axis=1)
    near = tuple(np.mean(b[[1, 4]][:, [0, 1]], axis=0))
    track = select_person(frames, both, conf, near, 0.3)
    np.testing.assert_allclose(track.keypoints[1, 0], pixels[1, 0])  # b is view 1's detection 0
    assert np.isnan(track.keypoints[3]).all() and len(track.others[0]) == 1


def test_person_misses_counts_frames_where_the_others_see_the_person_in_view():
    cameras = rig()
    projections = np.stack([c.projection for c in cameras])
    truth = project(cameras, people(10, 2))
    keypoints = truth.copy()
    keypoints[2, :4] = np.nan
    track = PersonTrack(keypoints, np.ones(truth.shape[:-1]), [[] for _ in range(10)])
    np.testing.assert_allclose(person_misses(track, projections, [(1088, 1920)] * 4), [0.0, 0.0, 0.4, 0.0])


class _BlobDetector:
    """A fake masking detector: the first non-grey, non-black pixel column block is a 'person'."""

    def detect_with_mask(self, image: np.ndarray) -> tuple[Detections, np.ndarray | None]:
        bright = image.max(axis=-1) > 200
        if not bright.any():
            return Detections.empty(), None
        rows, cols = np.nonzero(bright)
        first = cols.min()
        mask = bright & (np.arange(image.shape[1]) < first + 40)[None, :]
        keypoints = np.full((1, 17, 2), [first + 10.0, rows.min() + 10.0])
        return Detections(keypoints, np.ones((1, 17))), mask.astype(np.float32)

    def close(self) -> None:
        pass


def test_people_are_found_one_pass_at_a_time_by_painting_out():
    image = np.zeros((200, 300, 3), np.uint8)
    image[50:150, 20:60] = 255
    image[60:160, 200:240] = 255
    hidden = hide_person(image, (image.max(-1) > 200) & (np.arange(300) < 100)[None, :])
    grown = np.zeros((200, 300), bool)
    grown[48:152, 18:62] = True  # grown by 0.8% of the height (2 px), the other person untouched
    np.testing.assert_array_equal(hidden.min(-1) == 127, grown)
    assert (hidden[60:160, 200:240] == 255).all()
    keypoints, confidence = detect_people(
        [image, image[:, ::-1].copy()], [_BlobDetector()] * 3, pixel_scale=(2.0, 1.0)
    )
    assert keypoints.shape == (2, 3, 17, 2)
    np.testing.assert_allclose(keypoints[0, :2, 0], [[60.0, 60.0], [420.0, 70.0]])  # x scaled by 2
    assert np.isnan(keypoints[:, 2]).all() and (confidence[:, 2] == 0).all()


def test_on_demo_multiperson_the_composited_person_is_matched_in_every_view():
    demo = cached_pose2sim_demo(demo_dir=MULTI_PERSON_DIR)
    if demo is None:
        pytest.skip("pose2sim wheel not cached (see test_pose2sim.py)")
    from auglift_ros.footage.detector_errors import detect_people_in_views
    from auglift_ros.perception.detector import MediaPipePoseDetector

    cameras = demo.cameras()
    projections = np.stack([c.projection for c in cameras])
    keypoints, confidence = detect_people_in_views(
        demo.videos,
        lambda: MediaPipePoseDetector(tracking=True, segmentation=True),
        people=2,
        max_frames=8,
        progress=False,
    )
    assert keypoints.shape == (4, 8, 2, 17, 2)
    pixels = np.stack([c.undistort(k) for c, k in zip(cameras, keypoints, strict=True)])
    matches = [match_people(pixels[:, t], confidence[:, t], projections) for t in range(8)]
    assert all(len(found) == 2 for found in matches)  # both people, every frame
    track = select_person(matches, pixels, confidence, (0.2, -0.42), 0.5)
    # cam01, cam02 and cam04 see her in every frame (cam03 only when the other person does not hide her)
    assert np.isfinite(track.keypoints[[0, 1, 3]]).all()
    samples = measure_errors(track.keypoints, track.confidence, projections, np.ones((4, 8, 17), bool))
    aligned = np.nanmedian(np.linalg.norm(samples.errors, axis=-1))
    assert aligned < 0.05  # a few per cent of her size once her per-view misplacement is aligned away
