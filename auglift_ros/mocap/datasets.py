"""Readers for public 3D-pose dataset files, and the package's own ``.npz`` sequence format.

Every reader returns :class:`PoseSequence` objects in one common form, so training and evaluation code
never sees dataset conventions: ``joints3d`` (T, 17, 3) float64 in metres, Human3.6M-17 joint order
(:data:`auglift_ros.core.skeleton.H36M_JOINT_NAMES`), world frame **y up** (right-handed).

Formats (facts from the public repositories named, our own code):

* VideoPose3D ``data_3d_h36m.npz`` (facebookresearch/VideoPose3D, ``data/prepare_data_h36m.py``,
  ``common/h36m_dataset.py``): ``positions_3d`` is a pickled dict subject -> action -> (T, 32, 3) metres,
  Human3.6M world frame (z up), 50 fps. The 17 joints are the 32 minus the static ones the
  ``Human36mDataset`` drops (:data:`H36M32_TO_H36M17`).
* VideoPose3D ``data_2d_h36m_<detector>.npz`` (same repository, ``DATASETS.md``, ``run.py``,
  ``data/data_utils.py``): ``positions_2d`` subject -> action -> list of per-camera (T, J, 2|3) pixel
  arrays in the camera order of ``h36m_cameras_intrinsic_params``; ``metadata`` with ``num_joints``,
  ``keypoints_symmetry`` and (for detector files) ``layout_name``. 2D tracks may be longer than the
  mocap; VideoPose3D trims them to the 3D length, and so do we.
* MotionBERT pickles such as ``h36m_sh_conf_cam_source_final.pkl`` (Walter0807/MotionBERT,
  ``lib/data/datareader_h36m.py``, ``lib/utils/utils_data.py``, ``train.py``): ``{'train': {...},
  'test': {...}}``, each split per-frame arrays ``joint_2d`` (N, 17, 2) pixels, ``confidence``
  (N, 17, 1), ``joint3d_image`` (N, 17, 3), ``camera_name``, ``source`` (clip id per frame; clips are
  runs of equal ``source``) and, in the test split, ``action``, ``2.5d_factor`` (N,) and
  ``joints_2.5d_image`` (N, 17, 3) = ``joint3d_image * 2.5d_factor`` in millimetres.
* cmu_full takes (``../shared/data/mocap/cmu_full``, its README): ``rel`` (T, 25, 3) joints minus
  ``root`` (T, 3), metres, y up, 24 fps, one 25-joint skeleton; mapped to H36M-17 by
  :mod:`auglift_ros.mocap.cmu_full`.

``data_3d_h36m.npz``, ``data_2d_*.npz`` and ``.pkl`` files hold pickles; they are read by
:mod:`auglift_ros.mocap.data_pickle`, which admits numpy arrays and plain containers only, so a crafted
file is refused (DatasetError) instead of running its code. The package's own ``.npz`` format has no
pickle at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from auglift_ros.core.skeleton import COCO_NUM_JOINTS, H36M_NUM_JOINTS, coco_to_h36m
from auglift_ros.mocap.cmu_full import is_cmu_full, take_info, to_h36m
from auglift_ros.mocap.data_pickle import UnsafePickleError, load_data_pickle, load_npz_member


class DatasetError(ValueError):
    """A dataset file that cannot be used: the message names the file and the problem."""


H36M_FPS = 50.0
"""Frame rate of the Human3.6M mocap and videos (VideoPose3D ``Human36mDataset(fps=50)``)."""

H36M32_TO_H36M17: tuple[int, ...] = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27)
"""Index into the 32 Human3.6M mocap joints of each H36M-17 joint: the complement of the static joints
``[4, 5, 9, 10, 11, 16, 20, 21, 22, 23, 24, 28, 29, 30, 31]`` that VideoPose3D's
``Human36mDataset.remove_joints`` drops (``common/h36m_dataset.py``)."""

Z_UP_TO_Y_UP: np.ndarray = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
"""Rotation by -90 degrees about x: (x, y, z) -> (x, z, -y). The Human3.6M world frame has z up; this
proper rotation (determinant +1, no mirroring, so left stays left) puts world z on our y."""

CAMERA_TO_Y_UP: np.ndarray = np.diag([1.0, -1.0, -1.0])
"""Rotation by 180 degrees about x: (x, y, z) -> (x, -y, -z). Takes the OpenCV camera frame (x right,
y down, z forward) to a y-up frame at the camera, which then looks along -z (determinant +1)."""

MOTIONBERT_CAMERA_KEYS: tuple[str, ...] = ("joint3d_cam", "joint_cam", "joint_3d_camera")
"""Keys of camera-space metric joints some MotionBERT-style pickles carry (preferred when present)."""


@dataclass(frozen=True)
class CameraInfo:
    """The camera that produced a sequence's 2D keypoints (intrinsics in pixels; 0/None when unknown)."""

    name: str
    index: int = -1
    width: int = 0
    height: int = 0
    focal: tuple[float, float] | None = None
    center: tuple[float, float] | None = None


