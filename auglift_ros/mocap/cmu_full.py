"""The CMU motion capture database as joint positions (``cmu_full``): its skeleton mapped to H36M-17.

``../shared/data/mocap/cmu_full`` (read its README) holds 2,419 CMU takes converted to the positions
of one 25-joint skeleton (``hip``, ``abdomen``, ``chest``, ``neck``, ``head``, eyes, collars, limbs)
in npz files (``rel``, ``root``, ``joints``, ``parents``, ``fps``, ``desc``) and an index,
``index_cmu_takes.csv``, with a category per take. :mod:`auglift_ros.mocap.datasets` reads the files;
this module builds H36M-17 joints from the 25 (:func:`to_h36m`) and reads the index
(:func:`read_take_index`).

The construction follows :mod:`auglift_ros.mocap.bvh`, so all families define the joints alike
(measured in ``docs/datasets.md`` with ``python -m auglift_ros.mocap.proportions``; lengths in leg
lengths, thigh + shin):

* knees, ankles, shoulders, elbows, wrists: ``rShin``/``lShin``, ``rFoot``/``lFoot``,
  ``rShldr``/``lShldr``, ``rForeArm``/``lForeArm``, ``rHand``/``lHand``.
* hips: ``rThigh``/``lThigh`` (the femoral heads) spread to
  :data:`~auglift_ros.mocap.bvh.HIP_HALF_WIDTH_PER_LEG` from their midpoint, the pelvis; spine at
  :data:`~auglift_ros.mocap.bvh.SPINE_FRACTION` of pelvis -> thorax.
* thorax: the other families' thorax is at shoulder height (as a detector's thorax, the shoulders'
  midpoint). Here the neck joint is 0.058 above the shoulder line and the collar roots 0.026, so the
  thorax is the collar roots' midpoint moved down the chest -> collars axis by
  :data:`THORAX_BELOW_COLLARS`: on the shoulder line in walking takes, yet rigid with the chest
  (the shoulders' own midpoint would follow every shrug).
* neck_nose and head: the skeleton has a skull base (``head``) and eyes but no nose and no crown.
  Both are virtual points fixed in the head's frame (:func:`head_frames`) at (up, forward) offsets
  (:data:`NECK_NOSE_IN_HEAD`, :data:`HEAD_TOP_IN_HEAD`), fitted by
  :func:`auglift_ros.mocap.proportions.fit_cmu_full` so that in walking takes they sit where
  Human3.6M's rest skeleton has them relative to the thorax, as the BVH families' are. They follow
  nods and turns; neck_nose is then put at :data:`NECK_LENGTH` from the thorax along the thorax ->
  neck_nose line (Human3.6M's neck is rigid, and every take has the same body).

What no joint definition can match: every take has the same body, whose trunk is long for its legs
(pelvis -> thorax 0.57 against 0.50-0.54 in the other families), whose knee sits high (thigh 0.45 of
the leg against 0.49-0.51) and whose upper arm is long (0.34 against 0.26-0.32). Moving a rotation
centre would make a rigid bone stretch with the motion, so these stay;
:func:`auglift_ros.mocap.augment.vary_body` varies body size and bone lengths instead.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from auglift_ros.core.skeleton import H36M_JOINT_NAMES, H36M_NUM_JOINTS
from auglift_ros.mocap.bvh import HIP_HALF_WIDTH_PER_LEG, SPINE_FRACTION
from auglift_ros.mocap.generated import H36M_REST_BONE_LENGTHS, H36M_REST_DIRECTIONS

CMU_FULL_JOINT_NAMES: tuple[str, ...] = (
    "hip", "abdomen", "chest", "neck", "head", "leftEye", "rightEye",
    "rCollar", "rShldr", "rForeArm", "rHand", "rMid1",
    "lCollar", "lShldr", "lForeArm", "lHand", "lMid1",
    "rButtock", "rThigh", "rShin", "rFoot", "lButtock", "lThigh", "lShin", "lFoot",
)  # fmt: skip
"""The 25 joints of every cmu_full take, in file order."""

CMU_FULL_KEYS = ("rel", "root", "joints")
"""npz keys that identify a cmu_full take."""

TAKE_INDEX = "index_cmu_takes.csv"
"""The index file in the cmu_full folder: one row per take (``take`` like ``08_01``, ``category``)."""

THORAX_BELOW_COLLARS = 0.027
"""Thorax below the collar roots' midpoint, along the chest -> collar axis, in leg lengths."""
NECK_NOSE_IN_HEAD = (-0.010, 0.038)
"""neck_nose in the head frame, (up, forward) in leg lengths, from the skull base (``head``)."""
HEAD_TOP_IN_HEAD = (0.027, -0.091)
"""Head top in the head frame, (up, forward) in leg lengths, from the skull base."""

