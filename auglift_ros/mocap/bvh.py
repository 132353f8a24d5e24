"""BVH motion capture: reader, forward kinematics, and maps of three skeleton families to Human3.6M-17.

Real motion (``../shared/data/mocap``, see its README) comes as BVH files on three skeletons; lifters
train on the 17-joint Human3.6M layout of :mod:`auglift_ros.core.skeleton`. This module reads any BVH
file (:func:`read_bvh`), computes world joint positions (:func:`forward_kinematics`), recognises the
skeleton family from its joint names (:func:`skeleton_family`) and builds H36M-17 joints from it
(:func:`map_to_h36m`); :func:`load_motion` does all of it and returns metres, y up, in H36M order.

BVH conventions used (the de-facto standard, as in Biovision's spec and Blender's importer):

* A joint's world transform is its parent's transform times a translation then a rotation. The
  translation is the joint's OFFSET; position channels *replace* the matching OFFSET component (a
  file's root usually has them). The iClone exports break this for the root: their root position
  channels are *added* to the root OFFSET, hence ``root_position_adds_offset``.
* Rotation channels are Euler angles in degrees, applied as intrinsic rotations in the order listed
  (``Zrotation Xrotation Yrotation`` gives R = Rz @ Rx @ Ry), each joint with its own order.
* Frame values are read in joint declaration order (depth first), each joint's channels in turn.

Skeleton families (all y up; a person facing +z has their left at +x, as in
:mod:`auglift_ros.mocap.generated`: checked on walking trials in ``test/test_bvh.py``):

* ``bandai_namco`` (joint_Root, Hips, Spine, Chest, Neck, Head, Shoulder_L, UpperArm_L, ...; cm, 30
  fps): every joint has 6 channels, but below Hips the position channels equal the joint's OFFSET in
  every frame of all 639 files (they do not move joints), so standard reading is exact. joint_Root is
  static except in 4 files where its Zposition carries the travel. One skeleton for all actors; bones
  lie along local x; Head's End Site has offset 0 (no head top); UpperArm joints only 20.6 cm apart.
* ``cmu`` (Hips, LHipJoint, LeftHip, ..., lowerback, Chest, Chest2, lowerneck, Neck, Head,
  LeftCollar, ...; the cmu131 ``scaled_*`` files are in metres, 120 fps): the ASF skeleton, rest pose
  upright facing +z with world-aligned joint frames; rotation order differs per joint (ZYX for legs
  and spine, ZXY for arms). Both collars start at Chest2, 8 cm below the shoulders.
* ``iclone`` (CC_Base_Hip, CC_Base_Pelvis, CC_Base_L_Thigh, ... 100 Character Creator joints; cm, 60
  fps): the root's position channels are *added* to its OFFSET (replacing would put the feet a metre
  below the floor). The CMU AMC files went through a script that prepends a T-pose frame; trials that
  kept it (here subject 7's trials 3-12) start with a T-pose 2-3 m from where the motion starts, which
  :func:`load_motion` drops (arms horizontal plus a jump to frame 1; the other trials start in motion).

Units are not stored in BVH: :func:`units_to_metres` picks the unit that gives an adult leg length.

H36M joints are built the same way for every family (:func:`map_to_h36m`), aiming at the proportions
of :data:`auglift_ros.mocap.generated.H36M_REST_BONE_LENGTHS` (rigid bones where H36M's are rigid):

* knees, ankles, shoulders, elbows, wrists: the family's joints.
* pelvis = midpoint of the two hip joints. Left/right hip: rigs put the hips at the femoral heads
  (6.5-10 cm from the pelvis centre); H36M (and 2D detectors, which label the hip surface) about
  13 cm out for a 1.75 m adult. The hips are moved apart along the hip-to-hip line until half their
  distance is ``HIP_HALF_WIDTH_PER_LEG`` (= 0.13 / 0.89, H36M's hip / leg ratio) times the file's leg
  length (thigh + shin OFFSETs). The thigh then varies a little with hip abduction.
* thorax: H36M's clavicles pivot at the thorax, at shoulder height. Bandai and iClone clavicle roots
  (Shoulder_L/R, CC_Base_L/R_Clavicle) sit at shoulder height, so the thorax is their midpoint. CMU's
  collars start 8 cm lower, at Chest2, so its thorax is the Neck joint (at shoulder height).
* spine = the point at ``SPINE_FRACTION`` (= 0.23 / 0.48) of the way from the pelvis to the thorax.
* neck_nose and head: no family has a nose and a head top (Bandai's Head End Site sits on the Head
  joint, CMU's ASF head bone is 9 cm long, iClone has eyes but no crown), so both are virtual points
  fixed in the head joint's frame at (up, forward) offsets in leg lengths (:class:`JointMap`), chosen
  so that with the head upright and looking ahead they sit where H36M's rest skeleton has them
  relative to the thorax (neck_nose 0.11 m up and forward, head 0.12 m above that and slightly back,
  times leg length / 0.89 m). CMU's come from its upright rest pose; Bandai's and iClone's (whose zero
  pose is not upright) were fitted as the mean over walking trials (Bandai's 26 "walk ... normal"
  files, iClone subject 7's walks and 6_01). They follow nods and turns; neck_nose is then moved
  along the thorax -> neck_nose line to the median distance, as H36M's neck bone is rigid.

Bone-length variation this leaves (relative std over frames, worst bone of the worst file, all files):
Bandai 4.0% (thigh, from the spread hips in kicks; spine chord in bows), CMU 4.0% (thorax-shoulder:
the collar pivots 9 cm below the Neck), iClone 1.8%. :func:`load_motion` raises above 8%.
"""