H36M_CAMERAS: tuple[CameraInfo, ...] = (
    CameraInfo("54138969", 0, 1000, 1002, (1145.04944, 1143.78113), (512.54150, 515.45148)),
    CameraInfo("55011271", 1, 1000, 1000, (1149.67566, 1147.59167), (508.84863, 508.06491)),
    CameraInfo("58860488", 2, 1000, 1000, (1149.14075, 1148.79895), (519.81586, 501.40265)),
    CameraInfo("60457274", 3, 1000, 1002, (1145.51135, 1144.77393), (514.96820, 501.88202)),
)
"""The four Human3.6M cameras in dataset order, with the intrinsics VideoPose3D publishes
(``h36m_cameras_intrinsic_params``, to 0.00001 px; lens distortion left out)."""


@dataclass
class PoseSequence:
    """One motion clip in the package's common form (see the module docstring for the conventions).

    ``keypoints2d`` (T, 17, 2) pixels, ``confidence`` (T, 17) and ``camera`` are set only by readers of
    formats that carry detections for one camera. Arrays are validated and stored as float64.
    """

    joints3d: np.ndarray
    fps: float
    action: str = ""
    name: str = ""
    source: str = ""
    keypoints2d: np.ndarray | None = None
    confidence: np.ndarray | None = None
    camera: CameraInfo | None = None

    def __post_init__(self) -> None:
        self.joints3d = _finite_array(self.joints3d, (H36M_NUM_JOINTS, 3), "joints3d")
        frames = self.joints3d.shape[0]
        try:
            self.fps = float(self.fps)
        except (TypeError, ValueError) as err:
            raise DatasetError(f"fps {self.fps!r} is not a number") from err
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise DatasetError(f"fps must be finite and positive, got {self.fps}")
        self.action, self.name, self.source = str(self.action), str(self.name), str(self.source)
        if self.keypoints2d is not None:
            self.keypoints2d = _finite_array(self.keypoints2d, (H36M_NUM_JOINTS, 2), "keypoints2d", frames)
        if self.confidence is not None:
            self.confidence = _finite_array(self.confidence, (H36M_NUM_JOINTS,), "confidence", frames)
            if self.keypoints2d is None:
                raise DatasetError("confidence given without keypoints2d")

    @property
    def num_frames(self) -> int:
        return int(self.joints3d.shape[0])


def _finite_array(values: Any, tail: tuple[int, ...], what: str, frames: int | None = None) -> np.ndarray:
    """float64 copy of ``values`` checked to be (T, *tail), T >= 1 (== frames if given), all finite."""
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise DatasetError(f"{what} is not a numeric array: {err}") from err
    expected = "(T, " + ", ".join(str(n) for n in tail) + ")"
    if array.ndim != 1 + len(tail) or array.shape[1:] != tail:
        raise DatasetError(f"{what} has shape {array.shape}, expected {expected}")
    if array.shape[0] == 0:
        raise DatasetError(f"{what} has no frames")
    if frames is not None and array.shape[0] != frames:
        raise DatasetError(f"{what} has {array.shape[0]} frames, joints3d has {frames}")
    bad = ~np.isfinite(array)
    if bad.any():
        frame = int(np.argwhere(bad)[0][0])
        raise DatasetError(f"{what} has {int(bad.sum())} non-finite values (first in frame {frame})")
    return array


def _sequence(where: str, **fields: Any) -> PoseSequence:
    """Build a PoseSequence, prefixing any validation error with where it came from."""
    try:
        return PoseSequence(**fields)
    except DatasetError as err:
        raise DatasetError(f"{where}: {err}") from None


def z_up_to_y_up(points: np.ndarray) -> np.ndarray:
    """Points (..., 3) in a z-up frame -> the same points in our y-up frame (:data:`Z_UP_TO_Y_UP`)."""
    # Exactly points @ Z_UP_TO_Y_UP.T, written as a permutation so non-finite input stays local.
    points = np.asarray(points, dtype=np.float64)
    return points[..., [0, 2, 1]] * np.array([1.0, 1.0, -1.0])


