"""Body proportions of H36M-17 skeletons, to check that every mocap family defines the joints alike.

A lifter trained on several skeleton families learns one body only if the families agree on where
the constructed joints (pelvis, spine, thorax, neck_nose, head) sit. :func:`body_proportions` measures
bone lengths and offsets in leg lengths (thigh + shin), so body size drops out, as medians over
frames; ``python -m auglift_ros.mocap.proportions`` prints the table of ``docs/datasets.md`` for the
families under ``../shared/data/mocap`` and the Human3.6M-like rest skeleton of
:mod:`auglift_ros.mocap.generated`.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from auglift_ros.core.skeleton import H36M_JOINT_NAMES
from auglift_ros.mocap import cmu_full
from auglift_ros.mocap.cmu_full import (
    CMU_FULL_JOINT_NAMES,
    H36M_REST_IN_LEGS,
    TAKE_INDEX,
    TakeInfo,
    read_take_index,
)
from auglift_ros.mocap.datasets import PoseSequence, load_sequences
from auglift_ros.mocap.generated import forward_kinematics

_J = {name: i for i, name in enumerate(H36M_JOINT_NAMES)}


def _distance(joints: np.ndarray, a: str, b: str) -> np.ndarray:
    return np.linalg.norm(joints[:, _J[a]] - joints[:, _J[b]], axis=-1)


def _sides(joints: np.ndarray, a: str, b: str) -> np.ndarray:
    """Mean of the left and right a -> b distances (T,), e.g. the thigh for ("hip", "knee")."""
    return (_distance(joints, f"left_{a}", f"left_{b}") + _distance(joints, f"right_{a}", f"right_{b}")) / 2.0


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def trunk_axes(pelvis: np.ndarray, thorax: np.ndarray, across: np.ndarray) -> np.ndarray:
    """(T, 3, 3) rows (left, up, forward) of each frame's trunk: up from pelvis to thorax, left along
    ``across`` (a right-to-left vector) made square to up, forward = left x up (+z facing +z)."""
    up = _unit(thorax - pelvis)
    left = _unit(across - np.sum(across * up, axis=-1, keepdims=True) * up)
    return np.stack([left, up, np.cross(left, up)], axis=1)


def trunk_frames(joints: np.ndarray) -> np.ndarray:
    """:func:`trunk_axes` of H36M joints (T, 17, 3), left from the right hip and shoulder to the left."""
    across = (joints[:, _J["left_hip"]] - joints[:, _J["right_hip"]]) + (
        joints[:, _J["left_shoulder"]] - joints[:, _J["right_shoulder"]]
    )
    return trunk_axes(joints[:, _J["pelvis"]], joints[:, _J["thorax"]], across)


def _in_trunk(joints: np.ndarray, a: str, b: str, axis: int) -> np.ndarray:
    """Component along trunk axis (0 left, 1 up, 2 forward) of the vector from joint a to joint b."""
    return np.einsum("tk,tk->t", trunk_frames(joints)[:, axis], joints[:, _J[b]] - joints[:, _J[a]])


def _shoulder_drop(joints: np.ndarray) -> np.ndarray:
    middle = (joints[:, _J["left_shoulder"]] + joints[:, _J["right_shoulder"]]) / 2.0
    return np.einsum("tk,tk->t", trunk_frames(joints)[:, 1], joints[:, _J["thorax"]] - middle)


MEASURES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "thigh": lambda j: _sides(j, "hip", "knee"),
    "hip width": lambda j: _distance(j, "left_hip", "right_hip"),
    "pelvis -> spine": lambda j: _distance(j, "pelvis", "spine"),
    "pelvis -> thorax": lambda j: _distance(j, "pelvis", "thorax"),
    "thorax above shoulder line": _shoulder_drop,
    "shoulder width": lambda j: _distance(j, "left_shoulder", "right_shoulder"),
    "upper arm": lambda j: _sides(j, "shoulder", "elbow"),
    "forearm": lambda j: _sides(j, "elbow", "wrist"),
    "thorax -> neck_nose": lambda j: _distance(j, "thorax", "neck_nose"),
    "thorax -> neck_nose, forward": lambda j: _in_trunk(j, "thorax", "neck_nose", 2),
    "neck_nose -> head": lambda j: _distance(j, "neck_nose", "head"),
    "neck_nose -> head, forward": lambda j: _in_trunk(j, "neck_nose", "head", 2),
}
"""Each measure per frame in metres; :func:`body_proportions` divides it by that frame's leg length.
"Forward" is along the trunk's forward axis (:func:`trunk_frames`), so it follows nods and bows."""


def leg_lengths(joints: np.ndarray) -> np.ndarray:
    """(T,) thigh + shin per frame, mean of the two sides: the body-size unit of the measures."""
    return _sides(joints, "hip", "knee") + _sides(joints, "knee", "ankle")