from __future__ import annotations

import csv
import functools
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from auglift_ros.core.skeleton import H36M_BONES, H36M_JOINT_NAMES, H36M_NUM_JOINTS


class BvhError(ValueError):
    """A BVH file that cannot be read or mapped; the message names the file and the problem."""


# --------------------------------------------------------------------------------------------------
# Reading


_CHANNEL_NAMES: dict[str, str] = {
    name.lower(): name
    for name in ("Xposition", "Yposition", "Zposition", "Xrotation", "Yrotation", "Zrotation")
}
_AXIS = {"X": 0, "Y": 1, "Z": 2}
_TOKEN = re.compile(r"[{}]|[^\s{}]+")


@dataclass(frozen=True)
class BvhMotion:
    """Skeleton and motion of one BVH file, in the file's units and axes.

    ``channels[j]`` lists joint j's channel names (canonical spelling, e.g. ``"Zrotation"``) in file
    order; ``frames`` holds every frame's values, joint after joint in ``names`` order. End Sites are
    kept apart (``end_site_parents``, ``end_site_offsets``) because they carry no channels.
    """

    names: tuple[str, ...]
    parents: tuple[int, ...]
    offsets: np.ndarray
    channels: tuple[tuple[str, ...], ...]
    frames: np.ndarray
    frame_time: float
    end_site_parents: tuple[int, ...] = ()
    end_site_offsets: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    path: str = ""

    @property
    def num_joints(self) -> int:
        return len(self.names)

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def fps(self) -> float:
        """Frame rate; files print Frame Time with ~6 digits, so a rate within 0.1% of an integer is it."""
        rate = 1.0 / self.frame_time
        return float(round(rate)) if abs(rate - round(rate)) < 1e-3 * rate else rate

    @property
    def end_site_names(self) -> tuple[str, ...]:
        """``<parent>_End`` for each End Site (the order of :func:`forward_kinematics`'s extra rows)."""
        return tuple(f"{self.names[p]}_End" for p in self.end_site_parents)

    def channel_columns(self) -> tuple[int, ...]:
        """Column of ``frames`` where each joint's channels start."""
        starts = np.concatenate([[0], np.cumsum([len(c) for c in self.channels])])
        return tuple(int(s) for s in starts[:-1])


