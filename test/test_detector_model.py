"""The measured detector error model (auglift_ros.simulation.sensors.DetectorErrorModel): its draws
have the statistics it was fitted to, the fit command's fitting recovers a known model through the
multi-view measurement, and the simulation selects it by name."""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from scenes import camera_ring

from auglift_ros.core.skeleton import H36M_JOINT_NAMES, H36M_LEFT_RIGHT_PAIRS
from auglift_ros.footage.calibration import CalibratedCamera
from auglift_ros.footage.detector_errors import OUTLIER_THRESHOLD, robust_sigma
from auglift_ros.mocap.generated import random_poses
from auglift_ros.simulation.scene import ray_cast_visibility
from auglift_ros.simulation.sensors import (
    DETECTOR_MODELS,
    JOINT_GROUPS,
    MEDIAPIPE_FITTED,
    MEDIAPIPE_FITTED_OFFSETS,
    QUANTILE_LEVELS,
    DetectorErrorModel,
    DetectorMixture,
    detector_error_model,
    keypoint_box_scale,
)
from auglift_ros.simulation.simulate import sequence_view, simulate_frames, simulate_views

J = {name: i for i, name in enumerate(H36M_JOINT_NAMES)}
FIT_SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "fit_detector_errors.py"
QUIET = {"swap_prob": 0.0, "outlier_prob": dict.fromkeys(JOINT_GROUPS, 0.0)}


