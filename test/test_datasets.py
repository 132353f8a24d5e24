"""Dataset readers on small files written in each public format, with values placed by hand."""

import pickle
import sys
import types
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from auglift_ros.core import skeleton as sk
from auglift_ros.mocap import datasets as ds

SUBJECTS = ("S9", "S11")
ACTIONS = ("Walking", "Sitting 1")
FRAMES = 10
DROPPED = (4, 5, 9, 10, 11, 16, 20, 21, 22, 23, 24, 28, 29, 30, 31)  # VideoPose3D remove_joints


def mocap_32(subject_index: int, action_index: int) -> np.ndarray:
    """(T, 32, 3) with value = 1000*subject + 100*action + joint + frame/100 in x, coded y and z."""
    frame = np.arange(FRAMES)[:, None]
    joint = np.arange(32)[None, :]
    code = 1000 * subject_index + 100 * action_index + joint + frame / 100
    return np.stack([code, code + 0.25, code + 0.5], axis=-1)


def write_3d(path: Path, frames: int = FRAMES) -> Path:
    positions = {
        s: {a: mocap_32(i, j)[:frames].astype(np.float32) for j, a in enumerate(ACTIONS)}
        for i, s in enumerate(SUBJECTS)
    }
    np.savez_compressed(path, positions_3d=positions)
    return path


def pixels(subject_index: int, action_index: int, camera: int, frames: int) -> np.ndarray:
    """(T, 17, 2) pixels coding subject, action, camera, joint and frame."""
    base = 1000 * subject_index + 100 * action_index + 10 * camera
    value = base + np.arange(17)[None, :] + np.arange(frames)[:, None] / 100
    return np.stack([value, value + 0.5], axis=-1)


def write_2d(path: Path, *, frames: int = FRAMES, conf: bool = False, layout: str | None = "h36m") -> Path:
    positions = {}
    for i, s in enumerate(SUBJECTS):
        positions[s] = {}
        for j, a in enumerate(ACTIONS):
            tracks = []
            for c in range(4):
                xy = pixels(i, j, c, frames)
                if conf:
                    xy = np.concatenate([xy, np.full((frames, 17, 1), 0.1 * (c + 1))], axis=-1)
                tracks.append(xy.astype(np.float32))
            positions[s][a] = tracks
    positions["S2"] = {"Walking": [pixels(0, 0, c, frames) for c in range(4)]}  # 2D-only subject
    metadata = {"num_joints": 17, "keypoints_symmetry": [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]]}
    if layout is not None:
        metadata["layout_name"] = layout
    np.savez_compressed(path, positions_2d=positions, metadata=metadata)
    return path


def motionbert_split(*, with_25d: bool = True, with_cam: bool = False) -> dict:
    """Two clips (S9 camera 54138969: 4 frames, S11 camera 55011271: 3 frames)."""
    sources = ["s_09_act_02_subact_01_ca_01"] * 4 + ["s_11_act_14_subact_02_ca_02"] * 3
    n = len(sources)
    image = np.zeros((n, 17, 3))
    image[:, :, 0] = 500 + np.arange(17)  # pixels
    image[:, :, 1] = 400 + 2 * np.arange(17)
    image[:, :, 2] = 3 * np.arange(17)  # depth, root 0
    image[:, 0, :2] = [500, 400]
    factor = np.linspace(2.0, 3.0, n)
    split = {
        "joint_2d": image[:, :, :2].copy(),
        "confidence": np.linspace(0.1, 0.9, n * 17).reshape(n, 17, 1),
        "joint3d_image": image,
        "camera_name": np.array(["54138969"] * 4 + ["55011271"] * 3),
        "source": sources,
        "action": ["Directions"] * 4 + ["Walking"] * 3,
    }
    if with_25d:
        split["2.5d_factor"] = factor
        split["joints_2.5d_image"] = image * factor[:, None, None]
    if with_cam:
        cam = np.zeros((n, 17, 3))
        cam[:, :, 2] = 4000.0 + np.arange(17)  # mm in front of the camera
        cam[:, :, 1] = -np.arange(17) * 10.0  # image y down: higher joints have smaller y
        split["joint3d_cam"] = cam
    return split