def read_bvh(path: str | Path) -> BvhMotion:
    """Parse a BVH file; raise :class:`BvhError` naming the file and the problem if it is malformed.

    Checked: HIERARCHY structure (braces, OFFSET, CHANNELS count and names), a MOTION section with
    ``Frames:`` and a positive ``Frame Time:``, every frame holding exactly as many numbers as the
    CHANNELS declare, and the number of frames equal to ``Frames:`` (truncated files fail here).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        raise BvhError(f"{path}: cannot read: {err}") from err
    match = re.search(r"^\s*MOTION\s*$", text, flags=re.MULTILINE)
    if match is None:
        raise BvhError(f"{path}: no MOTION section (truncated file or not BVH)")
    names, parents, offsets, channels, end_parents, end_offsets = _parse_hierarchy(
        path, _TOKEN.findall(text[: match.start()])
    )
    frames, frame_time = _parse_motion(path, text[match.end() :], sum(len(c) for c in channels))
    return BvhMotion(
        names=tuple(names),
        parents=tuple(parents),
        offsets=np.array(offsets, dtype=np.float64).reshape(-1, 3),
        channels=tuple(channels),
        frames=frames,
        frame_time=frame_time,
        end_site_parents=tuple(end_parents),
        end_site_offsets=np.array(end_offsets, dtype=np.float64).reshape(-1, 3),
        path=str(path),
    )


def _parse_hierarchy(path: Path, tokens: list[str]) -> tuple[list, list, list, list, list, list]:
    """Recursive-descent parse of the HIERARCHY tokens (braces are tokens of their own)."""
    names: list[str] = []
    parents: list[int] = []
    offsets: list[tuple[float, float, float]] = []
    channels: list[tuple[str, ...]] = []
    end_parents: list[int] = []
    end_offsets: list[tuple[float, float, float]] = []
    pos = 0

    def fail(problem: str) -> BvhError:
        return BvhError(f"{path}: HIERARCHY: {problem}")

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise fail("ends early (a '}' or joint data is missing)")
        pos += 1
        return tokens[pos - 1]

    def expect(word: str, where: str) -> None:
        got = take()
        if got != word:
            raise fail(f"{where}: expected {word!r}, found {got!r}")

    def vector(where: str) -> tuple[float, float, float]:
        values = [take() for _ in range(3)]
        try:
            return (float(values[0]), float(values[1]), float(values[2]))
        except ValueError as err:
            raise fail(f"{where}: OFFSET needs 3 numbers, found {values}") from err

    def joint(parent: int) -> None:
        nonlocal pos
        name = take()
        index = len(names)
        names.append(name)
        parents.append(parent)
        expect("{", name)
        expect("OFFSET", name)
        offsets.append(vector(name))
        joint_channels: tuple[str, ...] = ()
        if pos < len(tokens) and tokens[pos] == "CHANNELS":
            pos += 1
            count_token = take()
            if not count_token.isdigit():
                raise fail(f"{name}: CHANNELS count {count_token!r} is not a non-negative integer")
            raw = [take() for _ in range(int(count_token))]
            for chan in raw:
                if chan.lower() not in _CHANNEL_NAMES:
                    raise fail(f"{name}: unknown channel {chan!r} (expected X/Y/Z position or rotation)")
            joint_channels = tuple(_CHANNEL_NAMES[c.lower()] for c in raw)
        channels.append(joint_channels)
        while True:
            word = take()
            if word == "}":
                return
            if word == "JOINT":
                joint(index)
            elif word == "End":
                expect("Site", f"{name} End Site")
                expect("{", f"{name} End Site")
                expect("OFFSET", f"{name} End Site")
                end_parents.append(index)
                end_offsets.append(vector(f"{name} End Site"))
                expect("}", f"{name} End Site")
            else:
                raise fail(f"{name}: unexpected {word!r} (expected JOINT, End Site or '}}')")

    expect("HIERARCHY", "start of file")
    if pos >= len(tokens):
        raise fail("no ROOT joint")
    while pos < len(tokens):
        expect("ROOT", "top level")
        joint(-1)
    return names, parents, offsets, channels, end_parents, end_offsets


def _parse_motion(path: Path, text: str, num_channels: int) -> tuple[np.ndarray, float]:
    """Frames (T, C) and frame time from the text after the MOTION keyword."""
    lines = [line for line in text.splitlines() if line.strip()]
    frames_match = re.fullmatch(r"\s*Frames:\s*(\d+)\s*", lines[0]) if lines else None
    if frames_match is None:
        raise BvhError(f"{path}: MOTION: missing 'Frames: N' line")
    time_match = re.fullmatch(r"\s*Frame\s+Time:\s*(\S+)\s*", lines[1]) if len(lines) > 1 else None
    if time_match is None:
        raise BvhError(f"{path}: MOTION: missing 'Frame Time: t' line")
    try:
        frame_time = float(time_match.group(1))
    except ValueError as err:
        raise BvhError(f"{path}: MOTION: Frame Time {time_match.group(1)!r} is not a number") from err
    if not frame_time > 0:
        raise BvhError(f"{path}: MOTION: Frame Time must be positive, found {frame_time}")
    declared = int(frames_match.group(1))
    rows = [line.split() for line in lines[2:]]
    for i, row in enumerate(rows):
        if len(row) != num_channels:
            raise BvhError(
                f"{path}: MOTION: frame {i + 1} has {len(row)} values, expected {num_channels} "
                "(the sum of the CHANNELS counts); truncated or corrupt file"
            )
    if len(rows) != declared:
        raise BvhError(f"{path}: MOTION: 'Frames: {declared}' but the file holds {len(rows)} frames")
    try:
        frames = np.array(rows, dtype=np.float64).reshape(len(rows), num_channels)
    except ValueError as err:
        raise BvhError(f"{path}: MOTION: a frame value is not a number ({err})") from err
    if not np.all(np.isfinite(frames)):
        raise BvhError(f"{path}: MOTION: non-finite frame values")
    return frames, frame_time


# --------------------------------------------------------------------------------------------------
# Forward kinematics


def _axis_rotation(axis: int, angle_deg: np.ndarray) -> np.ndarray:
    """(n, 3, 3) right-handed rotations by angle_deg (n,) degrees about coordinate axis 0/1/2."""
    rad = np.deg2rad(angle_deg)
    c, s = np.cos(rad), np.sin(rad)
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    rot = np.zeros((*np.shape(rad), 3, 3))
    rot[..., axis, axis] = 1.0
    rot[..., i, i], rot[..., i, j], rot[..., j, i], rot[..., j, j] = c, -s, s, c
    return rot


def _global_transforms(
    motion: BvhMotion, root_position_adds_offset: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """World positions (T, J, 3) and world rotations (T, J, 3, 3) of every joint, all frames at once."""
    frames = motion.frames
    n = frames.shape[0]
    positions = np.zeros((n, motion.num_joints, 3))
    rotations = np.zeros((n, motion.num_joints, 3, 3))
    columns = motion.channel_columns()
    for j, (parent, chans) in enumerate(zip(motion.parents, motion.channels, strict=True)):
        local_t = np.repeat(motion.offsets[j][None], n, axis=0)
        local_r = np.broadcast_to(np.eye(3), (n, 3, 3))
        for k, chan in enumerate(chans):
            axis = _AXIS[chan[0]]
            values = frames[:, columns[j] + k]
            if chan.endswith("position"):
                if parent < 0 and root_position_adds_offset:
                    local_t[:, axis] += values
                else:
                    local_t[:, axis] = values
            else:
                local_r = local_r @ _axis_rotation(axis, values)  # intrinsic: listed order, right-multiplied
        if parent < 0:
            positions[:, j] = local_t
            rotations[:, j] = local_r
        else:
            positions[:, j] = positions[:, parent] + np.einsum("nab,nb->na", rotations[:, parent], local_t)
            rotations[:, j] = rotations[:, parent] @ local_r
    return positions, rotations


def forward_kinematics(
    motion: BvhMotion, *, root_position_adds_offset: bool = False, include_end_sites: bool = False
) -> np.ndarray:
    """World joint positions (T, J, 3) in file units and axes, vectorised over frames.

    ``root_position_adds_offset``: root position channels are added to the root OFFSET instead of
    replacing it (iClone exports). ``include_end_sites`` appends the End Sites as extra joints
    (T, J + E, 3), named by :attr:`BvhMotion.end_site_names`.
    """
    positions, rotations = _global_transforms(motion, root_position_adds_offset)
    if not include_end_sites or not motion.end_site_parents:
        return positions
    parents = np.array(motion.end_site_parents)
    ends = positions[:, parents] + np.einsum("njab,jb->nja", rotations[:, parents], motion.end_site_offsets)
    return np.concatenate([positions, ends], axis=1)


# --------------------------------------------------------------------------------------------------
# Skeleton families and their maps to H36M-17

HIP_HALF_WIDTH_PER_LEG = 0.13 / 0.89
"""H36M hip bone / (thigh + shin): the hips are spread to this fraction of the leg length."""
SPINE_FRACTION = 0.23 / 0.48
"""H36M spine joint position on the pelvis -> thorax segment (spine bone / (spine + thorax bones))."""

_DIRECT_JOINTS = (
    "right_hip",
    "right_knee",
    "right_ankle",
    "left_hip",
    "left_knee",
    "left_ankle",
    "thorax",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    "right_shoulder",
    "right_elbow",
    "right_wrist",
)


@dataclass(frozen=True)
class JointMap:
    """How one skeleton family becomes H36M-17 (construction in the module docstring).

    ``sources`` gives, for each H36M joint taken from the rig, the source joints it is the mean of
    (one joint, or the two clavicle roots for a thorax; the hips are then spread, see
    :data:`HIP_HALF_WIDTH_PER_LEG`). ``head_joint`` carries the virtual neck_nose and head points, at
    ``neck_nose`` / ``head`` = (up, forward) in leg lengths along the head joint's local ``head_up``
    and ``head_forward`` axes.
    """

    family: str
    sources: dict[str, tuple[str, ...]]
    head_joint: str
    head_up: tuple[float, float, float]
    head_forward: tuple[float, float, float]
    neck_nose: tuple[float, float]
    head: tuple[float, float]
    root_position_adds_offset: bool = False

    @property
    def required_joints(self) -> tuple[str, ...]:
        """Joints a skeleton must have to be of this family (the ones the map reads)."""
        return (*(name for names in self.sources.values() for name in names), self.head_joint)


JOINT_MAPS: dict[str, JointMap] = {
    "bandai_namco": JointMap(
        family="bandai_namco",
        sources={
            "right_hip": ("UpperLeg_R",),
            "right_knee": ("LowerLeg_R",),
            "right_ankle": ("Foot_R",),
            "left_hip": ("UpperLeg_L",),
            "left_knee": ("LowerLeg_L",),
            "left_ankle": ("Foot_L",),
            "thorax": ("Shoulder_L", "Shoulder_R"),  # clavicle roots
            "left_shoulder": ("UpperArm_L",),
            "left_elbow": ("LowerArm_L",),
            "left_wrist": ("Hand_L",),
            "right_shoulder": ("UpperArm_R",),
            "right_elbow": ("LowerArm_R",),
            "right_wrist": ("Hand_R",),
        },
        head_joint="Head",
        head_up=(1.0, 0.0, 0.0),  # Bandai bones run along local x; y is forward, z left
        head_forward=(0.0, 1.0, 0.0),
        neck_nose=(-0.01, 0.06),
        head=(0.105, -0.005),
    ),
    "cmu": JointMap(
        family="cmu",
        sources={
            "right_hip": ("RightHip",),
            "right_knee": ("RightKnee",),
            "right_ankle": ("RightAnkle",),
            "left_hip": ("LeftHip",),
            "left_knee": ("LeftKnee",),
            "left_ankle": ("LeftAnkle",),
            "thorax": ("Neck",),
            "left_shoulder": ("LeftShoulder",),
            "left_elbow": ("LeftElbow",),
            "left_wrist": ("LeftWrist",),
            "right_shoulder": ("RightShoulder",),
            "right_elbow": ("RightElbow",),
            "right_wrist": ("RightWrist",),
        },
        head_joint="Head",
        head_up=(0.0, 1.0, 0.0),  # ASF rest pose: every joint frame is the world frame, facing +z
        head_forward=(0.0, 0.0, 1.0),
        neck_nose=(-0.015, 0.075),
        head=(0.115, 0.035),
    ),
    "iclone": JointMap(
        family="iclone",
        sources={
            "right_hip": ("CC_Base_R_Thigh",),
            "right_knee": ("CC_Base_R_Calf",),
            "right_ankle": ("CC_Base_R_Foot",),
            "left_hip": ("CC_Base_L_Thigh",),
            "left_knee": ("CC_Base_L_Calf",),
            "left_ankle": ("CC_Base_L_Foot",),
            "thorax": ("CC_Base_L_Clavicle", "CC_Base_R_Clavicle"),  # clavicle roots
            "left_shoulder": ("CC_Base_L_Upperarm",),
            "left_elbow": ("CC_Base_L_Forearm",),
            "left_wrist": ("CC_Base_L_Hand",),
            "right_shoulder": ("CC_Base_R_Upperarm",),
            "right_elbow": ("CC_Base_R_Forearm",),
            "right_wrist": ("CC_Base_R_Hand",),
        },
        head_joint="CC_Base_Head",
        head_up=(0.0, 1.0, 0.0),  # Character Creator head frame: x left, y up, z forward
        head_forward=(0.0, 0.0, 1.0),
        neck_nose=(-0.025, 0.08),
        head=(0.085, 0.005),
        root_position_adds_offset=True,
    ),
}
"""Joint map of each known skeleton family, keyed by :func:`skeleton_family`'s answer."""