def _load_fit_script() -> ModuleType:  # benchmarks/ is not a package
    spec = importlib.util.spec_from_file_location("fit_detector_errors", FIT_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _draw(model, n=20000, seed=0, noise_scale=1.0):
    """Draws for n persons at the origin with person scale 100 px; half the joints hidden."""
    rng = np.random.default_rng(seed)
    keypoints = np.zeros((n, 17, 2))
    visible = rng.uniform(size=(n, 17)) < 0.5
    detected, confidence = model.simulate(keypoints, visible, np.full(n, 100.0), rng, noise_scale=noise_scale)
    return detected / 100.0, confidence, visible


def test_draws_have_the_fitted_confidence_distributions_and_jitter():
    model = replace(MEDIAPIPE_FITTED, **QUIET)
    errors, confidence, visible = _draw(model)
    assert confidence.min() >= 0.0 and confidence.max() <= 1.0
    inner = slice(1, -1)  # the extremes of a sample are not the table's end points
    for group, joints in JOINT_GROUPS.items():
        cols = list(joints)
        for table, mask in ((model.visible_confidence, visible), (model.occluded_confidence, ~visible)):
            drawn = np.quantile(confidence[:, cols][mask[:, cols]], QUANTILE_LEVELS)
            np.testing.assert_allclose(drawn[inner], np.asarray(table[group])[inner], atol=0.02)
    top = confidence >= model.confidence_edges[-1]
    sigma = [robust_sigma(errors[top[:, j], j]) for j in range(17)]
    np.testing.assert_allclose(sigma, model.joint_sigma, rtol=0.06)
    bins = np.searchsorted(model.confidence_edges, confidence, side="right")
    normalised = errors / np.asarray(model.joint_sigma)[None, :, None]
    for b, factor in enumerate(model.noise_factors):
        if (bins == b).sum() > 2000:
            assert robust_sigma(normalised[bins == b]) == pytest.approx(factor, rel=0.08)
    doubled, _, _ = _draw(model, noise_scale=2.0)
    assert robust_sigma(doubled) == pytest.approx(2.0 * robust_sigma(errors), rel=0.03)


def test_draws_have_the_fitted_outliers_and_swaps():
    exact = replace(MEDIAPIPE_FITTED, joint_sigma=(0.0,) * 17, swap_prob=0.0)
    errors, confidence, _ = _draw(exact)
    moved = np.linalg.norm(errors, axis=-1) > 0
    for group, joints in JOINT_GROUPS.items():
        assert moved[:, list(joints)].mean() == pytest.approx(exact.outlier_prob[group], abs=0.004)
    jumps = np.linalg.norm(errors, axis=-1)[moved]
    assert jumps.min() >= exact.outlier_jump[0] - 1e-9 and jumps.max() <= exact.outlier_jump[-1] + 1e-9
    assert jumps.min() >= OUTLIER_THRESHOLD - 0.001  # outliers are what the measurement calls outliers
    drawn = np.quantile(confidence[moved], QUANTILE_LEVELS)
    np.testing.assert_allclose(drawn[1:-1], np.asarray(exact.outlier_confidence)[1:-1], atol=0.06)

    swapping = replace(exact, swap_prob=0.1, outlier_prob=QUIET["outlier_prob"])
    rng = np.random.default_rng(1)
    keypoints = rng.uniform(0, 100, (5000, 17, 2))
    detected, _ = swapping.simulate(keypoints, np.ones((5000, 17), bool), np.full(5000, 100.0), rng)
    left, right = np.array(H36M_LEFT_RIGHT_PAIRS).T
    swapped = np.all(detected[:, left] == keypoints[:, right], axis=-1)
    assert swapped.mean() == pytest.approx(0.1, abs=0.01)
    np.testing.assert_array_equal(
        detected[:, [J["pelvis"], J["spine"]]], keypoints[:, [J["pelvis"], J["spine"]]]
    )


def test_joint_offsets_move_nose_and_head_as_stated():
    keypoints = np.zeros((1, 17, 2))
    keypoints[0, J["thorax"]] = (0.0, 0.0)
    keypoints[0, J["neck_nose"]] = (0.0, -10.0)
    keypoints[0, J["head"]] = (2.0, -30.0)
    placed = replace(MEDIAPIPE_FITTED, neck_nose_scale=2.0, head_scale=0.5).place_keypoints(keypoints)
    np.testing.assert_allclose(placed[0, J["neck_nose"]], (0.0, -20.0))
    np.testing.assert_allclose(placed[0, J["head"]], (1.0, -30.0))  # nose' + 0.5 (head - nose)
    np.testing.assert_array_equal(MEDIAPIPE_FITTED.place_keypoints(keypoints), keypoints)
    assert MEDIAPIPE_FITTED_OFFSETS.neck_nose_scale > 1.0 > MEDIAPIPE_FITTED_OFFSETS.head_scale


def test_the_assumed_model_with_offsets_puts_the_face_keypoints_where_detectors_do():
    """At zero jitter the head keypoints sit exactly on MediaPipe's measured nose and eyes (they are in
    no left/right pair, so only the 1% outliers move them); the body keypoints stay on the joints."""
    poses = random_poses(200, np.random.default_rng(0))
    frames = simulate_frames(
        poses,
        np.random.default_rng(1),
        [],
        detector_model=DETECTOR_MODELS["assumed_offsets"],
        detector_noise_scale=0.0,
    )
    truth = frames.true_keypoints
    placed = MEDIAPIPE_FITTED_OFFSETS.place_keypoints(truth)
    face = [J["neck_nose"], J["head"]]
    on_place = np.all(np.isclose(frames.keypoints[:, face], placed[:, face], atol=1e-6), axis=-1)
    assert on_place.mean() > 0.97
    assert not np.any(np.all(np.isclose(frames.keypoints[:, face], truth[:, face], atol=1e-3), axis=-1))
    pelvis = frames.keypoints[:, J["pelvis"]]
    assert np.mean(np.all(np.isclose(pelvis, truth[:, J["pelvis"]], atol=1e-6), axis=-1)) > 0.97


def test_a_mixture_draws_its_models_by_weight_and_scales_their_noise():
    mixture = DetectorMixture((("assumed", 0.5, 3.0), ("mediapipe", 1.0, 1.0)))
    rng = np.random.default_rng(0)
    draws = [mixture.draw(rng, 0.5) for _ in range(4000)]
    share = np.mean([model is None for model, _ in draws])
    assert share == pytest.approx(0.75, abs=0.03)
    assert {scale for model, scale in draws if model is None} == {0.5}
    assert {scale for model, scale in draws if model is MEDIAPIPE_FITTED} == {1.0}
    _, doubled = DetectorMixture((("mediapipe", 1.0, 1.0),)).draw(rng, 1.0)
    assert doubled == 2.0  # 1.0 at the standard 0.5, twice that at 1.0
    with pytest.raises(ValueError, match="unknown detector error model 'rtm'"):
        DetectorMixture((("rtm", 0.5, 1.0),))
    with pytest.raises(ValueError, match="weight > 0"):
        DetectorMixture((("assumed", 0.5, 0.0),))
    with pytest.raises(ValueError, match="at least one"):
        DetectorMixture(())


def _on_mocap_head(frames) -> np.ndarray:
    """Per frame: whether the head keypoint is on the mocap head top (the plain assumed model at zero
    jitter) rather than where mediapipe_offsets puts it."""
    return np.all(
        np.isclose(frames.keypoints[:, J["head"]], frames.true_keypoints[:, J["head"]], atol=1e-6), axis=-1
    )


def test_a_mixture_draws_per_frame_in_single_frames_and_per_take_in_clips():
    mixture = DetectorMixture((("assumed", 0.0, 1.0), ("mediapipe_offsets", 0.0, 1.0)))
    poses = random_poses(400, np.random.default_rng(2))
    frames = simulate_frames(poses, np.random.default_rng(3), [], detector_model=mixture)
    assert 0.4 < _on_mocap_head(frames).mean() < 0.6

    rng = np.random.default_rng(4)
    takes = [random_poses(15, rng) + np.array([0.0, 0.0, 0.02 * t]) for t in range(12)]
    views = [sequence_view(take, rng) for take in takes]
    clips = simulate_views(views, np.random.default_rng(5), [], detector_model=mixture)
    per_take = [_on_mocap_head(clips.frames)[part].mean() for part in clips.clip_slices()]
    assert all(share < 0.25 or share > 0.75 for share in per_take)  # one detector a take (1% outliers)
    assert 0 < sum(share > 0.75 for share in per_take) < len(per_take)


def test_models_by_name_round_trip_and_checks():
    assert detector_error_model("assumed") is None
    assert detector_error_model("mediapipe") is MEDIAPIPE_FITTED
    assert set(DETECTOR_MODELS) == {"assumed", "assumed_offsets", "mediapipe", "mediapipe_offsets"}
    with pytest.raises(ValueError, match="mediapipe_offsets"):
        detector_error_model("rtmpose")
    values = json.loads(json.dumps(MEDIAPIPE_FITTED_OFFSETS.to_dict()))
    assert DetectorErrorModel.from_dict(values) == MEDIAPIPE_FITTED_OFFSETS
    with pytest.raises(ValueError, match="joint_sigma"):
        replace(MEDIAPIPE_FITTED, joint_sigma=(0.01,) * 16)
    with pytest.raises(ValueError, match="groups"):
        replace(MEDIAPIPE_FITTED, outlier_prob={"torso": 0.0})
    with pytest.raises(ValueError, match="non-decreasing"):
        replace(MEDIAPIPE_FITTED, outlier_jump=tuple(reversed(MEDIAPIPE_FITTED.outlier_jump)))
    with pytest.raises(ValueError, match="confidence bin"):
        replace(MEDIAPIPE_FITTED, noise_factors=(1.0, 1.0))


def test_simulation_selects_the_model_and_scales_it_from_the_standard_level():
    poses = random_poses(300, np.random.default_rng(0))

    def errors(**settings):
        frames = simulate_frames(poses, np.random.default_rng(1), [], **settings)
        truth = frames.true_keypoints
        relative = (frames.keypoints - truth) / keypoint_box_scale(truth)[:, None, None]
        confident = frames.confidence >= 0.9
        return relative[confident & frames.visible], frames

    fitted, frames = errors(detector_model=replace(MEDIAPIPE_FITTED, **QUIET))
    assumed, assumed_frames = errors()
    np.testing.assert_array_equal(frames.joints_cam, assumed_frames.joints_cam)  # same scenes
    # at the standard noise level (0.5) the model's own jitter: about its joint sigmas
    assert robust_sigma(fitted) == pytest.approx(np.median(MEDIAPIPE_FITTED.joint_sigma), rel=0.25)
    assert robust_sigma(fitted) < 0.6 * robust_sigma(assumed)
    doubled, _ = errors(detector_model=replace(MEDIAPIPE_FITTED, **QUIET), detector_noise_scale=1.0)
    assert robust_sigma(doubled) == pytest.approx(2.0 * robust_sigma(fitted), rel=0.1)


def _rig() -> list[CalibratedCamera]:
    return camera_ring((-130.0, -50.0, 40.0, 140.0))


def test_the_fit_recovers_a_known_model_through_the_multi_view_measurement():
    """Draw MEDIAPIPE_FITTED in four views of generated people, measure the draws as the fit command
    measures MediaPipe (leave-one-view-out references, alignment) and fit: the known model returns,
    although the measured table itself is not the model (the references' own noise inflates it)."""
    fit = _load_fit_script()
    cameras = _rig()
    projections = np.stack([c.projection for c in cameras])
    poses = random_poses(150, np.random.default_rng(3), sit_fraction=0.0)
    poses[..., 1] += 0.08 - poses[..., 1].min(axis=-1, keepdims=True)
    visible = np.stack([ray_cast_visibility(c.to_camera(poses), c.pinhole()) for c in cameras])
    detected = np.ones(visible.shape[:2], bool)
    rng = np.random.default_rng(4)
    samples = fit.simulated_samples(MEDIAPIPE_FITTED, poses, detected, visible, projections, rng, 1)
    assert len(samples.errors) == 4 * 150
    real = fit.measured_table(samples)
    inflated = real.joint_sigma / np.asarray(MEDIAPIPE_FITTED.joint_sigma)
    assert np.median(inflated) > 1.15  # measured naively, the model would come out too noisy
    model, refit = fit.fit_model(real, poses, detected, visible, projections, "test", repeats=2)
    ratio = np.asarray(model.joint_sigma) / np.asarray(MEDIAPIPE_FITTED.joint_sigma)
    assert np.median(ratio) == pytest.approx(1.0, abs=0.08)
    np.testing.assert_allclose(ratio, 1.0, atol=0.35)
    np.testing.assert_allclose(model.noise_factors, MEDIAPIPE_FITTED.noise_factors, rtol=0.3)
    for group in ("legs", "arms"):
        assert model.outlier_prob[group] == pytest.approx(MEDIAPIPE_FITTED.outlier_prob[group], rel=0.5)
    # and its draws, measured alike, give the measured table back (to the sampling noise of the
    # wrists, the joints with the fewest confident detections)
    back = refit.joint_sigma / real.joint_sigma
    assert np.median(back) == pytest.approx(1.0, abs=0.05)
    np.testing.assert_allclose(back, 1.0, atol=0.3)
