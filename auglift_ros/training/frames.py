"""Choosing which mocap frames become simulated camera frames, and splitting takes.

Adjacent mocap frames are nearly identical (24-120 fps), so training and test sets are drawn
uniformly over all frames of the chosen takes, each draw getting its own random camera: a frame drawn
twice is seen from two cameras. A ``balance`` evens out action categories (walking is half of the CMU
database). Takes, not frames, are held out, so no test motion leaks into training.
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
    sequences: Sequence[MotionLike], count: int | None, rng: np.random.Generator, balance: float = 0.0
) -> FrameSelection:
    """`count` frames drawn over all frames of all sequences (all of them, in order, if None).

    ``balance`` 0 draws uniformly over frames, so common motions (walking) dominate. ``balance`` b in
    (0, 1] gives each action category (sequences with an empty action form one) a share of the draws
    proportional to its frame count ** (1 - b), 1 giving every category the same share, so rare
    sitting, floor or acrobatic poses are seen often enough; frames are uniform within a category.
    Shares are rounded to whole frames by largest remainder. Within the whole set (b = 0) or a
    category, draws are without replacement while they fit, with replacement beyond. Poses are made
    root-relative (pelvis at the origin); the scene simulation places them.
    """
    if not sequences:
        raise ValueError("no sequences to draw frames from")
    if not 0.0 <= balance <= 1.0:
        raise ValueError(f"balance must be in [0, 1], got {balance}")
    lengths = np.array([len(s.joints3d) for s in sequences])
    total = int(lengths.sum())
    if total == 0:
        raise ValueError("the sequences hold no frames")
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    if count is None:
        flat = np.arange(total)
    elif count < 1:
        raise ValueError(f"frame count must be positive, got {count}")
    elif balance == 0.0:
        flat = np.sort(rng.choice(total, size=count, replace=count > total))
    else:
        flat = _balanced_draw(sequences, lengths, starts, count, rng, balance)
    seq = np.searchsorted(starts, flat, side="right") - 1
    frame = flat - starts[seq]
    poses = np.stack([sequences[s].joints3d[f] for s, f in zip(seq, frame, strict=True)]).astype(np.float64)
    poses -= poses[:, :1]
    actions = np.array([sequences[s].action for s in seq], dtype=object)
    return FrameSelection(poses=poses, sequence_index=seq, frame_index=frame, actions=actions)


def category_shares(frame_counts: Sequence[int], balance: float) -> np.ndarray:
    """Share of the draws of each category with these frame counts: proportional to count ** (1 - b)."""
    counts = np.asarray(frame_counts, dtype=np.float64)
    weights = np.where(counts > 0, counts ** (1.0 - balance), 0.0)
    return weights / weights.sum()


def _balanced_draw(
    sequences: Sequence[MotionLike],
    lengths: np.ndarray,
    starts: np.ndarray,
    count: int,
    rng: np.random.Generator,
    balance: float,
) -> np.ndarray:
    """Sorted flat frame indices: each category's number of draws from :func:`category_shares`
    (largest remainder rounding), drawn uniformly over that category's frames."""
    actions = np.array([s.action for s in sequences], dtype=object)
    categories = sorted(set(actions.tolist()))
    members = [np.flatnonzero(actions == c) for c in categories]
    frame_counts = [int(lengths[m].sum()) for m in members]
    exact = category_shares(frame_counts, balance) * count
    draws = np.floor(exact).astype(int)
    draws[np.argsort(draws - exact, kind="stable")[: count - int(draws.sum())]] += 1
    chosen = []
    for member, frames, k in zip(members, frame_counts, draws, strict=True):
        if k == 0:
            continue
        local = rng.choice(frames, size=k, replace=k > frames)
        offsets = np.concatenate([[0], np.cumsum(lengths[member])[:-1]])
        which = np.searchsorted(offsets, local, side="right") - 1
        chosen.append(starts[member[which]] + local - offsets[which])
    return np.sort(np.concatenate(chosen))