def camera_to_y_up(points: np.ndarray) -> np.ndarray:
    """Points (..., 3) in the OpenCV camera frame -> y up at the camera (:data:`CAMERA_TO_Y_UP`)."""
    return np.asarray(points, dtype=np.float64) * np.diag(CAMERA_TO_Y_UP)


def _subject_filter(subjects: Iterable[str] | None) -> set[str] | None:
    if subjects is None:
        return None
    if isinstance(subjects, str):
        return {subjects}
    return {str(s) for s in subjects}


def _check_subjects_found(path: Path, wanted: set[str] | None, available: Iterable[str]) -> None:
    if wanted is None:
        return
    available = sorted(set(available))
    missing = sorted(wanted - set(available))
    if missing:
        raise DatasetError(f"{path}: subjects {missing} not in the file (it has {available})")


# --------------------------------------------------------------------------------------------------
# VideoPose3D


def _load_pickled_npz_dict(path: Path, key: str) -> dict[str, Any]:
    """The dict stored under ``key`` in a VideoPose3D ``.npz`` (a pickled 0-d object array)."""
    try:
        value = load_npz_member(path, key)
    except KeyError:
        raise DatasetError(f"{path}: no '{key}' key (keys: {sorted(_npz_keys(path))})") from None
    except UnsafePickleError as err:
        raise DatasetError(f"{path}: '{key}': {err}") from err
    except Exception as err:  # zipfile and numpy raise many types for corrupt or non-npz files
        raise DatasetError(f"{path}: cannot read as .npz: {err}") from err
    if not (isinstance(value, np.ndarray) and value.dtype == object and value.ndim == 0):
        raise DatasetError(f"{path}: '{key}' is not a pickled dict (got {value.dtype} {value.shape})")
    content = value.item()
    if not isinstance(content, Mapping):
        raise DatasetError(f"{path}: '{key}' holds a {type(content).__name__}, expected a dict")
    return dict(content)


def _read_positions_3d(path: Path, subjects: set[str] | None) -> dict[tuple[str, str], np.ndarray]:
    """(subject, action) -> (T, 17, 3) metres, still in the Human3.6M z-up world frame."""
    positions = _load_pickled_npz_dict(path, "positions_3d")
    _check_subjects_found(path, subjects, positions)
    out: dict[tuple[str, str], np.ndarray] = {}
    for subject in sorted(positions):
        if subjects is not None and subject not in subjects:
            continue
        actions = positions[subject]
        if not isinstance(actions, Mapping):
            raise DatasetError(f"{path}: positions_3d[{subject!r}] is not a dict of actions")
        for action in sorted(actions):
            where = f"{path}: positions_3d[{subject!r}][{action!r}]"
            try:
                array = np.asarray(actions[action], dtype=np.float64)
            except (TypeError, ValueError) as err:
                raise DatasetError(f"{where}: not a numeric array: {err}") from err
            if array.ndim != 3 or array.shape[1:] not in ((32, 3), (H36M_NUM_JOINTS, 3)):
                raise DatasetError(f"{where}: shape {array.shape}, expected (T, 32, 3) or (T, 17, 3)")
            if array.shape[1] == 32:
                array = array[:, H36M32_TO_H36M17]
            out[(str(subject), str(action))] = array
    if not out:
        raise DatasetError(f"{path}: positions_3d holds no sequences")
    return out


def load_videopose3d_3d(path: str | Path, subjects: Iterable[str] | None = None) -> list[PoseSequence]:
    """Sequences of a VideoPose3D ``data_3d_h36m.npz``: one per (subject, action), named "S9/Walking".

    The 17 joints are taken from the 32 by :data:`H36M32_TO_H36M17` (files already reduced to 17 are
    taken as they are) and rotated from the Human3.6M z-up world to y up with :data:`Z_UP_TO_Y_UP`.
    ``subjects`` (e.g. ``("S9", "S11")``) selects subjects; one not in the file is an error.
    """
    path = Path(path)
    wanted = _subject_filter(subjects)
    return [
        _sequence(
            f"{path}: {subject}/{action}",
            joints3d=z_up_to_y_up(joints),
            fps=H36M_FPS,
            action=action,
            name=f"{subject}/{action}",
            source=str(path),
        )
        for (subject, action), joints in _read_positions_3d(path, wanted).items()
    ]


