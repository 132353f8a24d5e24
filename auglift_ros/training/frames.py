"""Choosing which mocap frames become simulated camera frames, and splitting takes.

Adjacent mocap frames are nearly identical (30-120 fps), so training and test sets are drawn
uniformly over all frames of the chosen takes, each draw getting its own random camera: a frame drawn
twice is seen from two cameras. Takes, not frames, are held out, so no test motion leaks into training.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np


class MotionLike(Protocol):
    """What frame selection needs from a sequence (BVH motion, dataset sequence, ...)."""

    joints3d: np.ndarray  # (T, 17, 3) metres, y up
    name: str
    action: str


T = TypeVar("T", bound=MotionLike)


@dataclass
class FrameSelection:
    """Poses drawn from sequences, with where each came from."""

    poses: np.ndarray  # (N, 17, 3) metres, root-relative, y up
    sequence_index: np.ndarray  # (N,) index into the sequence list
    frame_index: np.ndarray  # (N,) frame within that sequence
    actions: np.ndarray  # (N,) str, the sequence's action


def split_takes(sequences: Sequence[T], hold_out_every: int) -> tuple[list[T], list[T]]:
    """(train, held_out): after sorting by name, every `hold_out_every`-th take is held out.

    Deterministic and independent of the seed, so every seed and every feature set sees the same
    split; 0 holds nothing out.
    """
    if hold_out_every < 0 or hold_out_every == 1:
        raise ValueError(f"hold_out_every must be 0 (keep all) or at least 2, got {hold_out_every}")
    ordered = sorted(sequences, key=lambda s: s.name)
    if hold_out_every == 0:
        return ordered, []
    held = [s for i, s in enumerate(ordered) if i % hold_out_every == hold_out_every - 1]
    kept = [s for i, s in enumerate(ordered) if i % hold_out_every != hold_out_every - 1]
    return kept, held


def select_frames(
    sequences: Sequence[MotionLike], count: int | None, rng: np.random.Generator
) -> FrameSelection:
    """`count` frames drawn uniformly over all frames of all sequences (all of them, in order, if None).

    Without replacement while `count` does not exceed the number of frames, with replacement beyond.
    Poses are made root-relative (pelvis at the origin); the scene simulation places them.
    """
    if not sequences:
        raise ValueError("no sequences to draw frames from")
    lengths = np.array([len(s.joints3d) for s in sequences])
    total = int(lengths.sum())
    if total == 0:
        raise ValueError("the sequences hold no frames")
    if count is None:
        flat = np.arange(total)
    elif count < 1:
        raise ValueError(f"frame count must be positive, got {count}")
    else:
        flat = np.sort(rng.choice(total, size=count, replace=count > total))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    seq = np.searchsorted(starts, flat, side="right") - 1
    frame = flat - starts[seq]
    poses = np.stack([sequences[s].joints3d[f] for s, f in zip(seq, frame, strict=True)]).astype(np.float64)
    poses -= poses[:, :1]
    actions = np.array([sequences[s].action for s in seq], dtype=object)
    return FrameSelection(poses=poses, sequence_index=seq, frame_index=frame, actions=actions)
