"""Trainer and frame simulation: learning happens, inputs are checked, outputs are deterministic."""

import numpy as np
import pytest

from auglift_ros.core.features import FeatureCodec
from auglift_ros.core.lifters import DSTformerConfig, SimpleBaselineConfig
from auglift_ros.mocap.generated import random_poses
from auglift_ros.simulation.simulate import simulate_frames
from auglift_ros.training.trainer import TrainConfig, fit, train_lifter


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(7)
    codecs = [FeatureCodec(feature_set="uadd"), FeatureCodec(feature_set="xycd")]
    return simulate_frames(random_poses(120, rng), rng, codecs)


def test_simulated_frames_are_consistent(frames) -> None:
    assert frames.keypoints.shape == (120, 17, 2) and frames.joints_cam.shape == (120, 17, 3)
    assert frames.depth_inputs["uadd"].shape == (120, 17, 3)
    assert frames.depth_inputs["xycd"].shape == (120, 17)
    np.testing.assert_allclose(frames.targets[:, 0], 0.0)
    assert (frames.joints_cam[..., 2] > 1.0).all()  # people stand in front of the camera
    assert 0.3 < frames.visible.mean() < 1.0  # self-occlusion happens, but most joints are seen
    # a visible joint's point depth is near its own depth far more often than an occluded one's
    near = np.abs(frames.depth_inputs["uadd"][..., 0] - frames.joints_cam[..., 2]) < 0.5
    assert near[frames.visible].mean() > near[~frames.visible].mean()
    assert frames.features(FeatureCodec(feature_set="uadd")).shape == (120, 17, 6)


def test_simulation_is_deterministic_for_a_seed() -> None:
    codecs = [FeatureCodec(feature_set="uadd")]
    first = simulate_frames(random_poses(5, np.random.default_rng(1)), np.random.default_rng(2), codecs)
    second = simulate_frames(random_poses(5, np.random.default_rng(1)), np.random.default_rng(2), codecs)
    np.testing.assert_array_equal(first.features(codecs[0]), second.features(codecs[0]))
    xy_only = simulate_frames(random_poses(5, np.random.default_rng(1)), np.random.default_rng(2), [])
    # Frames do not depend on which codecs were requested: same cameras, same detections.
    np.testing.assert_array_equal(xy_only.keypoints, first.keypoints)
    np.testing.assert_array_equal(xy_only.confidence, first.confidence)
    np.testing.assert_array_equal(xy_only.joints_cam, first.joints_cam)
    with pytest.raises(KeyError, match="no depth samples"):
        xy_only.features(FeatureCodec(feature_set="uadd"))
    with pytest.raises(ValueError, match="must be non-negative"):
        simulate_frames(
            random_poses(1, np.random.default_rng(1)), np.random.default_rng(2), codecs, depth_error_scale=-1
        )


def test_training_reduces_error_and_is_reproducible(frames) -> None:
    codec = FeatureCodec(feature_set="uadd")
    features = frames.features(codec)
    model_config = SimpleBaselineConfig(in_channels=6, hidden=64, blocks=1, dropout=0.1)
    config = TrainConfig(epochs=15, batch_size=32, learning_rate=3e-3, depth_dropout=0.2, seed=3)
    model, history = train_lifter(features, frames.targets, codec, model_config, config, progress=False)
    assert len(history) == 15
    assert history[-1] < 0.6 * history[0]
    assert not model.training
    _, again = train_lifter(features, frames.targets, codec, model_config, config, progress=False)
    np.testing.assert_allclose(history, again, rtol=1e-5)


def test_training_rejects_mismatched_inputs(frames) -> None:
    codec = FeatureCodec(feature_set="xy")
    with pytest.raises(ValueError, match="channels"):
        train_lifter(
            frames.features(FeatureCodec(feature_set="xyc")),
            frames.targets,
            codec,
            SimpleBaselineConfig(in_channels=3),
            TrainConfig(epochs=1),
            progress=False,
        )
    with pytest.raises(ValueError, match="pair up"):
        train_lifter(
            frames.features(codec),
            frames.targets[:10],
            codec,
            SimpleBaselineConfig(),
            TrainConfig(epochs=1),
            progress=False,
        )
    with pytest.raises(ValueError, match="dropout"):
        TrainConfig(depth_dropout=1.0)