def _camera_selection(camera: int | str | None) -> list[int]:
    if camera is None:
        return list(range(len(H36M_CAMERAS)))
    if isinstance(camera, str):
        for info in H36M_CAMERAS:
            if info.name == camera:
                return [info.index]
        names = [c.name for c in H36M_CAMERAS]
        raise DatasetError(f"unknown Human3.6M camera {camera!r} (cameras: {names})")
    if isinstance(camera, (int, np.integer)) and 0 <= int(camera) < len(H36M_CAMERAS):
        return [int(camera)]
    raise DatasetError(f"camera must be an index 0..{len(H36M_CAMERAS) - 1} or a camera id, got {camera!r}")


def _layout_of(path: Path, metadata: Mapping[str, Any]) -> str:
    """'h36m' or 'coco' from a VideoPose3D 2D ``metadata`` dict (the ground-truth file has no layout name
    but 17 joints in H36M order, written by ``prepare_data_h36m.py``)."""
    layout = str(metadata.get("layout_name", "h36m")).lower()
    num_joints = metadata.get("num_joints", H36M_NUM_JOINTS)
    if layout not in ("h36m", "coco"):
        raise DatasetError(f"{path}: keypoint layout {layout!r} is not supported (only 'h36m' and 'coco')")
    if num_joints != H36M_NUM_JOINTS:
        raise DatasetError(f"{path}: metadata num_joints is {num_joints}, expected 17")
    return layout


def load_videopose3d_2d(
    path_2d: str | Path,
    path_3d: str | Path,
    *,
    camera: int | str | None = None,
    subjects: Iterable[str] | None = None,
) -> list[PoseSequence]:
    """2D detections (``data_2d_h36m_<detector>.npz``) paired with the mocap (``data_3d_h36m.npz``).

    One sequence per (subject, action, camera), named "S9/Walking/54138969", for the subjects that
    have 3D (detection-only subjects such as S2-S4 are skipped). ``camera`` picks one camera by index
    (0-3, dataset order) or id ("54138969"); None gives all four. ``joints3d`` is the same world-frame,
    y-up pose as :func:`load_videopose3d_3d` (camera extrinsics are not carried); ``keypoints2d`` are the
    file's pixels, converted from COCO to H36M-17 when ``metadata['layout_name']`` is 'coco'. Files
    without a confidence column get confidence 1 everywhere, so downstream code needs no special case.
    2D tracks longer than the mocap are trimmed to it, as VideoPose3D does; shorter ones are an error.
    """
    path_2d, path_3d = Path(path_2d), Path(path_3d)
    wanted = _subject_filter(subjects)
    cameras = _camera_selection(camera)
    positions_2d = _load_pickled_npz_dict(path_2d, "positions_2d")
    metadata = _load_pickled_npz_dict(path_2d, "metadata")
    layout = _layout_of(path_2d, metadata)
    poses_3d = _read_positions_3d(path_3d, wanted)
    sequences = []
    for (subject, action), joints in poses_3d.items():
        actions_2d = positions_2d.get(subject)
        if not isinstance(actions_2d, Mapping) or action not in actions_2d:
            raise DatasetError(f"{path_2d}: no 2D detections for {subject}/{action} of {path_3d}")
        tracks = actions_2d[action]
        if not isinstance(tracks, (list, tuple, np.ndarray)) or len(tracks) != len(H36M_CAMERAS):
            raise DatasetError(
                f"{path_2d}: positions_2d[{subject!r}][{action!r}] must be a list of "
                f"{len(H36M_CAMERAS)} per-camera arrays"
            )
        frames = joints.shape[0]
        for index in cameras:
            info = H36M_CAMERAS[index]
            where = f"{path_2d}: {subject}/{action} camera {index} ({info.name})"
            try:
                track = np.asarray(tracks[index], dtype=np.float64)
            except (TypeError, ValueError) as err:
                raise DatasetError(f"{where}: not a numeric array: {err}") from err
            if track.ndim != 3 or track.shape[1] != COCO_NUM_JOINTS or track.shape[2] not in (2, 3):
                raise DatasetError(f"{where}: shape {track.shape}, expected (T, 17, 2) or (T, 17, 3)")
            if track.shape[0] < frames:
                raise DatasetError(f"{where}: {track.shape[0]} frames of 2D but {frames} of 3D")
            track = track[:frames]
            points = track[..., :2]
            conf = track[..., 2] if track.shape[2] == 3 else np.ones(track.shape[:2])
            if layout == "coco":
                points, conf = coco_to_h36m(points, conf)
            sequences.append(
                _sequence(
                    where,
                    joints3d=z_up_to_y_up(joints),
                    fps=H36M_FPS,
                    action=action,
                    name=f"{subject}/{action}/{info.name}",
                    source=str(path_2d),
                    keypoints2d=points,
                    confidence=conf,
                    camera=info,
                )
            )
    return sequences


