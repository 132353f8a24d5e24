"""The cmu_full reader and its map to H36M-17: hand-made takes, and (skipped when ../shared/data/mocap
is absent, as in a user's checkout) the real folder and the proportions measured against the other
skeleton families."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from auglift_ros.core.skeleton import H36M_JOINT_NAMES
from auglift_ros.mocap import cmu_full
from auglift_ros.mocap.bvh import HIP_HALF_WIDTH_PER_LEG
from auglift_ros.mocap.datasets import DatasetError, load_sequences
from auglift_ros.mocap.proportions import (
    body_proportions,
    cmu_full_alternatives,
    fit_cmu_full,
    rest_skeleton,
    walking_positions,
)

J = {name: i for i, name in enumerate(H36M_JOINT_NAMES)}
MOCAP = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mocap"
FULL = MOCAP / "cmu_full"

# An upright rest pose of the 25-joint skeleton facing +z (left at +x), offsets rounded from the files.
REST = {
    "hip": (0, 0, 0), "abdomen": (0, 0.2, 0), "chest": (0, 0.32, 0.01), "neck": (0, 0.54, 0),
    "head": (0, 0.61, 0.01), "leftEye": (0.035, 0.7, 0.08), "rightEye": (-0.035, 0.7, 0.08),
    "rCollar": (-0.027, 0.515, 0), "rShldr": (-0.115, 0.49, 0), "rForeArm": (-0.12, 0.21, 0),
    "rHand": (-0.12, -0.03, 0), "rMid1": (-0.12, -0.12, 0),
    "lCollar": (0.027, 0.515, 0), "lShldr": (0.115, 0.49, 0), "lForeArm": (0.12, 0.21, 0),
    "lHand": (0.12, -0.03, 0), "lMid1": (0.12, -0.12, 0),
    "rButtock": (-0.05, 0.016, 0.017), "rThigh": (-0.088, 0, 0), "rShin": (-0.088, -0.368, 0),
    "rFoot": (-0.088, -0.822, 0),
    "lButtock": (0.05, 0.016, 0.017), "lThigh": (0.088, 0, 0), "lShin": (0.088, -0.368, 0),
    "lFoot": (0.088, -0.822, 0),
}  # fmt: skip
PARENTS = (-1, 0, 1, 2, 3, 4, 4, 2, 7, 8, 9, 10, 2, 12, 13, 14, 15, 0, 17, 18, 19, 0, 21, 22, 23)
INDEX_HEADER = "take,subject,description,category,frames_24fps,root_translation_ok,npz\n"


def rest_positions(frames: int = 4) -> np.ndarray:
    return np.broadcast_to(np.array([REST[n] for n in cmu_full.CMU_FULL_JOINT_NAMES], float), (frames, 25, 3))


def write_take(
    path: Path, positions: np.ndarray, fps: float = 24.0, names: tuple = cmu_full.CMU_FULL_JOINT_NAMES
) -> Path:
    root = positions[:, 0].astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        root=root,
        rel=(positions - positions[:, :1]).astype(np.float16),
        joints=np.array(names),
        parents=np.array(PARENTS),
        fps=np.float32(fps),
        desc=np.str_("walk"),
    )
    return path


def rotation_y(degrees: float) -> np.ndarray:
    a = np.deg2rad(degrees)
    return np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])


def test_folder_of_takes_reads_names_fps_categories_and_world_positions(tmp_path: Path) -> None:
    moving = rest_positions(5) + np.array([0.0, 0.9, 0.0]) + np.arange(5)[:, None, None] * [0.1, 0, 0]
    write_take(tmp_path / "cmu_full" / "08" / "08_01.npz", moving, fps=30.0)
    write_take(tmp_path / "cmu_full" / "09" / "09_02.npz", rest_positions())  # no index row
    (tmp_path / "cmu_full" / cmu_full.TAKE_INDEX).write_text(
        INDEX_HEADER + "08_01,8,sit on stool,sit/squat,5,False,08/08_01.npz\n"
    )
    first, second = load_sequences(tmp_path / "cmu_full")
    assert (first.name, first.source, first.fps, first.action) == (
        "cmu_full/08_01",
        "cmu_full",
        30.0,
        "sit/squat",
    )
    assert (second.name, second.action) == ("cmu_full/09_02", "")
    # World positions: the pelvis (the hips' midpoint) travels with the root, y up.
    np.testing.assert_allclose(first.joints3d[:, J["pelvis"], 0], 0.1 * np.arange(5), atol=1e-3)
    np.testing.assert_allclose(first.joints3d[:, J["pelvis"], 1], 0.9, atol=1e-3)
    assert (
        first.joints3d[0, J["head"], 1]
        > first.joints3d[0, J["thorax"], 1]
        > first.joints3d[0, J["pelvis"], 1]
    )
    assert first.joints3d[0, J["left_hip"], 0] > 0  # facing +z, left at +x
    info = cmu_full.take_info(tmp_path / "cmu_full" / "08" / "08_01.npz")
    assert info is not None and not info.root_translation_ok and info.description == "sit on stool"


def test_take_without_any_index_gets_an_empty_action(tmp_path: Path) -> None:
    (seq,) = load_sequences(write_take(tmp_path / "10_01.npz", rest_positions()))
    assert seq.action == "" and seq.num_frames == 4


def test_index_is_read_once(tmp_path: Path) -> None:
    index = tmp_path / cmu_full.TAKE_INDEX
    index.write_text(INDEX_HEADER + "08_01,8,walk,loco/other,5,True,08/08_01.npz\n")
    assert cmu_full.read_take_index(index) is cmu_full.read_take_index(index)


def test_wrong_skeleton_is_an_error_naming_the_file(tmp_path: Path) -> None:
    names = ("Hips", *cmu_full.CMU_FULL_JOINT_NAMES[1:])
    path = write_take(tmp_path / "bad.npz", rest_positions(), names=names)
    with pytest.raises(DatasetError, match=r"bad\.npz.*not the cmu_full skeleton"):
        load_sequences(path)


def test_construction_follows_the_body_and_keeps_the_h36m_definitions() -> None:
    rest = rest_positions(2)
    joints = cmu_full.to_h36m(rest)
    leg = 0.368 + 0.454
    hips = np.linalg.norm(joints[:, J["left_hip"]] - joints[:, J["right_hip"]], axis=-1)
    np.testing.assert_allclose(hips, 2 * HIP_HALF_WIDTH_PER_LEG * leg, rtol=1e-9)
    neck = np.linalg.norm(joints[:, J["neck_nose"]] - joints[:, J["thorax"]], axis=-1)
    np.testing.assert_allclose(neck, cmu_full.NECK_LENGTH * leg, rtol=1e-9)
    assert joints[0, J["neck_nose"], 2] > joints[0, J["thorax"], 2]  # the nose is in front
    # Turning and moving the whole body turns and moves every constructed joint with it.
    turn, shift = rotation_y(70.0), np.array([1.0, 0.2, -3.0])
    moved = cmu_full.to_h36m(rest @ turn.T + shift)
    np.testing.assert_allclose(moved, joints @ turn.T + shift, atol=1e-12)


def test_nodding_moves_neck_nose_and_head_but_not_the_neck_length() -> None:
    rest = rest_positions(1).copy()
    c = {n: i for i, n in enumerate(cmu_full.CMU_FULL_JOINT_NAMES)}
    skull, eyes = rest[0, c["head"]], [c["leftEye"], c["rightEye"]]
    tilt = np.array([[1, 0, 0], [0, np.cos(0.4), -np.sin(0.4)], [0, np.sin(0.4), np.cos(0.4)]])
    nod = rest.copy()
    nod[0, eyes] = (rest[0, eyes] - skull) @ tilt.T + skull  # look down by 23 degrees
    upright, nodded = cmu_full.to_h36m(rest), cmu_full.to_h36m(nod)
    assert nodded[0, J["head"], 2] > upright[0, J["head"], 2] + 0.02
    for joints in (upright, nodded):
        length = np.linalg.norm(joints[0, J["neck_nose"]] - joints[0, J["thorax"]])
        assert length == pytest.approx(cmu_full.NECK_LENGTH * (0.368 + 0.454))


needs_data = pytest.mark.skipif(not FULL.is_dir(), reason=f"cmu_full data absent ({FULL})")


@needs_data
def test_real_take_reads_as_walking_h36m() -> None:
    (seq,) = load_sequences(FULL / "08" / "08_01.npz")
    assert (seq.name, seq.source, seq.fps, seq.action) == ("cmu_full/08_01", "cmu_full", 24.0, "loco/other")
    with np.load(FULL / "08" / "08_01.npz") as data:
        assert seq.num_frames == len(data["rel"])


@needs_data
def test_constants_are_the_fit_and_the_joint_definitions_match_h36m() -> None:
    walking = walking_positions(FULL)
    fit = fit_cmu_full(walking)
    assert fit.thorax_below_collars == pytest.approx(cmu_full.THORAX_BELOW_COLLARS, abs=6e-4)
    np.testing.assert_allclose(fit.neck_nose_in_head, cmu_full.NECK_NOSE_IN_HEAD, atol=6e-4)
    np.testing.assert_allclose(fit.head_top_in_head, cmu_full.HEAD_TOP_IN_HEAD, atol=6e-4)
    chosen, rest = cmu_full_alternatives(walking)["chosen"], body_proportions(rest_skeleton())
    for measure in ("hip width", "thorax above shoulder line", "thorax -> neck_nose", "neck_nose -> head"):
        assert chosen[measure] == pytest.approx(rest[measure], abs=0.005), measure
    for measure in ("thorax -> neck_nose, forward", "neck_nose -> head, forward"):
        assert chosen[measure] == pytest.approx(rest[measure], abs=0.01), measure