def write_pickle(path: Path, content: object) -> Path:
    path.write_bytes(pickle.dumps(content))
    return path


def make_sequence(frames: int = 5, *, with_2d: bool = True) -> ds.PoseSequence:
    rng = np.random.default_rng(0)
    return ds.PoseSequence(
        joints3d=rng.normal(size=(frames, 17, 3)),
        fps=30.0,
        action="Waving",
        name="lab/wave_01",
        source="capture day 3",
        keypoints2d=rng.uniform(0, 640, size=(frames, 17, 2)) if with_2d else None,
        confidence=rng.uniform(size=(frames, 17)) if with_2d else None,
        camera=ds.H36M_CAMERAS[2] if with_2d else None,
    )


# ------------------------------------------------------------------------------------------------
# VideoPose3D 3D


def test_kept_joints_are_the_complement_of_the_dropped_ones() -> None:
    assert ds.H36M32_TO_H36M17 == tuple(j for j in range(32) if j not in DROPPED)
    assert len(ds.H36M32_TO_H36M17) == sk.H36M_NUM_JOINTS


def test_z_up_to_y_up_is_a_proper_rotation() -> None:
    rot = ds.Z_UP_TO_Y_UP
    np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(rot) == pytest.approx(1.0)
    np.testing.assert_allclose(ds.z_up_to_y_up(np.array([0.0, 0.0, 1.0])), [0.0, 1.0, 0.0])
    np.testing.assert_allclose(ds.z_up_to_y_up(np.array([1.0, 0.0, 0.0])), [1.0, 0.0, 0.0])
    points = np.random.default_rng(1).normal(size=(4, 5, 3))
    np.testing.assert_array_equal(ds.z_up_to_y_up(points), points @ rot.T)
    assert np.linalg.det(ds.CAMERA_TO_Y_UP) == pytest.approx(1.0)
    np.testing.assert_array_equal(ds.camera_to_y_up(points), points @ ds.CAMERA_TO_Y_UP.T)


def test_videopose3d_3d_picks_joints_and_turns_z_up_to_y_up(tmp_path: Path) -> None:
    seqs = ds.load_videopose3d_3d(write_3d(tmp_path / "data_3d_h36m.npz"))
    assert [s.name for s in seqs] == ["S11/Sitting 1", "S11/Walking", "S9/Sitting 1", "S9/Walking"]
    by_name = {s.name: s for s in seqs}
    seq = by_name["S11/Walking"]  # subject index 1, action index 0
    assert seq.joints3d.shape == (FRAMES, 17, 3)
    assert seq.joints3d.dtype == np.float64
    assert seq.fps == 50.0 and seq.action == "Walking" and seq.keypoints2d is None
    raw = mocap_32(1, 0)
    for ours, theirs in enumerate(ds.H36M32_TO_H36M17):
        # (x, y, z) z-up -> (x, z, -y) y-up
        np.testing.assert_allclose(seq.joints3d[:, ours, 0], raw[:, theirs, 0], rtol=1e-6)
        np.testing.assert_allclose(seq.joints3d[:, ours, 1], raw[:, theirs, 2], rtol=1e-6)
        np.testing.assert_allclose(seq.joints3d[:, ours, 2], -raw[:, theirs, 1], rtol=1e-6)
    # Spot checks by value: H36M joint 9 (neck/nose) is mocap joint 14, joint 16 (right wrist) is 27.
    assert seq.joints3d[3, 9, 0] == pytest.approx(1000 + 14 + 0.03, rel=1e-6)
    assert seq.joints3d[0, 16, 0] == pytest.approx(1000 + 27, rel=1e-6)


