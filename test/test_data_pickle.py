"""Dataset pickles are read as data only: a pickle that would run code is refused before it runs,
through every reader that unpickles (VideoPose3D npz, MotionBERT pkl) and the CLI."""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from auglift_ros.commands.main import main
from auglift_ros.mocap import datasets as ds
from auglift_ros.mocap.data_pickle import UnsafePickleError, load_data_pickle, load_npz_member


class _TouchFile:
    """Unpickling this calls os.system: what a crafted dataset file does."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.path}",)


def _crafted_npz(path: Path, marker: Path) -> Path:
    """A data_3d_h36m.npz whose positions_3d pickle runs `touch marker`, as in the issue."""
    payload = np.empty((), dtype=object)
    payload[()] = {"S1": {"Walking": _TouchFile(marker)}}
    np.savez(path, positions_3d=payload)
    return path


def test_numpy_data_and_plain_containers_round_trip_in_every_protocol() -> None:
    content = {
        "S1": {"Walk": np.arange(6, dtype=np.float32).reshape(2, 3)},
        "scalars": [np.float64(1.5), np.int64(3), 2.0, 1 + 2j, "text", b"\x00\xff", None, True],
        "sets": ({1, 2}, frozenset({3})),
    }
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        loaded = load_data_pickle(io.BytesIO(pickle.dumps(content, protocol=protocol)))
        np.testing.assert_array_equal(loaded["S1"]["Walk"], content["S1"]["Walk"])
        assert loaded["S1"]["Walk"].dtype == np.float32
        assert loaded["scalars"] == content["scalars"] and loaded["sets"] == content["sets"]


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_a_pickle_that_runs_code_is_refused_before_it_runs(tmp_path: Path, protocol: int) -> None:
    marker = tmp_path / "ran"
    with pytest.raises(UnsafePickleError, match=r"refusing to load (posix|os|nt)\.system"):
        load_data_pickle(io.BytesIO(pickle.dumps(_TouchFile(marker), protocol=protocol)))
    assert not marker.exists()


def test_npz_members_without_objects_are_read_without_pickle(tmp_path: Path) -> None:
    path = tmp_path / "plain.npz"
    np.savez(path, a=np.arange(4.0), b=np.eye(2, dtype=np.int16))
    np.testing.assert_array_equal(load_npz_member(path, "b"), np.eye(2))
    with pytest.raises(KeyError):
        load_npz_member(path, "c")


def test_videopose3d_reader_refuses_a_crafted_file(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = _crafted_npz(tmp_path / "data_3d_h36m.npz", marker)
    with pytest.raises(ds.DatasetError, match=r"data_3d_h36m\.npz: 'positions_3d': refusing to load"):
        ds.load_videopose3d_3d(path)
    assert not marker.exists()


def test_motionbert_reader_refuses_a_crafted_file(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "h36m_sh_conf_cam_source_final.pkl"
    path.write_bytes(pickle.dumps({"test": {"joint3d_image": _TouchFile(marker)}}))
    with pytest.raises(ds.DatasetError, match=r"final\.pkl: refusing to load"):
        ds.load_motionbert_pkl(path)
    assert not marker.exists()


def test_evaluate_on_a_crafted_file_fails_cleanly_and_runs_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's reproduction: `auglift-ros evaluate --sequences` on a crafted data_3d_h36m.npz."""
    marker = tmp_path / "ran"
    path = _crafted_npz(tmp_path / "data_3d_h36m.npz", marker)
    model = Path(__file__).resolve().parents[1] / "models" / "auglift_xyc.onnx"
    args = ["evaluate", "--model", str(model), "--sequences", str(path), "--out", str(tmp_path / "out")]
    code = main(args)
    assert code != 0
    assert "refusing to load" in capsys.readouterr().err
    assert not marker.exists()