def body_proportions(joints3d: np.ndarray) -> dict[str, float]:
    """Median over frames of every :data:`MEASURES` entry in leg lengths, plus ``leg (m)``."""
    joints = np.asarray(joints3d, dtype=np.float64)
    leg = leg_lengths(joints)
    table = {"leg (m)": float(np.median(leg))}
    table.update({name: float(np.median(measure(joints) / leg)) for name, measure in MEASURES.items()})
    return table


def rest_skeleton() -> np.ndarray:
    """(1, 17, 3) the rest pose of :mod:`auglift_ros.mocap.generated` (upright, arms hanging)."""
    return forward_kinematics(np.broadcast_to(np.eye(3), (1, len(H36M_JOINT_NAMES), 3, 3)).copy(), np.ones(1))


def walking_takes(index: dict[str, TakeInfo]) -> set[str]:
    """cmu_full takes of category ``loco/other`` whose description says walk: the upright frames the
    construction's constants are fitted on (:func:`fit_cmu_full`)."""
    return {t.take for t in index.values() if t.category == "loco/other" and "walk" in t.description.lower()}


def _families(root: Path) -> tuple[dict[str, np.ndarray], dict[str, int], list[PoseSequence], float]:
    """Frames and takes of each family under the mocap root, cmu_full's sequences and load time (s)."""
    groups: dict[str, list[np.ndarray]] = {}
    for folder in ("bandai_namco", "cmu"):
        for seq in load_sequences(root / folder):
            groups.setdefault(seq.source, []).append(seq.joints3d)
    start = time.perf_counter()
    full = load_sequences(root / "cmu_full")
    seconds = time.perf_counter() - start
    walking = walking_takes(read_take_index(root / "cmu_full" / TAKE_INDEX))
    groups["cmu_full"] = [seq.joints3d for seq in full]
    groups["cmu_full walk"] = [seq.joints3d for seq in full if seq.name.split("/")[-1] in walking]
    return (
        {name: np.concatenate(frames) for name, frames in groups.items()},
        {name: len(frames) for name, frames in groups.items()},
        full,
        seconds,
    )


@dataclass(frozen=True)
class CmuFullFit:
    """The constants of :mod:`auglift_ros.mocap.cmu_full`'s construction, as :func:`fit_cmu_full` finds
    them (``THORAX_BELOW_COLLARS``, ``NECK_NOSE_IN_HEAD``, ``HEAD_TOP_IN_HEAD``)."""

    thorax_below_collars: float
    neck_nose_in_head: tuple[float, float]
    head_top_in_head: tuple[float, float]


def fit_cmu_full(positions: np.ndarray) -> CmuFullFit:
    """Fit cmu_full's constants on upright frames (T, 25, 3) (its walking takes).

    The thorax: the median height of the collar roots above the shoulder line, along the chest axis.
    neck_nose and head top: where Human3.6M's rest skeleton puts them relative to that thorax in the
    trunk frame (upright trunk, head looking ahead), averaged in the head frame
    (:func:`~auglift_ros.mocap.cmu_full.head_frames`); the head bone keeps its rest length, because
    the mean of a turning vector is shorter than the vector.
    """
    p = np.asarray(positions, dtype=np.float64)
    c = {name: i for i, name in enumerate(CMU_FULL_JOINT_NAMES)}
    leg = cmu_full.leg_length(p)
    collars, axis = cmu_full.collar_axis(p)
    shoulders = (p[:, c["rShldr"]] + p[:, c["lShldr"]]) / 2.0
    drop = float(np.median(np.sum((collars - shoulders) * axis, axis=-1))) / leg
    thorax = collars - drop * leg * axis
    across = p[:, c["lThigh"]] - p[:, c["rThigh"]] + p[:, c["lShldr"]] - p[:, c["rShldr"]]
    trunk = trunk_axes((p[:, c["lThigh"]] + p[:, c["rThigh"]]) / 2.0, thorax, across)
    rest_nose, rest_head = (H36M_REST_IN_LEGS[_J[joint] - 1] for joint in ("neck_nose", "head"))
    nose = thorax + leg * rest_nose @ trunk
    up, forward = cmu_full.head_frames(p)

    def in_head(vectors: np.ndarray) -> np.ndarray:
        return np.array([np.mean(np.sum(vectors * up, -1)), np.mean(np.sum(vectors * forward, -1))]) / leg

    nose_offset = in_head(nose - p[:, c["head"]])
    bone = in_head(leg * rest_head @ trunk)
    top_offset = nose_offset + bone * (np.linalg.norm(rest_head) / np.linalg.norm(bone))
    return CmuFullFit(drop, tuple(nose_offset.tolist()), tuple(top_offset.tolist()))