def test_videopose3d_3d_world_up_point_is_our_y_up(tmp_path: Path) -> None:
    positions = np.zeros((2, 32, 3))
    positions[:, 0] = [0.0, 0.0, 1.0]  # pelvis 1 m above the floor in the z-up world
    positions[:, 15] = [0.2, 0.3, 1.7]  # head
    np.savez(tmp_path / "h.npz", positions_3d={"S1": {"Posing": positions}})
    (seq,) = ds.load_videopose3d_3d(tmp_path / "h.npz")
    np.testing.assert_allclose(seq.joints3d[0, 0], [0.0, 1.0, 0.0])
    np.testing.assert_allclose(seq.joints3d[0, 10], [0.2, 1.7, -0.3])


def test_videopose3d_3d_subject_selection(tmp_path: Path) -> None:
    path = write_3d(tmp_path / "data_3d_h36m.npz")
    assert {s.name.split("/")[0] for s in ds.load_videopose3d_3d(path, subjects=("S9",))} == {"S9"}
    assert len(ds.load_sequences(path, subjects=["S11"])) == 2
    with pytest.raises(ds.DatasetError, match=r"data_3d_h36m\.npz.*S7"):
        ds.load_videopose3d_3d(path, subjects=("S7",))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ({"poses": np.zeros(3)}, "no 'positions_3d' key"),
        ({"positions_3d": {"S1": {"Walk": np.zeros((4, 31, 3))}}}, r"\(4, 31, 3\)"),
        ({"positions_3d": {"S1": {"Walk": np.zeros((4, 32))}}}, "expected"),
        ({"positions_3d": {"S1": {"Walk": np.full((4, 32, 3), np.nan)}}}, "non-finite"),
        ({"positions_3d": {"S1": {"Walk": np.zeros((0, 32, 3))}}}, "no frames"),
        ({"positions_3d": {"S1": [np.zeros((4, 32, 3))]}}, "not a dict of actions"),
        ({"positions_3d": {}}, "no sequences"),
        ({"positions_3d": np.zeros(3)}, "not a pickled dict"),
    ],
)
def test_videopose3d_3d_malformed(tmp_path: Path, content: dict, problem: str) -> None:
    path = tmp_path / "bad_3d.npz"
    np.savez(path, **content)
    with pytest.raises(ds.DatasetError, match=problem) as info:
        ds.load_videopose3d_3d(path)
    assert "bad_3d.npz" in str(info.value)


def test_corrupt_npz_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "data_3d_h36m.npz"
    path.write_bytes(b"not a zip file")
    with pytest.raises(ds.DatasetError, match=r"data_3d_h36m\.npz: cannot read as \.npz"):
        ds.load_videopose3d_3d(path)
    with pytest.raises(ds.DatasetError, match=r"data_3d_h36m\.npz: cannot read as \.npz"):
        ds.load_sequences(path)


# ------------------------------------------------------------------------------------------------
# VideoPose3D 2D


def test_videopose3d_2d_pairs_each_camera(tmp_path: Path) -> None:
    path_3d = write_3d(tmp_path / "data_3d_h36m.npz")
    path_2d = write_2d(tmp_path / "data_2d_h36m_gt.npz")
    seqs = ds.load_videopose3d_2d(path_2d, path_3d)
    assert len(seqs) == 2 * 2 * 4  # S2 has no 3D and is skipped
    by_name = {s.name: s for s in seqs}
    seq = by_name["S9/Sitting 1/58860488"]  # subject 0, action 1, camera 2
    assert seq.camera == ds.H36M_CAMERAS[2]
    assert seq.camera.width == 1000 and seq.camera.height == 1000
    np.testing.assert_allclose(seq.keypoints2d, pixels(0, 1, 2, FRAMES), rtol=1e-6)
    np.testing.assert_array_equal(seq.confidence, np.ones((FRAMES, 17)))
    # The 3D is the world-frame pose of the same subject and action, whichever the camera.
    (world,) = [s for s in ds.load_videopose3d_3d(path_3d) if s.name == "S9/Sitting 1"]
    np.testing.assert_array_equal(seq.joints3d, world.joints3d)
    np.testing.assert_array_equal(seq.joints3d, by_name["S9/Sitting 1/54138969"].joints3d)