def skeleton_family(names: Sequence[str]) -> str:
    """Family whose mapped joints all appear in ``names``: "bandai_namco", "cmu" or "iclone".

    Raises ValueError naming the families and a few of the names when none fits, so an unknown rig
    fails at load time rather than producing a wrong skeleton.
    """
    present = set(names)
    for family, joint_map in JOINT_MAPS.items():
        if present.issuperset(joint_map.required_joints):
            return family
    shown = ", ".join(list(names)[:8])
    raise ValueError(
        f"unknown skeleton family: joints ({shown}{', ...' if len(names) > 8 else ''}) match none of "
        f"{', '.join(JOINT_MAPS)}"
    )


def _leg_length(motion: BvhMotion, joint_map: JointMap) -> float:
    """Mean thigh + shin length from the OFFSETs (file units): the body-size scale of the file."""
    total = 0.0
    for side in ("left", "right"):
        for joint in ("knee", "ankle"):
            (name,) = joint_map.sources[f"{side}_{joint}"]
            total += float(np.linalg.norm(motion.offsets[motion.names.index(name)]))
    return total / 2.0


_UNIT_CANDIDATES: dict[str, float] = {"m": 1.0, "cm": 0.01, "inch": 0.0254, "CMU ASF unit": 0.0254 / 0.45}
_ADULT_LEG_M = 0.85