# --------------------------------------------------------------------------------------------------
# MotionBERT

_MOTIONBERT_SUBJECT = re.compile(r"^s_(\d+)_")


def _read_pickle(path: Path) -> Any:
    try:
        with path.open("rb") as stream:
            return load_data_pickle(stream)
    except UnsafePickleError as err:
        raise DatasetError(f"{path}: {err}") from err
    except Exception as err:  # unpickling raises many types for corrupt or foreign files
        raise DatasetError(f"{path}: cannot read pickle: {type(err).__name__}: {err}") from err


def _per_frame(path: Path, split: str, data: Mapping[str, Any], key: str, frames: int) -> np.ndarray:
    value = np.asarray(data[key])
    if value.ndim == 0 or value.shape[0] != frames:
        raise DatasetError(f"{path}: {split}/{key} has shape {value.shape}, expected {frames} frames")
    return value


def _motionbert_joints3d(
    path: Path, split: str, data: Mapping[str, Any], frames: int, metres_per_unit: float
) -> np.ndarray:
    """(N, 17, 3) metres, y up, from the most metric 3D a MotionBERT split offers (see the reader)."""
    for key in MOTIONBERT_CAMERA_KEYS:
        if key in data:
            camera_space = _per_frame(path, split, data, key, frames).astype(np.float64)
            if camera_space.ndim != 3 or camera_space.shape[1:] != (H36M_NUM_JOINTS, 3):
                raise DatasetError(
                    f"{path}: {split}/{key} has shape {camera_space.shape}, expected (N, 17, 3)"
                )
            return camera_to_y_up(camera_space * metres_per_unit)
    if "joints_2.5d_image" in data:
        scaled = _per_frame(path, split, data, "joints_2.5d_image", frames).astype(np.float64)
    elif "2.5d_factor" in data and "joint3d_image" in data:
        image = _per_frame(path, split, data, "joint3d_image", frames).astype(np.float64)
        factor = _per_frame(path, split, data, "2.5d_factor", frames).astype(np.float64).reshape(frames)
        scaled = image * factor[:, None, None]
    else:
        raise DatasetError(
            f"{path}: split '{split}' has no metric 3D: 'joint3d_image' alone is in scaled pixels, not "
            f"metres; need one of {list(MOTIONBERT_CAMERA_KEYS)}, 'joints_2.5d_image' or '2.5d_factor' "
            "(MotionBERT's H36M file has them in its 'test' split only)"
        )
    if scaled.ndim != 3 or scaled.shape[1:] != (H36M_NUM_JOINTS, 3):
        raise DatasetError(f"{path}: {split} 2.5D joints have shape {scaled.shape}, expected (N, 17, 3)")
    rooted = (scaled - scaled[:, :1]) * metres_per_unit
    return camera_to_y_up(rooted)