def test_videopose3d_2d_one_camera_confidence_and_trim(tmp_path: Path) -> None:
    path_3d = write_3d(tmp_path / "data_3d_h36m.npz")
    path_2d = write_2d(tmp_path / "data_2d_h36m_cpn.npz", frames=FRAMES + 3, conf=True)
    by_id = ds.load_videopose3d_2d(path_2d, path_3d, camera="60457274", subjects=["S11"])
    by_index = ds.load_videopose3d_2d(path_2d, path_3d, camera=3, subjects=["S11"])
    assert [s.name for s in by_id] == ["S11/Sitting 1/60457274", "S11/Walking/60457274"]
    assert [s.name for s in by_index] == [s.name for s in by_id]
    seq = by_id[1]
    assert seq.keypoints2d.shape == (FRAMES, 17, 2)  # trimmed to the mocap length
    np.testing.assert_allclose(seq.keypoints2d, pixels(1, 0, 3, FRAMES), rtol=1e-6)
    np.testing.assert_allclose(seq.confidence, 0.4, rtol=1e-6)


def test_videopose3d_2d_coco_layout_is_converted(tmp_path: Path) -> None:
    path_3d = write_3d(tmp_path / "data_3d_h36m.npz")
    path_2d = write_2d(tmp_path / "data_2d_h36m_coco.npz", layout="coco")
    seq = ds.load_videopose3d_2d(path_2d, path_3d, camera=0, subjects=["S9"])[-1]
    expected, _ = sk.coco_to_h36m(pixels(0, 0, 0, FRAMES))
    np.testing.assert_allclose(seq.keypoints2d, expected, rtol=1e-6)


def test_videopose3d_2d_malformed(tmp_path: Path) -> None:
    path_3d = write_3d(tmp_path / "data_3d_h36m.npz")
    short = write_2d(tmp_path / "short.npz", frames=FRAMES - 1)
    with pytest.raises(ds.DatasetError, match=r"short\.npz: .*9 frames of 2D but 10 of 3D"):
        ds.load_videopose3d_2d(short, path_3d)
    mpii = write_2d(tmp_path / "mpii.npz", layout="mpii")
    with pytest.raises(ds.DatasetError, match=r"mpii\.npz: keypoint layout 'mpii'"):
        ds.load_videopose3d_2d(mpii, path_3d)
    with pytest.raises(ds.DatasetError, match=r"unknown Human3\.6M camera"):
        ds.load_videopose3d_2d(short, path_3d, camera="12345678")
    with pytest.raises(ds.DatasetError, match="camera must be"):
        ds.load_videopose3d_2d(short, path_3d, camera=4)
    np.savez(tmp_path / "no_meta.npz", positions_2d={"S9": {}})
    with pytest.raises(ds.DatasetError, match=r"no_meta\.npz: no 'metadata' key"):
        ds.load_videopose3d_2d(tmp_path / "no_meta.npz", path_3d)
    np.savez(tmp_path / "missing.npz", positions_2d={"S9": {}}, metadata={"num_joints": 17})
    with pytest.raises(ds.DatasetError, match=r"missing\.npz: no 2D detections for S11/Sitting 1"):
        ds.load_videopose3d_2d(tmp_path / "missing.npz", path_3d)
    three = {s: {a: [np.zeros((FRAMES, 17, 2))] * 3 for a in ACTIONS} for s in SUBJECTS}
    np.savez(tmp_path / "three.npz", positions_2d=three, metadata={"num_joints": 17})
    with pytest.raises(ds.DatasetError, match=r"three\.npz: .*list of 4 per-camera arrays"):
        ds.load_videopose3d_2d(tmp_path / "three.npz", path_3d)
    wide = {s: {a: [np.zeros((FRAMES, 16, 2))] * 4 for a in ACTIONS} for s in SUBJECTS}
    np.savez(tmp_path / "wide.npz", positions_2d=wide, metadata={"num_joints": 17})
    with pytest.raises(ds.DatasetError, match=r"wide\.npz: .*shape \(10, 16, 2\)"):
        ds.load_videopose3d_2d(tmp_path / "wide.npz", path_3d)
    nan = {s: {a: [np.full((FRAMES, 17, 2), np.nan)] * 4 for a in ACTIONS} for s in SUBJECTS}
    np.savez(tmp_path / "nan.npz", positions_2d=nan, metadata={"num_joints": 17})
    with pytest.raises(ds.DatasetError, match=r"nan\.npz: .*keypoints2d has .* non-finite"):
        ds.load_videopose3d_2d(tmp_path / "nan.npz", path_3d)
    with pytest.raises(ds.DatasetError, match=r"data_2d_h36m_gt\.npz: a VideoPose3D 2D detections file"):
        ds.load_sequences(write_2d(tmp_path / "data_2d_h36m_gt.npz"))