def test_batch_size_one_trains_a_lifter_without_batch_norm(frames) -> None:
    """MotionBERT-243 fits one window per batch here; a BatchNorm-free lifter must train on it (an
    earlier trainer skipped every single-sample batch and exported an untrained model). A BatchNorm
    family refuses batch size 1, and an epoch with nothing to train on is an error, not a 0 mm loss."""
    codec = FeatureCodec(feature_set="xyc")
    features, targets = frames.features(codec)[:8], frames.targets[:8]

    def one_window_per_batch(rng: np.random.Generator):
        for i in range(len(features)):  # an 8-frame window of one repeated pose
            window = np.repeat(features[i : i + 1, None], 8, axis=1)
            yield window, np.repeat(targets[i : i + 1, None], 8, axis=1)

    config = TrainConfig(epochs=3, batch_size=1, learning_rate=3e-3)
    transformer = DSTformerConfig(in_channels=3, frames=8, dim=16, depth=1, heads=2, representation=16)
    _, history = fit(transformer, one_window_per_batch, codec, config, progress=False)
    assert len(history) == 3 and all(np.isfinite(history)) and history[0] > 0.05  # metres: it saw data
    assert history[-1] < history[0]
    with pytest.raises(ValueError, match="BatchNorm layers, which need batch_size >= 2"):
        fit(SimpleBaselineConfig(in_channels=3), one_window_per_batch, codec, config, progress=False)
    with pytest.raises(ValueError, match="drew no batch"):
        fit(transformer, lambda rng: iter(()), codec, config, progress=False)


def test_depth_windows_give_the_same_samples_as_the_full_frame() -> None:
    """The training simulation renders depth only around keypoints; the samples, and the blurred
    estimate they come from, must equal those of the whole rendered frame, also where windows are
    clipped by the image edge or overlap."""
    from auglift_ros.core.camera import PinholeCamera
    from auglift_ros.simulation.scene import (
        floor_plane,
        lift_to_floor,
        place_in_camera,
        random_view,
        render_depth,
        render_depth_windows,
    )
    from auglift_ros.simulation.sensors import simulate_monocular_depth
    from auglift_ros.simulation.simulate import BLUR_SUPPORT_PX

    rng = np.random.default_rng(9)
    codec = FeatureCodec(feature_set="uadd")
    camera = PinholeCamera.from_fov(640, 480, 60.0)
    for shift in (0.0, 2.4, -2.4):  # centred, and a person partly beyond the right / left edge
        rotation, translation = random_view(
            rng, distance=(4.0, 4.0), height=(1.0, 1.0), pitch_deg=(-5.0, -5.0), pan_deg=(0.0, 0.0)
        )
        joints = place_in_camera(lift_to_floor(random_poses(1, rng)[0]), rotation, translation)
        joints[:, 0] += shift
        floor = floor_plane(rotation, translation)
        keypoints = camera.project(joints)[None] + rng.normal(0.0, 3.0, (1, 17, 2))
        confidence = rng.uniform(0.0, 1.0, (1, 17))
        full = simulate_monocular_depth(render_depth(camera, joints[None], floor=floor), rng, error_scale=0.0)
        centres = np.floor(keypoints[0] + 0.5)
        halves = np.ceil(codec.sampling_reach(keypoints, confidence)[0]).astype(int) + BLUR_SUPPORT_PX
        windows = render_depth_windows(camera, joints, centres, halves, floor=floor)
        estimate = simulate_monocular_depth(
            windows.depth, rng, error_scale=0.0, windows=windows, image_shape=(480, 640)
        )
        expected = codec.sample_depth(full, keypoints, confidence)
        got = codec.sample_depth(estimate, keypoints, confidence, windows.origins[None])
        np.testing.assert_allclose(got, expected, rtol=1e-5)
        beyond = ((keypoints[0] < 0) | (keypoints[0] >= (640, 480))).any(axis=-1)
        assert beyond.any() == bool(shift)  # the shifted people reach beyond the image edge