def units_to_metres(motion: BvhMotion, family: str | None = None) -> float:
    """Metres per file unit, detected from the leg length (thigh + shin OFFSETs).

    The candidate unit (m, cm, inch, CMU's ASF unit of 1/0.45 inch) that makes the leg closest to an
    adult's 0.85 m (in log ratio) wins; a leg outside 0.4-1.3 m in every unit raises BvhError. Units
    are not written in BVH files and the families disagree (Bandai and iClone cm, cmu131 scaled m).
    """
    joint_map = JOINT_MAPS[family or skeleton_family(motion.names)]
    leg = _leg_length(motion, joint_map)
    if not leg > 0:
        raise BvhError(f"{motion.path}: zero leg length, cannot detect units")
    scale = min(_UNIT_CANDIDATES.values(), key=lambda s: abs(np.log(leg * s / _ADULT_LEG_M)))
    if not 0.4 <= leg * scale <= 1.3:
        raise BvhError(f"{motion.path}: leg length {leg:g} file units fits no known unit")
    return scale


def map_to_h36m(motion: BvhMotion, family: str | None = None) -> np.ndarray:
    """H36M-17 joints (T, 17, 3) in file units and axes, built as the module docstring describes."""
    family = family or skeleton_family(motion.names)
    if family not in JOINT_MAPS:
        raise ValueError(f"unknown skeleton family {family!r}; known: {', '.join(JOINT_MAPS)}")
    if motion.num_frames == 0:
        raise BvhError(f"{motion.path}: no frames to map")
    joint_map = JOINT_MAPS[family]
    positions, rotations = _global_transforms(motion, joint_map.root_position_adds_offset)
    index = {name: i for i, name in enumerate(motion.names)}
    out = np.zeros((motion.num_frames, H36M_NUM_JOINTS, 3))
    h36m = {name: i for i, name in enumerate(H36M_JOINT_NAMES)}
    for joint in _DIRECT_JOINTS:
        out[:, h36m[joint]] = positions[:, [index[name] for name in joint_map.sources[joint]]].mean(axis=1)
    leg = _leg_length(motion, joint_map)

    left, right = out[:, h36m["left_hip"]].copy(), out[:, h36m["right_hip"]].copy()
    pelvis = (left + right) / 2.0
    half = (left - right) / 2.0
    half_width = float(np.median(np.linalg.norm(half, axis=-1)))
    if not half_width > 0:
        raise BvhError(f"{motion.path}: the two hip joints coincide")
    spread = HIP_HALF_WIDTH_PER_LEG * leg / half_width
    out[:, h36m["pelvis"]] = pelvis
    out[:, h36m["left_hip"]] = pelvis + spread * half
    out[:, h36m["right_hip"]] = pelvis - spread * half
    out[:, h36m["spine"]] = pelvis + SPINE_FRACTION * (out[:, h36m["thorax"]] - pelvis)

    head = index[joint_map.head_joint]
    up, forward = np.array(joint_map.head_up), np.array(joint_map.head_forward)
    nose, top = (
        positions[:, head] + rotations[:, head] @ (leg * (a * up + b * forward))
        for a, b in (joint_map.neck_nose, joint_map.head)
    )
    # H36M's thorax -> neck/nose bone is rigid; keep the direction, fix the length at its median.
    thorax = out[:, h36m["thorax"]]
    neck = nose - thorax
    distance = np.linalg.norm(neck, axis=-1, keepdims=True)
    out[:, h36m["neck_nose"]] = thorax + neck * (np.median(distance) / distance)
    out[:, h36m["head"]] = out[:, h36m["neck_nose"]] + (top - nose)
    return out