H36M_REST_IN_LEGS: np.ndarray = (
    H36M_REST_DIRECTIONS
    * H36M_REST_BONE_LENGTHS[:, None]
    / (H36M_REST_BONE_LENGTHS[1] + H36M_REST_BONE_LENGTHS[2])
)
"""Human3.6M rest bone vectors in leg lengths (``H36M_BONES`` order: bone i ends at joint i + 1)."""
NECK_LENGTH = float(np.linalg.norm(H36M_REST_IN_LEGS[H36M_JOINT_NAMES.index("neck_nose") - 1]))
"""thorax -> neck_nose in leg lengths: Human3.6M's rest length, in every take (one body for all)."""

_SOURCES: dict[str, str] = {
    "right_knee": "rShin",
    "right_ankle": "rFoot",
    "left_knee": "lShin",
    "left_ankle": "lFoot",
    "left_shoulder": "lShldr",
    "left_elbow": "lForeArm",
    "left_wrist": "lHand",
    "right_shoulder": "rShldr",
    "right_elbow": "rForeArm",
    "right_wrist": "rHand",
}
_H36M = {name: i for i, name in enumerate(H36M_JOINT_NAMES)}
_C = {name: i for i, name in enumerate(CMU_FULL_JOINT_NAMES)}


def is_cmu_full(keys: Iterable[str]) -> bool:
    """True if an npz with these keys is a cmu_full take (``rel``, ``root`` and ``joints``)."""
    return set(CMU_FULL_KEYS) <= set(keys)


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def check_joint_names(names: Sequence[str]) -> None:
    """Raise ValueError unless ``names`` are :data:`CMU_FULL_JOINT_NAMES` in that order."""
    if tuple(str(name) for name in names) != CMU_FULL_JOINT_NAMES:
        raise ValueError(f"joints {list(names)} are not the cmu_full skeleton {list(CMU_FULL_JOINT_NAMES)}")


def leg_length(positions: np.ndarray) -> float:
    """Median thigh + shin (mean of both sides) of positions (T, 25, 3): the body-size unit."""
    p = positions
    legs = [
        np.linalg.norm(p[:, _C[f"{s}Thigh"]] - p[:, _C[f"{s}Shin"]], axis=-1)
        + np.linalg.norm(p[:, _C[f"{s}Shin"]] - p[:, _C[f"{s}Foot"]], axis=-1)
        for s in "rl"
    ]
    return float(np.median((legs[0] + legs[1]) / 2.0))


