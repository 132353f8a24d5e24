"""Feature windows for temporal lifters: which frames a model sees and which frames it predicts.

A temporal lifter maps a window (B, T, K, C) of per-frame features to (B, T_out, K, 3) poses. Its
`WindowSpec` says how the window lines up with time: `centre` predicts the middle frame (symmetric,
needs T // 2 frames of look-ahead: offline only), `last` predicts the newest frame (causal: what a
live node can run), `all` predicts every frame of the window (sequence to sequence, MotionBERT).

Sequence ends are padded by repeating the first or last frame (VideoPose3D's edge padding), both
offline (`windows_for_sequence`, `predict_sequence`) and live (`PersonWindows`: a new person's ring
buffer starts full of its first frame), so a causal model gives the same pose for a frame whether it
runs on a recording or on a stream. A sequence-to-sequence model is the exception: offline it lifts
whole chunks, so a frame's pose also sees the rest of its chunk; live it has only the frames up to
the newest, and `stream_sequence` scores it that way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable
from dataclasses import asdict, dataclass

import numpy as np

TARGETS = ("centre", "last", "all")
TEMPORAL_METADATA_KEY = "auglift.temporal"
"""ONNX metadata key of a temporal lifter's `WindowSpec` (JSON); absent on single-frame lifters."""


@dataclass(frozen=True)
class WindowSpec:
    """Window length in frames, the frames it predicts, and the family that made it (for cards)."""

    frames: int = 1
    target: str = "last"
    family: str = "simple_baseline"

    def __post_init__(self) -> None:
        if isinstance(self.frames, bool) or not isinstance(self.frames, int) or self.frames < 1:
            raise ValueError(f"window frames must be a positive int, got {self.frames!r}")
        if self.target not in TARGETS:
            raise ValueError(f"window target must be one of {TARGETS}, got {self.target!r}")
        if self.target == "centre" and self.frames % 2 == 0:
            raise ValueError(f"a centre-target window needs an odd length, got {self.frames}")

    @property
    def output_frames(self) -> int:
        return self.frames if self.target == "all" else 1

    @property
    def causal(self) -> bool:
        """Whether the newest frame's pose needs no later frame (a node can run it live)."""
        return self.target in ("last", "all")

    @property
    def lookahead(self) -> int:
        """Frames after the predicted one that the window holds."""
        return self.frames // 2 if self.target == "centre" else 0

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> WindowSpec:
        values = json.loads(text)
        if not isinstance(values, dict):
            raise ValueError(f"expected a JSON object, got {text!r}")
        return cls(**values)


def windows_for_sequence(features: np.ndarray, spec: WindowSpec) -> tuple[np.ndarray, np.ndarray]:
    """The windows a model needs to predict every frame of one sequence (T, K, C), edge padded.

    Returns (windows (N, frames, K, C), frame index (N, output_frames)) where the index says which
    sequence frame each output is (-1: a padding frame past the end, for `all` chunks).
    """
    features = np.asarray(features)
    count = len(features)
    if count == 0:
        raise ValueError("cannot window an empty sequence")
    length = spec.frames
    if spec.target == "all":
        chunks = -(-count // length)
        padded = np.concatenate([features, np.repeat(features[-1:], chunks * length - count, axis=0)])
        frame_index = np.arange(chunks * length).reshape(chunks, length)
        return padded.reshape(chunks, length, *features.shape[1:]), np.where(
            frame_index < count, frame_index, -1
        )
    before = length - 1 - spec.lookahead
    padded = np.concatenate(
        [np.repeat(features[:1], before, axis=0), features, np.repeat(features[-1:], spec.lookahead, axis=0)]
    )
    starts = np.arange(count)
    windows = padded[starts[:, None] + np.arange(length)]
    return windows, starts[:, None]


def predict_sequence(
    run: Callable[[np.ndarray], np.ndarray], features: np.ndarray, spec: WindowSpec, batch_frames: int = 4096
) -> np.ndarray:
    """Poses (T, K, 3) for every frame of a sequence's features (T, K, C) from run(windows) -> outputs.

    Each run call gets at most batch_frames input frames (at least one window): a transformer's
    attention memory grows with windows x frames^2, and 256 windows of 243 frames ran out of memory."""
    windows, frame_index = windows_for_sequence(features, spec)
    batch = max(1, batch_frames // spec.frames)
    outputs = np.concatenate([run(windows[i : i + batch]) for i in range(0, len(windows), batch)])
    outputs = outputs.reshape(len(windows), spec.output_frames, *outputs.shape[-2:])
    poses = np.empty((len(features), *outputs.shape[-2:]), dtype=outputs.dtype)
    keep = frame_index >= 0
    poses[frame_index[keep]] = outputs[keep]
    return poses


def stream_sequence(
    run: Callable[[np.ndarray], np.ndarray], features: np.ndarray, spec: WindowSpec, batch_frames: int = 4096
) -> np.ndarray:
    """Poses (T, K, 3) as a live node publishes them: each frame's from the window ending at it (edge
    padded as `PersonWindows` pads), the window's last output; run(windows) -> (N, output_frames, K, 3).

    The same as `predict_sequence` for target `last`; for `all` it is what the node gets from a
    sequence-to-sequence model, which offline evaluation would score with look-ahead inside a chunk.
    """
    if not spec.causal:
        raise ValueError(f"a {spec.frames}-frame window predicting its centre cannot be streamed")
    newest = WindowSpec(spec.frames, "last", spec.family)
    return predict_sequence(lambda windows: run(windows)[:, -1:], features, newest, batch_frames)


class PersonWindows:
    """One ring buffer of feature frames per tracked person, for a causal lifter running live.

    `push` appends each person's newest features and returns their windows; a person seen for the
    first time gets a buffer filled with copies of that frame (the offline edge padding). `forget`
    drops persons whose track has ended.
    """

    def __init__(self, spec: WindowSpec) -> None:
        if not spec.causal:
            raise ValueError(
                f"a {spec.frames}-frame {spec.family} window predicting its centre frame needs "
                f"{spec.lookahead} frames of look-ahead; a live node needs a causal model "
                "(target 'last' or 'all')"
            )
        self.spec = spec
        self._buffers: dict[Hashable, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self._buffers)

    def push(self, person_ids: Iterable[Hashable], features: np.ndarray) -> np.ndarray:
        """Windows (P, frames, K, C), newest frame last, after adding features (P, K, C) per person."""
        ids = list(person_ids)
        features = np.asarray(features, dtype=np.float32)
        if len(ids) != len(features) or len(set(ids)) != len(ids):
            raise ValueError(f"expected {len(features)} distinct person ids, got {ids}")
        windows = np.empty((len(ids), self.spec.frames, *features.shape[1:]), dtype=np.float32)
        for row, (person, frame) in enumerate(zip(ids, features, strict=True)):
            buffer = self._buffers.get(person)
            if buffer is None:
                buffer = np.repeat(frame[None], self.spec.frames, axis=0)
            else:
                buffer = np.concatenate([buffer[1:], frame[None]])
            self._buffers[person] = buffer
            windows[row] = buffer
        return windows

    def forget(self, person_ids: Iterable[Hashable]) -> None:
        for person in person_ids:
            self._buffers.pop(person, None)
