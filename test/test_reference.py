"""The multi-view reference on synthetic detections: start offsets found, left/right swaps repaired,
the walking person recovered; no video or detector needed."""

import numpy as np
import pytest
from scenes import camera_ring

from auglift_ros.core.skeleton import H36M_FLIP_PERMUTATION
from auglift_ros.footage.reference import (
    Reference,
    joints_in_camera,
    reference_from_detections,
    shift_frames,
)
from auglift_ros.mocap.generated import random_poses
from auglift_ros.simulation.scene import lift_to_floor

FRAMES = 40
OFFSET_VIEW, OFFSET = 2, 3
SWAP_VIEW, SWAP_FRAMES = 1, slice(10, 15)
DEMO_LENS = np.array([-0.05, 0.14, 0.0006, 0.0007, 0.0])  # about the pose2sim demo's lenses


def _cameras():
    return camera_ring(tuple(-160.0 + 90.0 * view for view in range(4)), DEMO_LENS)


def _walk(frames):
    """A person walking 1.2 m/s along x at 60 fps while blending between two poses (world y up)."""
    start, end = lift_to_floor(random_poses(2, np.random.default_rng(5), sit_fraction=0.0))
    blend = np.linspace(0.0, 1.0, frames)[:, None, None]
    poses = (1.0 - blend) * start + blend * end
    poses[..., 0] += -0.6 + 0.02 * np.arange(frames)[:, None]
    return poses


def _detections(cameras, rng):
    """(V, T, 17, 2) distorted pixels with 1 px noise; view 2 started 3 frames early; view 1 swaps
    left and right in frames 10-14."""
    walk = _walk(FRAMES + 2 * OFFSET)
    keypoints = []
    for view, camera in enumerate(cameras):
        # Reference frame i shows walk[i + OFFSET]; the early view's frame j shows walk[j], i.e.
        # its frame i + OFFSET shows reference frame i.
        shown = walk[:FRAMES] if view == OFFSET_VIEW else walk[OFFSET : OFFSET + FRAMES]
        keypoints.append(camera.project(shown))
    keypoints = np.stack(keypoints) + rng.normal(0.0, 1.0, (4, FRAMES, 17, 2))
    keypoints[SWAP_VIEW, SWAP_FRAMES] = keypoints[SWAP_VIEW, SWAP_FRAMES][:, H36M_FLIP_PERMUTATION]
    confidence = rng.uniform(0.7, 1.0, (4, FRAMES, 17))
    return keypoints, confidence, walk[OFFSET : OFFSET + FRAMES]


def test_reference_finds_offsets_repairs_swaps_and_recovers_the_person():
    cameras = _cameras()
    keypoints, confidence, truth = _detections(cameras, np.random.default_rng(0))
    reference = reference_from_detections(keypoints, confidence, cameras)
    np.testing.assert_array_equal(reference.frame_offsets, [0, 0, OFFSET, 0])
    expected_swaps = np.zeros((4, FRAMES), bool)
    expected_swaps[SWAP_VIEW, SWAP_FRAMES] = True
    np.testing.assert_array_equal(reference.swapped.all(axis=-1), expected_swaps)
    assert reference.swapped.sum() == 5 * 6
    # The early view has no frames for the last OFFSET reference frames: three views remain there.
    error = np.linalg.norm(reference.joints_world - truth, axis=-1)
    assert np.isfinite(error).all()
    assert np.median(error) < 0.005 and error.max() < 0.03  # metres
    stats = reference.error_stats()
    assert stats["median_px"] < 1.5 and stats["swapped_pairs"] == 30  # 1 px noise
    assert np.isnan(reference.keypoints[OFFSET_VIEW, -OFFSET:]).all()


def test_without_the_repairs_the_same_detections_reproject_badly():
    cameras = _cameras()
    keypoints, confidence, _ = _detections(cameras, np.random.default_rng(0))
    plain = reference_from_detections(keypoints, confidence, cameras, frame_offsets=None, fix_swaps=False)
    assert plain.error_stats()["median_px"] > 5.0
    assert not plain.swapped.any() and not plain.frame_offsets.any()
    given = reference_from_detections(keypoints, confidence, cameras, frame_offsets=[1, 1, 1 + OFFSET, 1])
    np.testing.assert_array_equal(given.frame_offsets, [0, 0, OFFSET, 0])  # relative to the reference view
    with pytest.raises(ValueError, match="4 frame offsets"):
        reference_from_detections(keypoints, confidence, cameras, frame_offsets=[0, 0])


def test_shift_frames_and_camera_frame():
    values = np.arange(10.0).reshape(2, 5)
    np.testing.assert_array_equal(shift_frames(values, [0, 2])[1], [7.0, 8.0, 9.0, np.nan, np.nan])
    np.testing.assert_array_equal(shift_frames(values, [-1, 0], fill=0.0)[0], [0.0, 0.0, 1.0, 2.0, 3.0])
    camera = _cameras()[0]
    points = np.array([[0.0, 1.0, 0.0]])
    np.testing.assert_allclose(joints_in_camera(points, camera), (camera.R @ points.T).T + camera.t)


def test_reference_save_load_round_trip(tmp_path):
    cameras = _cameras()
    keypoints, confidence, _ = _detections(cameras, np.random.default_rng(1))
    reference = reference_from_detections(keypoints, confidence, cameras, frame_offsets=None)
    reference.save(tmp_path / "ref.npz")
    loaded = Reference.load(tmp_path / "ref.npz")
    np.testing.assert_array_equal(loaded.joints_world, reference.joints_world)
    np.testing.assert_array_equal(loaded.swapped, reference.swapped)
    assert loaded.camera_names == ("cam0", "cam1", "cam2", "cam3")
    assert "reprojection error: median" in loaded.summary()
