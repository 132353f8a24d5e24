"""Temporal lifters in the lifting stage: live windows per tracked person equal offline windows."""

from __future__ import annotations

import numpy as np
import pytest
from temporal_models import make_temporal_model

from auglift_ros.core.lifters import WindowSpec, predict_sequence, stream_sequence
from auglift_ros.core.tracking import KeypointTracker
from auglift_ros.mocap.generated import random_poses
from auglift_ros.runtime.lifting import FrameLifter
from auglift_ros.runtime.models import load_lifter
from auglift_ros.simulation.scene import CameraRanges
from auglift_ros.simulation.simulate import sequence_view, simulate_sequence

FRAMES = 14
HALF = FRAMES // 2  # the tests that drop depth do it for the second half of the take
SIZE = (640, 480)


@pytest.fixture(scope="module")
def take() -> list:
    """A short take seen by one camera: per frame the detections and the full simulated depth."""
    rng = np.random.default_rng(5)
    start, end = random_poses(2, rng, sit_fraction=0.0)
    blend = np.linspace(0.0, 1.0, FRAMES)[:, None, None]
    joints = (1 - blend) * start + blend * end + np.linspace(0, 1.0, FRAMES)[:, None, None] * [1.0, 0, 0]
    view = sequence_view(joints, rng, CameraRanges(image_sizes=(SIZE,)))
    frames = list(simulate_sequence(view, rng))
    assert all(len(f.keypoints) == 1 for f in frames)
    return [(f, view.camera.K) for f in frames]


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("temporal")
    return {
        "uadd": load_lifter(make_temporal_model(folder / "vp_uadd.onnx", "videopose3d", "uadd", causal=True)),
        "xyc": load_lifter(
            make_temporal_model(folder / "vp_xyc.onnx", "videopose3d", "xyc", seed=1, causal=True)
        ),
        "symmetric": make_temporal_model(folder / "vp_sym.onnx", "videopose3d", "uadd"),
        "motionbert": load_lifter(make_temporal_model(folder / "mb.onnx", "motionbert", "xy")),
    }


def _offline(model, take, with_depth: bool) -> np.ndarray:
    """Poses of the whole take through predict_sequence (offline edge padding)."""
    features = []
    for frame, _ in take:
        depth = (
            model.codec.sample_depth(frame.depth, frame.keypoints, frame.confidence) if with_depth else None
        )
        features.append(model.codec.encode(frame.keypoints, frame.confidence, SIZE, depth)[0])
    return predict_sequence(model.lifter.run, np.stack(features), model.window)


def test_streamed_causal_poses_equal_offline_causal_poses(models, take):
    lifter = FrameLifter(models["uadd"], models["xyc"])
    assert lifter.temporal
    live = [lifter.lift(f.keypoints, f.confidence, SIZE, k, f.depth, [3]).root_relative[0] for f, k in take]
    np.testing.assert_allclose(np.stack(live), _offline(models["uadd"], take, True), atol=1e-5)


def _depth_then_none(lifter: FrameLifter, take) -> list:
    """Lift one person through the take with depth for its first half and none after."""
    return [
        lifter.lift(f.keypoints, f.confidence, SIZE, k, f.depth if t < HALF else None, [0])
        for t, (f, k) in enumerate(take)
    ]


def test_the_fallback_window_stays_current_while_depth_is_used(models, take):
    """Depth for the first half, none after: the fallback's poses are those of its full window."""
    results = _depth_then_none(FrameLifter(models["uadd"], models["xyc"]), take)
    assert [r.feature_set for r in results] == ["uadd"] * HALF + ["xyc"] * (FRAMES - HALF)
    offline = _offline(models["xyc"], take, False)
    np.testing.assert_allclose(
        np.stack([r.root_relative[0] for r in results[HALF:]]), offline[HALF:], atol=1e-5
    )


def test_a_temporal_model_takes_a_single_frame_fallback(models, take):
    """The shipped pairing (auglift_temporal_uadd with auglift_xyc): with depth the temporal model's
    poses are those of its offline windows, without depth each frame is lifted on its own."""
    single = load_lifter("auglift_xyc")
    lifter = FrameLifter(models["uadd"], single)
    results = _depth_then_none(lifter, take)
    assert lifter.temporal and [r.used_depth for r in results] == [True] * HALF + [False] * (FRAMES - HALF)
    np.testing.assert_allclose(
        np.stack([r.root_relative[0] for r in results[:HALF]]),
        _offline(models["uadd"], take, True)[:HALF],
        atol=1e-5,
    )
    for result, (frame, k) in zip(results[HALF:], take[HALF:], strict=True):
        features = single.codec.encode(frame.keypoints, frame.confidence, SIZE, camera_matrix=k)
        rotation = single.codec.view_rotation(frame.keypoints, k)  # the camera-invariant model's frame
        expected = single.codec.decode_pose(single.lifter.run(features), rotation)
        np.testing.assert_allclose(result.root_relative, expected, atol=1e-5)


def test_persons_keep_their_own_windows_through_the_tracker(models, take):
    """Two people whose detections swap order every frame: tracked ids keep their windows apart,
    so each gets exactly the poses it would get alone."""
    lifter = FrameLifter(models["xyc"])
    tracker = KeypointTracker()
    shift = np.array([300.0, 0.0])
    alone = _offline(models["xyc"], take, False)
    for t, (frame, k) in enumerate(take):
        pair = np.concatenate([frame.keypoints, frame.keypoints + shift])
        confidence = np.concatenate([frame.confidence, frame.confidence])
        order = [1, 0] if t % 2 else [0, 1]
        ids = tracker.update(pair[order], confidence[order], t * 33_000_000).ids
        result = lifter.lift(pair[order], confidence[order], SIZE, k, None, ids)
        first = order.index(0)
        assert result.person_ids.tolist() == ids.tolist() and ids[first] == 0
        np.testing.assert_allclose(result.root_relative[first], alone[t], atol=1e-5)


def test_sequence_to_sequence_model_streams_its_last_frame(models, take):
    model = models["motionbert"]
    assert model.window == WindowSpec(6, "all", "motionbert")
    lifter = FrameLifter(model)
    live = [lifter.lift(f.keypoints, f.confidence, SIZE, k, None, [0]).root_relative[0] for f, k in take]
    features = np.stack([model.codec.encode(f.keypoints, f.confidence, SIZE)[0] for f, _ in take])
    np.testing.assert_allclose(
        np.stack(live), stream_sequence(model.lifter.run, features, model.window), atol=1e-5
    )


def test_forgotten_person_restarts_with_edge_padding(models, take):
    lifter = FrameLifter(models["xyc"])
    (first, k), (second, _) = take[0], take[5]
    lifter.lift(first.keypoints, first.confidence, SIZE, k, None, [0])
    lifter.forget([0])
    restarted = lifter.lift(second.keypoints, second.confidence, SIZE, k, None, [0]).root_relative
    fresh = (
        FrameLifter(models["xyc"]).lift(second.keypoints, second.confidence, SIZE, k, None, [9]).root_relative
    )
    np.testing.assert_allclose(restarted, fresh, atol=1e-6)


def test_symmetric_models_and_missing_ids_are_refused(models, take):
    with pytest.raises(ValueError, match=r"vp_sym\.onnx.*look-ahead"):
        FrameLifter(load_lifter(models["symmetric"]))
    frame, k = take[0]
    with pytest.raises(ValueError, match="person id"):
        FrameLifter(models["xyc"]).lift(frame.keypoints, frame.confidence, SIZE, k, None)