# ------------------------------------------------------------------------------------------------
# MotionBERT


def test_motionbert_splits_by_source_and_uses_25d_millimetres(tmp_path: Path) -> None:
    split = motionbert_split()
    path = write_pickle(tmp_path / "h36m_sh_conf_cam_source_final.pkl", {"test": split})
    seqs = ds.load_motionbert_pkl(path)
    assert [s.name for s in seqs] == ["test/s_09_act_02_subact_01_ca_01", "test/s_11_act_14_subact_02_ca_02"]
    assert [s.num_frames for s in seqs] == [4, 3]
    first, second = seqs
    assert (first.action, second.action) == ("Directions", "Walking")
    assert first.camera == ds.H36M_CAMERAS[0] and second.camera == ds.H36M_CAMERAS[1]
    assert first.fps == 50.0
    np.testing.assert_allclose(second.keypoints2d, split["joint_2d"][4:])
    np.testing.assert_allclose(second.confidence, split["confidence"][4:, :, 0])
    # joints_2.5d_image (mm, camera axes) -> root-relative metres, y up: (x, y, z) -> (x, -y, -z) / 1000.
    scaled = split["joints_2.5d_image"][4:]
    rel = (scaled - scaled[:, :1]) / 1000
    np.testing.assert_allclose(second.joints3d, rel * [1, -1, -1])
    np.testing.assert_allclose(second.joints3d[:, 0], 0.0)
    # Joint 3 is 3 px right, 6 px lower in the image and 9 units deeper than the root, times the factor.
    factor = split["2.5d_factor"][4]
    np.testing.assert_allclose(second.joints3d[0, 3], np.array([3, -6, -9]) * factor / 1000)


def test_motionbert_25d_from_factor_and_camera_space_preferred(tmp_path: Path) -> None:
    split = motionbert_split()
    from_factor = dict(split)
    del from_factor["joints_2.5d_image"]
    a = ds.load_motionbert_pkl(write_pickle(tmp_path / "a.pkl", {"test": split}))
    b = ds.load_motionbert_pkl(write_pickle(tmp_path / "b.pkl", {"test": from_factor}))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x.joints3d, y.joints3d)
    cam = motionbert_split(with_cam=True)
    (seq, _) = ds.load_motionbert_pkl(write_pickle(tmp_path / "c.pkl", {"test": cam}))
    np.testing.assert_allclose(seq.joints3d, cam["joint3d_cam"][:4] / 1000 * [1, -1, -1])
    assert seq.joints3d[0, 16, 1] > seq.joints3d[0, 0, 1]  # higher in the image -> higher y
    assert seq.joints3d[0, 0, 2] == pytest.approx(-4.0)  # 4 m in front of the camera, which looks along -z