def load_motionbert_pkl(
    path: str | Path,
    *,
    split: str | None = None,
    subjects: Iterable[str] | None = None,
    fps: float = H36M_FPS,
    metres_per_unit: float = 0.001,
) -> list[PoseSequence]:
    """Sequences of a MotionBERT-style pickle: one per run of equal ``source`` in each split.

    Units (MotionBERT's ``joint3d_image`` is pixels plus a depth in the same scaled units, not metres):

    * camera-space joints (:data:`MOTIONBERT_CAMERA_KEYS`) are preferred: absolute, camera frame;
    * else ``joints_2.5d_image`` (or ``joint3d_image * 2.5d_factor``), which MotionBERT scores MPJPE in
      millimetres against: a scaled-orthographic camera-space pose, returned **root-relative** (pelvis at
      the origin every frame) because its translation is pixel-based;
    * else a :class:`DatasetError` (MotionBERT's own H36M ``train`` split has only ``joint3d_image``).

    Both are scaled by ``metres_per_unit`` (Human3.6M files are in mm) and turned from the camera frame
    (x right, y down, z forward) to y up by :data:`CAMERA_TO_Y_UP`. ``keypoints2d`` is ``joint_2d``
    (pixels), ``confidence`` the file's (1 where absent), ``camera`` from ``camera_name``. ``split``
    ('train'/'test') limits to one split, None reads all; ``subjects`` ("S9") needs sources named like
    ``s_09_act_02_subact_01_ca_01``. Names are "<split>/<source>".
    """
    path = Path(path)
    wanted = _subject_filter(subjects)
    content = _read_pickle(path)
    if not isinstance(content, Mapping):
        raise DatasetError(f"{path}: expected a dict of splits, got {type(content).__name__}")
    if split is not None and split not in content:
        raise DatasetError(f"{path}: no split {split!r} (splits: {sorted(map(str, content))})")
    splits = [split] if split is not None else sorted(str(k) for k in content)
    found_subjects: set[str] = set()
    sequences = []
    for split_name in splits:
        data = content[split_name]
        if not isinstance(data, Mapping):
            raise DatasetError(f"{path}: split {split_name!r} is a {type(data).__name__}, expected a dict")
        for key in ("joint_2d", "source"):
            if key not in data:
                raise DatasetError(f"{path}: split {split_name!r} has no '{key}' key (keys: {sorted(data)})")
        sources = np.asarray(data["source"]).astype(str)
        frames = len(sources)
        if sources.ndim != 1 or frames == 0:
            raise DatasetError(f"{path}: {split_name}/source must be a non-empty list of clip ids")
        joints = _motionbert_joints3d(path, split_name, data, frames, metres_per_unit)
        points = _per_frame(path, split_name, data, "joint_2d", frames)
        if points.ndim != 3 or points.shape[2] < 2:
            raise DatasetError(f"{path}: {split_name}/joint_2d has shape {points.shape}, expected (N, 17, 2)")
        conf = (
            _per_frame(path, split_name, data, "confidence", frames).reshape(frames, -1)
            if "confidence" in data
            else None
        )
        cams = (
            _per_frame(path, split_name, data, "camera_name", frames).astype(str)
            if "camera_name" in data
            else None
        )
        actions = (
            _per_frame(path, split_name, data, "action", frames).astype(str) if "action" in data else None
        )
        cuts = np.flatnonzero(sources[1:] != sources[:-1]) + 1
        seen: set[str] = set()
        for start, stop in zip(np.r_[0, cuts], np.r_[cuts, frames], strict=True):
            clip = str(sources[start])
            where = f"{path}: {split_name}/{clip}"
            if clip in seen:
                raise DatasetError(f"{where}: source appears in more than one run of frames")
            seen.add(clip)
            if wanted is not None:
                match = _MOTIONBERT_SUBJECT.match(clip)
                if match is None:
                    raise DatasetError(f"{where}: cannot select subjects, source names no subject")
                subject = f"S{int(match.group(1))}"
                found_subjects.add(subject)
                if subject not in wanted:
                    continue
            camera = None
            if cams is not None:
                cam_names = set(cams[start:stop])
                if len(cam_names) != 1:
                    raise DatasetError(
                        f"{where}: more than one camera_name in one source {sorted(cam_names)}"
                    )
                cam_name = cam_names.pop()
                camera = next((c for c in H36M_CAMERAS if c.name == cam_name), CameraInfo(cam_name))
            clip_points = points[start:stop, :, :2]
            clip_conf = np.ones(clip_points.shape[:2]) if conf is None else conf[start:stop]
            sequences.append(
                _sequence(
                    where,
                    joints3d=joints[start:stop],
                    fps=fps,
                    action="" if actions is None else actions[start],
                    name=f"{split_name}/{clip}",
                    source=str(path),
                    keypoints2d=clip_points,
                    confidence=clip_conf,
                    camera=camera,
                )
            )
    _check_subjects_found(path, wanted, found_subjects)
    return sequences


# --------------------------------------------------------------------------------------------------
# Own format

_CAMERA_FIELDS = ("camera_name", "camera_index", "camera_size", "camera_focal", "camera_center")