def walking_positions(folder: Path) -> np.ndarray:
    """Root-relative positions (T, 25, 3) of the walking takes (:func:`walking_takes`) of a cmu_full
    folder: upright frames with the head looking ahead, to fit and compare constructions on."""
    walking = walking_takes(read_take_index(folder / TAKE_INDEX))
    positions = []
    for path in sorted(folder.glob("*/*.npz")):
        if path.stem in walking:
            with np.load(path, allow_pickle=False) as data:
                positions.append(data["rel"].astype(np.float64))
    return np.concatenate(positions)


ALTERNATIVE_ROWS = (
    "pelvis -> thorax",
    "thorax above shoulder line",
    "thorax -> neck_nose",
    "thorax -> neck_nose, forward",
    "neck_nose -> head",
    "neck_nose -> head, forward",
)
"""The measures a choice of cmu_full's thorax, neck_nose and head changes."""


def cmu_full_alternatives(positions: np.ndarray) -> dict[str, dict[str, float]]:
    """:func:`body_proportions` of cmu_full frames (T, 25, 3) built as chosen, and with the rig's own
    joints in place of the constructed ones, to show what the choice changes."""
    p = np.asarray(positions, dtype=np.float64)
    c = {name: i for i, name in enumerate(CMU_FULL_JOINT_NAMES)}
    chosen = cmu_full.to_h36m(p)

    def mean(*names: str) -> np.ndarray:
        return p[:, [c[name] for name in names]].mean(axis=1)

    def variant(**joints: np.ndarray) -> np.ndarray:
        joints3d = chosen.copy()
        for name, values in joints.items():
            joints3d[:, _J[name]] = values
        return joints3d

    return {
        name: body_proportions(joints)
        for name, joints in {
            "chosen": chosen,
            "thorax = neck joint": variant(thorax=mean("neck")),
            "thorax = collar roots": variant(thorax=mean("rCollar", "lCollar")),
            "thorax = shoulder midpoint": variant(thorax=mean("rShldr", "lShldr")),
            "neck_nose = skull base, head = eyes": variant(
                neck_nose=mean("head"), head=mean("leftEye", "rightEye")
            ),
        }.items()
    }


def category_table(sequences: Sequence[PoseSequence]) -> str:
    """Takes, frames and share of frames per action category (largest first), as markdown."""
    takes: Counter[str] = Counter(seq.action for seq in sequences)
    frames: Counter[str] = Counter()
    for seq in sequences:
        frames[seq.action] += seq.num_frames
    total = sum(frames.values())
    lines = ["| category | takes | frames | share of frames |", "|---|---|---|---|"]
    lines += [
        f"| {a or '(none)'} | {takes[a]} | {n} | {100 * n / total:.1f}% |" for a, n in frames.most_common()
    ]
    return "\n".join(lines)


def markdown_table(columns: dict[str, dict[str, float]], takes: dict[str, int] | None = None) -> str:
    """One row per measure, one column per family (leg in metres, the rest in leg lengths)."""
    names = list(columns)
    header = "| measure | " + " | ".join(names) + " |"
    lines = [header, "|---" * (len(names) + 1) + "|"]
    if takes:
        lines.append("| takes | " + " | ".join(str(takes.get(name, "")) for name in names) + " |")
    for measure in next(iter(columns.values())):
        cells = " | ".join(f"{columns[name][measure]:.3f}" for name in names)
        lines.append(f"| {measure} | {cells} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Print the proportions table of every family under ``--root`` and how long cmu_full took to load."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--root", type=Path, default=Path("../shared/data/mocap"), help="mocap folder")
    args = parser.parse_args(argv)
    frames, takes, full, seconds = _families(args.root)
    columns = {"H36M rest": body_proportions(rest_skeleton())}
    columns.update({name: body_proportions(joints) for name, joints in frames.items()})
    print(markdown_table(columns, takes))
    walking = walking_positions(args.root / "cmu_full")
    alternatives = cmu_full_alternatives(walking)
    print("\ncmu_full walking takes, built as chosen and with the rig's own joints instead:\n")
    print(markdown_table({n: {r: a[r] for r in ALTERNATIVE_ROWS} for n, a in alternatives.items()}))
    fit = fit_cmu_full(walking)
    print(
        "\ncmu_full constants fitted on its walking takes: "
        f"THORAX_BELOW_COLLARS {fit.thorax_below_collars:.3f}, "
        f"NECK_NOSE_IN_HEAD ({fit.neck_nose_in_head[0]:.3f}, {fit.neck_nose_in_head[1]:.3f}), "
        f"HEAD_TOP_IN_HEAD ({fit.head_top_in_head[0]:.3f}, {fit.head_top_in_head[1]:.3f})"
    )
    print(f"\nload_sequences('{args.root / 'cmu_full'}'): {len(full)} takes in {seconds:.1f} s\n")
    print(category_table(full))


if __name__ == "__main__":
    main()