def test_motionbert_split_and_subject_selection(tmp_path: Path) -> None:
    no_metric = motionbert_split(with_25d=False)
    path = write_pickle(tmp_path / "mb.pkl", {"train": no_metric, "test": motionbert_split()})
    with pytest.raises(ds.DatasetError, match=r"mb\.pkl: split 'train' has no metric 3D"):
        ds.load_motionbert_pkl(path)
    seqs = ds.load_motionbert_pkl(path, split="test", subjects=["S11"])
    assert [s.name for s in seqs] == ["test/s_11_act_14_subact_02_ca_02"]
    assert [s.name for s in ds.load_sequences(path, split="test", subjects=("S9",))] == [
        "test/s_09_act_02_subact_01_ca_01"
    ]
    with pytest.raises(ds.DatasetError, match=r"mb\.pkl: subjects \['S5'\] not in the file"):
        ds.load_motionbert_pkl(path, split="test", subjects=["S5"])
    with pytest.raises(ds.DatasetError, match=r"mb\.pkl: no split 'val'"):
        ds.load_motionbert_pkl(path, split="val")


def test_motionbert_missing_confidence_is_one(tmp_path: Path) -> None:
    split = motionbert_split()
    del split["confidence"], split["camera_name"], split["action"]
    first = ds.load_motionbert_pkl(write_pickle(tmp_path / "m.pkl", {"test": split}))[0]
    np.testing.assert_array_equal(first.confidence, np.ones((4, 17)))
    assert first.camera is None and first.action == ""


def test_motionbert_malformed(tmp_path: Path) -> None:
    bad = tmp_path / "broken.pkl"
    bad.write_bytes(b"\x80\x04 definitely not a pickle")
    with pytest.raises(ds.DatasetError, match=r"broken\.pkl: cannot read pickle"):
        ds.load_motionbert_pkl(bad)
    with pytest.raises(ds.DatasetError, match=r"list\.pkl: expected a dict of splits"):
        ds.load_motionbert_pkl(write_pickle(tmp_path / "list.pkl", [1, 2]))
    split = motionbert_split()
    del split["source"]
    with pytest.raises(ds.DatasetError, match=r"nosrc\.pkl: split 'test' has no 'source' key"):
        ds.load_motionbert_pkl(write_pickle(tmp_path / "nosrc.pkl", {"test": split}))
    split = motionbert_split()
    split["joint_2d"] = split["joint_2d"][:5]
    with pytest.raises(ds.DatasetError, match=r"short\.pkl: test/joint_2d has shape \(5, 17, 2\)"):
        ds.load_motionbert_pkl(write_pickle(tmp_path / "short.pkl", {"test": split}))
    split = motionbert_split()
    split["source"] = split["source"][:2] + split["source"][4:] + split["source"][2:4]
    del split["camera_name"]
    with pytest.raises(ds.DatasetError, match=r"runs\.pkl: test/s_09.*more than one run"):
        ds.load_motionbert_pkl(write_pickle(tmp_path / "runs.pkl", {"test": split}))
    split = motionbert_split()
    split["joints_2.5d_image"][2, 5, 1] = np.inf
    with pytest.raises(ds.DatasetError, match=r"inf\.pkl: test/s_09.*non-finite.*frame 2"):
        ds.load_motionbert_pkl(write_pickle(tmp_path / "inf.pkl", {"test": split}))
    split = motionbert_split()
    split["camera_name"][1] = "55011271"
    with pytest.raises(ds.DatasetError, match=r"cams\.pkl: .*more than one camera_name"):
        ds.load_motionbert_pkl(write_pickle(tmp_path / "cams.pkl", {"test": split}))


# ------------------------------------------------------------------------------------------------
# Own format