def save_sequence_npz(path: str | Path, seq: PoseSequence) -> Path:
    """Write ``seq`` as one ``.npz`` (no pickled objects, so loading needs no trust); returns the path.

    Keys: ``joints3d`` (T, 17, 3) metres, H36M-17, y up; ``fps``; ``action``; ``name``; ``source``; and
    ``keypoints2d``, ``confidence`` and ``camera_*`` when the sequence has them.
    """
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")  # np.savez would add it silently
    arrays: dict[str, np.ndarray] = {
        "joints3d": np.asarray(seq.joints3d, dtype=np.float64),
        "fps": np.float64(seq.fps),
        "action": np.str_(seq.action),
        "name": np.str_(seq.name),
        "source": np.str_(seq.source),
    }
    if seq.keypoints2d is not None:
        arrays["keypoints2d"] = np.asarray(seq.keypoints2d, dtype=np.float64)
    if seq.confidence is not None:
        arrays["confidence"] = np.asarray(seq.confidence, dtype=np.float64)
    if seq.camera is not None:
        cam = seq.camera
        arrays["camera_name"] = np.str_(cam.name)
        arrays["camera_index"] = np.int64(cam.index)
        arrays["camera_size"] = np.array([cam.width, cam.height], dtype=np.int64)
        arrays["camera_focal"] = np.array(cam.focal if cam.focal is not None else [np.nan] * 2)
        arrays["camera_center"] = np.array(cam.center if cam.center is not None else [np.nan] * 2)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    return path


def _optional_pair(values: np.ndarray) -> tuple[float, float] | None:
    return None if not np.all(np.isfinite(values)) else (float(values[0]), float(values[1]))


def load_sequence_npz(path: str | Path) -> PoseSequence:
    """Read one sequence written by :func:`save_sequence_npz` (``joints3d`` and ``fps`` required)."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except Exception as err:  # np.load raises many types for corrupt, pickled or non-npz files
        raise DatasetError(f"{path}: cannot read as .npz: {err}") from err
    for key in ("joints3d", "fps"):
        if key not in arrays:
            raise DatasetError(f"{path}: no '{key}' key (keys: {sorted(arrays)})")
    if arrays["fps"].size != 1:
        raise DatasetError(f"{path}: fps has shape {arrays['fps'].shape}, expected a scalar")
    camera = None
    if "camera_name" in arrays:
        missing = [key for key in _CAMERA_FIELDS if key not in arrays]
        if missing:
            raise DatasetError(f"{path}: camera fields {missing} missing")
        size = arrays["camera_size"].reshape(-1)
        camera = CameraInfo(
            name=str(arrays["camera_name"]),
            index=int(arrays["camera_index"]),
            width=int(size[0]),
            height=int(size[1]),
            focal=_optional_pair(arrays["camera_focal"].reshape(-1)),
            center=_optional_pair(arrays["camera_center"].reshape(-1)),
        )
    source = str(arrays["source"]) if "source" in arrays else ""
    return _sequence(
        str(path),
        joints3d=arrays["joints3d"],
        fps=arrays["fps"].reshape(()).item(),
        action=str(arrays["action"]) if "action" in arrays else "",
        name=str(arrays["name"]) if "name" in arrays else path.stem,
        source=source or str(path),
        keypoints2d=arrays.get("keypoints2d"),
        confidence=arrays.get("confidence"),
        camera=camera,
    )


# --------------------------------------------------------------------------------------------------
# CMU takes as joint positions (cmu_full)


def load_cmu_full_npz(path: str | Path) -> PoseSequence:
    """One take of ``../shared/data/mocap/cmu_full`` (``rel``, ``root``, ``joints``, ``fps``) as H36M-17
    world joints through :func:`auglift_ros.mocap.cmu_full.to_h36m`, named ``cmu_full/08_01``.

    ``action`` is the take's ``category`` in the ``index_cmu_takes.csv`` of the nearest folder above the
    file (read once per process); a file without an index or without a row gets action "". Takes the
    index marks ``root_translation_ok`` False are loaded like the rest: their root-relative poses are
    right (frame selection uses only those), but their world trajectory sinks or jumps, so leave them
    out of whole-clip (temporal) training (:func:`auglift_ros.mocap.cmu_full.take_info` tells them).
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            rel, root, names, fps = data["rel"], data["root"], data["joints"], data["fps"]
    except Exception as err:  # np.load raises many types for corrupt or non-npz files, KeyError for keys
        raise DatasetError(f"{path}: cannot read as a cmu_full take: {err!r}") from err
    if rel.ndim != 3 or root.shape != (rel.shape[0], 3) or fps.size != 1:
        raise DatasetError(
            f"{path}: rel {rel.shape}, root {root.shape}, fps {fps.shape}: expected (T, 25, 3), (T, 3), ()"
        )
    try:
        joints3d = to_h36m(rel.astype(np.float64) + root[:, None], names.tolist())
        info = take_info(path)
    except ValueError as err:  # a wrong skeleton, or an unreadable index (its message names it)
        raise DatasetError(f"{path}: {err}") from err
    return _sequence(
        str(path),
        joints3d=joints3d,
        fps=fps.reshape(()).item(),
        action="" if info is None else info.category,
        name=f"cmu_full/{path.stem}",
        source="cmu_full",
    )