# --------------------------------------------------------------------------------------------------
# Loading motions


def bone_length_variation(joints3d: np.ndarray) -> np.ndarray:
    """Relative standard deviation over frames of each H36M bone's length (16,), in H36M_BONES order.

    A rigid skeleton gives 0 and the constructed joints (spread hips, chord spine) a few percent;
    position channels that move joints, a wrong joint map or a broken capture give far more.
    """
    joints3d = np.asarray(joints3d, dtype=np.float64)
    parents = [p for p, _ in H36M_BONES]
    children = [c for _, c in H36M_BONES]
    lengths = np.linalg.norm(joints3d[:, children] - joints3d[:, parents], axis=-1)
    return lengths.std(axis=0) / lengths.mean(axis=0)


@dataclass(frozen=True)
class Motion:
    """A mocap trial as H36M-17: ``joints3d`` (T, 17, 3) world positions, metres, y up, H36M order.

    ``action`` is the content label (Bandai "bow", CMU "walk on uneven terrain"), ``style`` Bandai's
    acting style ("active"; "" elsewhere), ``source`` the skeleton family, ``name`` the file stem,
    ``dropped_frames`` how many leading frames were dropped (a converter's T-pose).
    """

    joints3d: np.ndarray
    fps: float
    action: str
    source: str
    name: str
    style: str = ""
    dropped_frames: int = 0