def test_chunked_simulation_does_not_depend_on_the_number_of_workers() -> None:
    from auglift_ros.simulation.simulate import SimulatedFrames, simulate_frames_in_chunks

    poses = random_poses(30, np.random.default_rng(1))
    codecs = [FeatureCodec(feature_set="uadd")]
    serial = simulate_frames_in_chunks(poses, np.random.default_rng(2), codecs, chunk_frames=8)
    parallel = simulate_frames_in_chunks(poses, np.random.default_rng(2), codecs, chunk_frames=8, workers=2)
    assert len(serial.keypoints) == 30
    for name in ("keypoints", "confidence", "joints_cam", "camera_matrix", "image_sizes"):
        np.testing.assert_array_equal(getattr(serial, name), getattr(parallel, name))
    np.testing.assert_array_equal(serial.depth_inputs["uadd"], parallel.depth_inputs["uadd"])
    # Each chunk is simulate_frames on its own spawned stream, so the joined frames are those parts.
    streams = np.random.default_rng(2).spawn(4)
    parts = [simulate_frames(poses[i * 8 : (i + 1) * 8], streams[i], codecs) for i in range(4)]
    np.testing.assert_array_equal(SimulatedFrames.concatenate(parts).keypoints, serial.keypoints)
    with pytest.raises(ValueError, match="different feature sets"):
        SimulatedFrames.concatenate([parts[0], simulate_frames(poses[:2], streams[0], [])])
    with pytest.raises(ValueError, match="chunk_frames and workers must be positive"):
        simulate_frames_in_chunks(poses, np.random.default_rng(2), codecs, chunk_frames=0)


def test_training_pose_augmentation_mirrors_about_half_and_varies_bodies() -> None:
    from auglift_ros.core.skeleton import bone_lengths
    from auglift_ros.training.job import DataConfig, augment_poses

    poses = random_poses(400, np.random.default_rng(3))
    same = augment_poses(poses, DataConfig(sequences=("x",)), np.random.default_rng(0))
    np.testing.assert_array_equal(same, poses)
    mirrored = augment_poses(poses, DataConfig(sequences=("x",), mirror=True), np.random.default_rng(0))
    changed = np.abs(mirrored - poses).max(axis=(1, 2)) > 1e-9
    assert 0.4 < changed.mean() < 0.6
    np.testing.assert_allclose(bone_lengths(mirrored).sum(axis=-1), bone_lengths(poses).sum(axis=-1))
    varied = augment_poses(poses, DataConfig(sequences=("x",), body_size_std=0.1), np.random.default_rng(0))
    ratio = bone_lengths(varied).sum(axis=-1) / bone_lengths(poses).sum(axis=-1)
    assert 0.07 < np.log(ratio).std() < 0.13
    with pytest.raises(ValueError, match=r"data.balance must lie in \[0, 1\]"):
        DataConfig(sequences=("x",), balance=2.0)


def test_a_training_config_selects_the_measured_detector_model() -> None:
    from auglift_ros.training.job import SimulationConfig

    poses = random_poses(200, np.random.default_rng(4))
    errors = {}
    for name in ("assumed", "mediapipe"):
        frames = SimulationConfig(detector_model=name).simulate(
            poses, np.random.default_rng(5), [], progress=False
        )
        errors[name] = np.median(np.linalg.norm(frames.keypoints - frames.true_keypoints, axis=-1))
    assert errors["mediapipe"] < 0.7 * errors["assumed"]  # measured: 2.4% against 6.3% of the person's height
    with pytest.raises(ValueError, match="unknown detector error model 'rtm'"):
        SimulationConfig(detector_model="rtm")
    mixture = SimulationConfig(
        detector_model=[{"model": "assumed_offsets"}, {"model": "mediapipe", "weight": 3}]
    )
    assert mixture.detector().components == (("assumed_offsets", 0.5, 1.0), ("mediapipe", 0.5, 3.0))
    with pytest.raises(ValueError, match="unknown detector error model 'rtm'"):
        SimulationConfig(detector_model=[{"model": "rtm"}])
    with pytest.raises(ValueError, match=r"mixture entry has the keys \['model', 'noise_scale', 'weight'\]"):
        SimulationConfig(detector_model=[{"model": "assumed", "scale": 1.0}])