# --------------------------------------------------------------------------------------------------
# BVH and dispatch


def load_bvh_sequence(path: str | Path) -> PoseSequence:
    """One ``.bvh`` file through :func:`auglift_ros.mocap.bvh.load_motion` (already H36M-17, metres, y up)."""
    from auglift_ros.mocap.bvh import load_motion  # lazy: BVH parsing is not needed for the npz paths

    path = Path(path)
    try:
        motion = load_motion(path)
    except DatasetError:
        raise
    except ValueError as err:  # BvhError: its message already names the file
        raise DatasetError(str(err)) from err
    return _sequence(
        str(path),
        joints3d=motion.joints3d,
        fps=motion.fps,
        action=getattr(motion, "action", "") or "",
        name=getattr(motion, "name", "") or path.stem,
        source=getattr(motion, "source", "") or str(path),
    )


LIST_SUFFIXES = (".txt", ".lst", ".list")
"""Suffixes of list files: text, one sequence path per line."""


def _npz_keys(path: Path) -> list[str]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return list(data.files)
    except Exception as err:  # np.load raises many types for corrupt or non-npz files
        raise DatasetError(f"{path}: cannot read as .npz: {err}") from err


def _load_file(path: Path, subjects: Iterable[str] | None, split: str | None) -> list[PoseSequence]:
    suffix = path.suffix.lower()
    if suffix == ".npz":
        keys = _npz_keys(path)
        if is_cmu_full(keys):
            return [load_cmu_full_npz(path)]
        if "positions_3d" in keys:
            return load_videopose3d_3d(path, subjects)
        if "positions_2d" in keys:
            raise DatasetError(
                f"{path}: a VideoPose3D 2D detections file; read it with load_videopose3d_2d and its 3D file"
            )
        return [load_sequence_npz(path)]
    if suffix == ".bvh":
        return [load_bvh_sequence(path)]
    if suffix == ".pkl":
        return load_motionbert_pkl(path, split=split, subjects=subjects)
    raise DatasetError(
        f"{path}: unknown extension {path.suffix!r} (expected .npz, .bvh, .pkl or a list file)"
    )


def _read_list(path: Path) -> list[Path]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise DatasetError(f"{path}: cannot read list file: {err}") from err
    entries = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        entry = Path(text).expanduser()
        entry = entry if entry.is_absolute() else path.parent / entry
        if not entry.exists():
            raise DatasetError(f"{path}:{number}: {text!r} does not exist (looked for {entry})")
        if entry.is_file() and entry.suffix.lower() in LIST_SUFFIXES:
            raise DatasetError(f"{path}:{number}: nested list file {text!r} is not supported")
        entries.append(entry)
    if not entries:
        raise DatasetError(f"{path}: list file names no sequences")
    return entries


def load_sequences(
    path: str | Path, *, subjects: Iterable[str] | None = None, split: str | None = None
) -> list[PoseSequence]:
    """Every sequence at ``path``, whatever it is, so callers take one argument for all data sources.

    ``path`` may be a folder (its ``.npz`` and ``.bvh`` files, sorted, including subfolders, as mocap
    collections group takes by subject), a list file
    (:data:`LIST_SUFFIXES`; one path per line, relative to the list's folder, ``#`` starts a comment),
    a sequence ``.npz``, a cmu_full take ``.npz`` (recognised by its ``rel``, ``root`` and ``joints``
    keys; :func:`load_cmu_full_npz`), a VideoPose3D ``data_3d_h36m.npz`` (recognised by its
    ``positions_3d`` key), a ``.bvh`` or a MotionBERT ``.pkl``. ``subjects`` and ``split`` apply to the
    Human3.6M formats (VideoPose3D, MotionBERT) and are ignored for the others.
    """
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: does not exist")
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".npz", ".bvh"))
        if not files:
            raise DatasetError(f"{path}: folder has no .npz or .bvh files")
        return [seq for file in files for seq in _load_file(file, subjects, split)]
    if path.suffix.lower() in LIST_SUFFIXES:
        return [
            seq for entry in _read_list(path) for seq in load_sequences(entry, subjects=subjects, split=split)
        ]
    return _load_file(path, subjects, split)