_H36M = {name: i for i, name in enumerate(H36M_JOINT_NAMES)}


def _leading_tpose(joints3d: np.ndarray) -> bool:
    """True if frame 0 is a T-pose (both arms within 15 deg of horizontal) that jumps to frame 1.

    The jump (some joint moving > 10 cm and > 5x the median frame-to-frame motion) tells a converter's
    prepended reference pose from a motion that merely starts with the arms out.
    """
    if joints3d.shape[0] < 3:
        return False
    frame = joints3d[0]
    for side in ("left", "right"):
        arm = frame[_H36M[f"{side}_wrist"]] - frame[_H36M[f"{side}_shoulder"]]
        if abs(arm[1]) > np.sin(np.deg2rad(15.0)) * np.linalg.norm(arm):
            return False
    steps = np.linalg.norm(np.diff(joints3d, axis=0), axis=-1).max(axis=1)
    return bool(steps[0] > 0.1 and steps[0] > 5.0 * np.median(steps[1:]))


def _find_descriptions(path: Path) -> Path | None:
    """The CMU listing next to the trial's folder (cmu/iclone_descriptions.csv for cmu/iclone_002/)."""
    for folder in (path.parent, path.parent.parent):
        candidate = folder / "iclone_descriptions.csv"
        if candidate.is_file():
            return candidate
    return None