def head_frames(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(up, forward) unit axes (T, 3) of the head: left from the right eye to the left one, up from
    the skull base towards the eyes, forward = left x up. Eyes and skull base are rigid in the head,
    so the axes turn with it."""
    left = _unit(positions[:, _C["leftEye"]] - positions[:, _C["rightEye"]])
    eyes = (positions[:, _C["leftEye"]] + positions[:, _C["rightEye"]]) / 2.0 - positions[:, _C["head"]]
    up = _unit(eyes - np.sum(eyes * left, axis=-1, keepdims=True) * left)
    return up, np.cross(left, up)


def collar_axis(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Midpoint of the collar roots and the unit chest -> midpoint axis (T, 3) each."""
    collars = (positions[:, _C["rCollar"]] + positions[:, _C["lCollar"]]) / 2.0
    return collars, _unit(collars - positions[:, _C["chest"]])


def to_h36m(positions: np.ndarray, names: Sequence[str] = CMU_FULL_JOINT_NAMES) -> np.ndarray:
    """H36M-17 joints (T, 17, 3) from cmu_full positions (T, 25, 3), built as the module docstring says.

    Works on world or root-relative positions alike (every joint is a point moved with the body).
    """
    check_joint_names(names)
    p = np.asarray(positions, dtype=np.float64)
    if p.ndim != 3 or p.shape[1:] != (len(CMU_FULL_JOINT_NAMES), 3) or len(p) == 0:
        raise ValueError(f"positions have shape {p.shape}, expected (T >= 1, 25, 3)")
    leg = leg_length(p)
    out = np.zeros((len(p), H36M_NUM_JOINTS, 3))
    for joint, source in _SOURCES.items():
        out[:, _H36M[joint]] = p[:, _C[source]]
    left, right = p[:, _C["lThigh"]], p[:, _C["rThigh"]]
    pelvis, half = (left + right) / 2.0, (left - right) / 2.0
    spread = HIP_HALF_WIDTH_PER_LEG * leg / float(np.median(np.linalg.norm(half, axis=-1)))
    out[:, _H36M["pelvis"]] = pelvis
    out[:, _H36M["left_hip"]] = pelvis + spread * half
    out[:, _H36M["right_hip"]] = pelvis - spread * half

    collars, axis = collar_axis(p)
    thorax = collars - THORAX_BELOW_COLLARS * leg * axis
    out[:, _H36M["thorax"]] = thorax
    out[:, _H36M["spine"]] = pelvis + SPINE_FRACTION * (thorax - pelvis)

    up, forward = head_frames(p)
    nose, top = (
        p[:, _C["head"]] + leg * (a * up + b * forward) for a, b in (NECK_NOSE_IN_HEAD, HEAD_TOP_IN_HEAD)
    )
    neck = nose - thorax
    out[:, _H36M["neck_nose"]] = thorax + NECK_LENGTH * leg * _unit(neck)
    out[:, _H36M["head"]] = out[:, _H36M["neck_nose"]] + (top - nose)
    return out


@dataclass(frozen=True)
class TakeInfo:
    """One row of the take index: category (``loco/other``, ``sit/squat``, ...), the CMU description and
    whether the root trajectory is right (False for 76 takes whose root sinks or jumps: their
    root-relative poses are right, their world trajectory is not)."""

    take: str
    category: str
    description: str
    root_translation_ok: bool


def find_take_index(path: str | Path) -> Path | None:
    """The :data:`TAKE_INDEX` in the nearest folder above the file ``path`` that has one, or None."""
    return _index_above(Path(path).resolve().parent)


@functools.lru_cache(maxsize=256)
def _index_above(folder: Path) -> Path | None:
    """The index in ``folder`` or its nearest ancestor; cached per folder (a subject's takes share one)."""
    candidate = folder / TAKE_INDEX
    if candidate.is_file():
        return candidate
    return None if folder.parent == folder else _index_above(folder.parent)


@functools.lru_cache(maxsize=4)
def read_take_index(index: Path) -> dict[str, TakeInfo]:
    """take -> :class:`TakeInfo` of an index file; read once per process (loading 2,419 takes asks for
    it 2,419 times). Rows of takes without a file (empty ``npz``) are kept: they do no harm. Raises
    ValueError naming the file when it cannot be read."""
    table: dict[str, TakeInfo] = {}
    try:
        with Path(index).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise ValueError(f"{index}: cannot read the take index: {err}") from err
    for row in rows:
        take = (row.get("take") or "").strip()
        if take:
            table[take] = TakeInfo(
                take=take,
                category=(row.get("category") or "").strip(),
                description=(row.get("description") or "").strip(),
                root_translation_ok=(row.get("root_translation_ok") or "").strip() == "True",
            )
    return table


def take_info(path: str | Path) -> TakeInfo | None:
    """The index row of the take file at ``path`` (by file stem, ``08_01``), None without index or row."""
    index = find_take_index(path)
    return None if index is None else read_take_index(index).get(Path(path).stem)