def test_own_npz_round_trip(tmp_path: Path) -> None:
    seq = make_sequence()
    path = ds.save_sequence_npz(tmp_path / "out" / "wave", seq)
    assert path == tmp_path / "out" / "wave.npz"
    back = ds.load_sequence_npz(path)
    np.testing.assert_array_equal(back.joints3d, seq.joints3d)
    np.testing.assert_array_equal(back.keypoints2d, seq.keypoints2d)
    np.testing.assert_array_equal(back.confidence, seq.confidence)
    assert (back.fps, back.action, back.name, back.source) == (30.0, "Waving", "lab/wave_01", "capture day 3")
    assert back.camera == seq.camera
    plain = ds.load_sequence_npz(ds.save_sequence_npz(tmp_path / "plain.npz", make_sequence(with_2d=False)))
    assert plain.keypoints2d is None and plain.confidence is None and plain.camera is None
    with np.load(path, allow_pickle=False) as data:  # readable without pickle
        assert data["joints3d"].shape == (5, 17, 3)


def test_own_npz_minimal_file(tmp_path: Path) -> None:
    joints = np.zeros((3, 17, 3))
    np.savez(tmp_path / "jump_02.npz", joints3d=joints, fps=60)
    seq = ds.load_sequence_npz(tmp_path / "jump_02.npz")
    assert (seq.fps, seq.action, seq.name) == (60.0, "", "jump_02")
    assert seq.source == str(tmp_path / "jump_02.npz")


@pytest.mark.parametrize(
    ("arrays", "problem"),
    [
        ({"fps": 30.0}, "no 'joints3d' key"),
        ({"joints3d": np.zeros((3, 17, 3))}, "no 'fps' key"),
        ({"joints3d": np.zeros((3, 16, 3)), "fps": 30.0}, r"joints3d has shape \(3, 16, 3\)"),
        ({"joints3d": np.zeros((3, 17, 3)), "fps": -1.0}, "fps must be finite and positive"),
        ({"joints3d": np.zeros((3, 17, 3)), "fps": [30.0, 25.0]}, "fps has shape"),
        ({"joints3d": np.full((3, 17, 3), np.nan), "fps": 30.0}, "non-finite"),
        ({"joints3d": np.zeros((3, 17, 3)), "fps": 30.0, "keypoints2d": np.zeros((2, 17, 2))}, "2 frames"),
        ({"joints3d": np.zeros((3, 17, 3)), "fps": 30.0, "confidence": np.ones((3, 17))}, "without"),
        ({"joints3d": np.zeros((3, 17, 3)), "fps": 30.0, "camera_name": "x"}, "camera fields"),
    ],
)
def test_own_npz_malformed(tmp_path: Path, arrays: dict, problem: str) -> None:
    path = tmp_path / "bad_seq.npz"
    np.savez(path, **arrays)
    with pytest.raises(ds.DatasetError, match=problem) as info:
        ds.load_sequence_npz(path)
    assert "bad_seq.npz" in str(info.value)


def test_own_npz_refuses_pickled_objects(tmp_path: Path) -> None:
    path = tmp_path / "objects.npz"
    np.savez(path, joints3d=np.array([{"a": 1}], dtype=object), fps=30.0)
    with pytest.raises(ds.DatasetError, match=r"objects\.npz: cannot read"):
        ds.load_sequence_npz(path)


# ------------------------------------------------------------------------------------------------
# load_sequences dispatch


def test_load_sequences_folder_and_single_files(tmp_path: Path) -> None:
    folder = tmp_path / "seqs"
    for name in ("b", "a"):
        ds.save_sequence_npz(folder / f"{name}.npz", replace(make_sequence(with_2d=False), name=name))
    (folder / "notes.md").write_text("ignored")
    assert [s.name for s in ds.load_sequences(folder)] == ["a", "b"]  # sorted by file name
    assert len(ds.load_sequences(folder / "a.npz")) == 1
    h36m = ds.load_sequences(write_3d(folder / "data_3d_h36m.npz"))
    assert len(h36m) == 4 and h36m[0].fps == 50.0
    assert len(ds.load_sequences(folder)) == 2 + 4  # the H36M file in the folder is recognised too
    ds.save_sequence_npz(folder / "subject_7" / "c.npz", replace(make_sequence(with_2d=False), name="c"))
    assert len(ds.load_sequences(folder)) == 2 + 4 + 1  # subfolders (one per subject) are searched