@functools.lru_cache(maxsize=4)
def _read_descriptions(listing: Path) -> dict[tuple[int, int], str]:
    """(subject, trial) -> Motion Description of the CMU listing; read once per loader process."""
    table: dict[tuple[int, int], str] = {}
    with listing.open(newline="", encoding="utf-8", errors="replace") as handle:
        for row in csv.DictReader(handle):
            try:
                key = (int(row.get("Subject") or ""), int(row.get("Trial #") or ""))
            except ValueError:
                continue
            table[key] = (row.get("Motion Description") or "").strip()
    return table


_CMU131_ACTIONS = {1: "Start Walk Stop", 2: "Start Walk Stop", 3: "Start Hop Stop", 4: "Start Hop Stop"}
"""CMU subject 131 trials (the mocap.cs.cmu.edu listing), used when iclone_descriptions.csv is absent."""


def _labels(path: Path, family: str) -> tuple[str, str]:
    """(action, style) from the file name and, for CMU trials, the CMU description listing."""
    stem = path.stem
    if family == "bandai_namco":
        match = re.fullmatch(r"dataset-\d+_(.+)_([^_]+)_\d+", stem)
        return (match.group(1), match.group(2)) if match else (stem, "")
    match = re.search(r"(\d+)_(\d+)$", stem)
    if match is None:
        return stem, ""
    subject, trial = int(match.group(1)), int(match.group(2))
    listing = _find_descriptions(path)
    description = _read_descriptions(listing).get((subject, trial)) if listing is not None else None
    if description:
        return description, ""
    if subject == 131 and trial in _CMU131_ACTIONS:
        return _CMU131_ACTIONS[trial], ""
    return f"{subject:03d}_{trial:02d}", ""


def load_motion(
    path: str | Path, *, max_bone_variation: float | None = 0.08, drop_tpose: bool = True
) -> Motion:
    """Read a BVH file of a known family as H36M-17 joints in metres, y up (see :class:`Motion`).

    Drops a leading converter T-pose (``drop_tpose``), then checks that every bone's length varies by
    at most ``max_bone_variation`` (relative std over frames; None skips the check) and raises
    :class:`BvhError` otherwise: the real data stay under 4.1% (module docstring), while position
    channels that move joints, a mis-mapped joint or a broken capture give far more. Warns if the
    trunk is not mostly along +y (a file with another up axis).
    """
    path = Path(path)
    motion = read_bvh(path)
    try:
        family = skeleton_family(motion.names)
    except ValueError as err:
        raise BvhError(f"{path}: {err}") from err
    joints3d = map_to_h36m(motion, family) * units_to_metres(motion, family)
    dropped = 0
    if drop_tpose and _leading_tpose(joints3d):
        joints3d, dropped = joints3d[1:], 1
    if max_bone_variation is not None:
        variation = bone_length_variation(joints3d)
        worst = int(np.argmax(variation))
        if variation[worst] > max_bone_variation:
            parent, child = H36M_BONES[worst]
            raise BvhError(
                f"{path}: bone {H36M_JOINT_NAMES[parent]}-{H36M_JOINT_NAMES[child]} length varies by "
                f"{variation[worst]:.1%} (relative std) > {max_bone_variation:.1%}"
            )
    trunk = joints3d[:, _H36M["thorax"]] - joints3d[:, _H36M["pelvis"]]
    if np.median(trunk[:, 1] / np.linalg.norm(trunk, axis=-1)) < 0.5:
        warnings.warn(f"{path}: the trunk is mostly not along +y: is the file y up?", stacklevel=2)
    action, style = _labels(path, family)
    return Motion(
        joints3d=joints3d,
        fps=motion.fps,
        action=action,
        source=family,
        name=path.stem,
        style=style,
        dropped_frames=dropped,
    )