def test_load_sequences_list_file(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    ds.save_sequence_npz(tmp_path / "data" / "one.npz", make_sequence(with_2d=False))
    write_3d(tmp_path / "data" / "data_3d_h36m.npz")
    (tmp_path / "more").mkdir()
    ds.save_sequence_npz(tmp_path / "more" / "two.npz", make_sequence(frames=7, with_2d=False))
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "train.txt").write_text(
        f"# training data\n\n../data/one.npz\n../data/data_3d_h36m.npz   # mocap\n{tmp_path / 'more'}\n"
    )
    seqs = ds.load_sequences(lists / "train.txt", subjects=["S9"])
    assert [s.num_frames for s in seqs] == [5, FRAMES, FRAMES, 7]
    assert [s.name for s in seqs[1:3]] == ["S9/Sitting 1", "S9/Walking"]
    (lists / "broken.txt").write_text("../data/one.npz\n\n../data/missing.npz\n")
    with pytest.raises(ds.DatasetError, match=r"broken\.txt:3: '\.\./data/missing\.npz' does not exist"):
        ds.load_sequences(lists / "broken.txt")
    (lists / "empty.txt").write_text("# nothing\n")
    with pytest.raises(ds.DatasetError, match=r"empty\.txt: list file names no sequences"):
        ds.load_sequences(lists / "empty.txt")
    (lists / "nested.txt").write_text("train.txt\n")
    with pytest.raises(ds.DatasetError, match=r"nested\.txt:1: nested list file"):
        ds.load_sequences(lists / "nested.txt")


def test_load_sequences_malformed_paths(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ds.DatasetError, match=r"empty: folder has no \.npz or \.bvh files"):
        ds.load_sequences(tmp_path / "empty")
    with pytest.raises(ds.DatasetError, match=r"nowhere\.npz: does not exist"):
        ds.load_sequences(tmp_path / "nowhere.npz")
    (tmp_path / "poses.csv").write_text("1,2,3\n")
    with pytest.raises(ds.DatasetError, match=r"poses\.csv: unknown extension '\.csv'"):
        ds.load_sequences(tmp_path / "poses.csv")


class FakeMotion:
    """What auglift_ros.mocap.bvh.load_motion returns: H36M-17 joints in metres, y up."""

    def __init__(self, path: Path) -> None:
        self.joints3d = np.full((6, 17, 3), 0.5)
        self.fps = 120.0
        self.action = "jump"
        self.source = f"cmu:{path.name}"
        self.name = path.stem


def fake_load_motion(path: Path) -> FakeMotion:
    if "bad" in Path(path).name:
        raise ValueError(f"{path}: no MOTION section")
    return FakeMotion(Path(path))


@pytest.fixture
def fake_bvh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stands in for the BVH reader so these tests do not depend on it."""
    module = types.ModuleType("auglift_ros.mocap.bvh")
    module.load_motion = fake_load_motion
    monkeypatch.setitem(sys.modules, "auglift_ros.mocap.bvh", module)


@pytest.mark.usefixtures("fake_bvh")
def test_load_sequences_bvh(tmp_path: Path) -> None:
    folder = tmp_path / "mocap"
    folder.mkdir()
    for name in ("02_01.bvh", "01_01.bvh"):
        (folder / name).write_text("HIERARCHY\n")
    seqs = ds.load_sequences(folder)
    assert [s.name for s in seqs] == ["01_01", "02_01"]
    assert seqs[0].fps == 120.0 and seqs[0].action == "jump" and seqs[0].source == "cmu:01_01.bvh"
    assert seqs[0].joints3d.shape == (6, 17, 3)
    (folder / "bad.bvh").write_text("")
    with pytest.raises(ds.DatasetError, match=r"bad\.bvh: no MOTION section"):
        ds.load_sequences(folder / "bad.bvh")
