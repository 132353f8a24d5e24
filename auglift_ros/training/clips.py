"""Motion clips for temporal lifters: takes at a common frame rate, cut into clips, each seen by one
fixed camera; windows drawn from them for training; every frame of them predicted for evaluation.

Single-frame training draws frames with a new camera each (auglift_ros.training.frames); a temporal
lifter must instead see a person move in front of one camera, so here whole clips are simulated.
Sequence-length comparisons train every length on the same clips, so only the window differs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from auglift_ros.core.features import FeatureCodec
from auglift_ros.core.lifters.temporal import WindowSpec, predict_sequence, stream_sequence
from auglift_ros.runtime.models import LoadedLifter
from auglift_ros.simulation.scene import CameraRanges
from auglift_ros.simulation.simulate import SequenceView, SimulatedClips, interpolate_frames, sequence_view
from auglift_ros.training.frames import MotionLike


def resample(joints: np.ndarray, fps: float, target_fps: float) -> np.ndarray:
    """Joints (T, K, 3) recorded at fps, linearly interpolated to target_fps (same duration)."""
    if not (fps > 0 and target_fps > 0):
        raise ValueError(f"frame rates must be positive, got {fps} and {target_fps}")
    return interpolate_frames(np.asarray(joints, dtype=np.float64), fps / target_fps)


@dataclass
class Clip:
    """A stretch of one take at the common frame rate (world joints, metres, y up)."""

    joints: np.ndarray  # (T, 17, 3)
    take: str
    action: str


def draw_clips(
    takes: Sequence[MotionLike],
    frames: int,
    rng: np.random.Generator,
    *,
    fps: float,
    max_clip_frames: int,
) -> list[Clip]:
    """Clips until `frames` frames are drawn: takes in random order (again and again if needed), each
    a random stretch of at most max_clip_frames at `fps`. Every draw will get its own camera."""
    if not takes:
        raise ValueError("no takes to draw clips from")
    if frames < 1 or max_clip_frames < 1:
        raise ValueError(f"frames and max_clip_frames must be positive, got {frames} and {max_clip_frames}")
    resampled = [resample(t.joints3d, float(getattr(t, "fps", fps)), fps) for t in takes]
    clips: list[Clip] = []
    total = 0
    while total < frames:
        for index in rng.permutation(len(takes)):
            joints = resampled[index]
            length = min(len(joints), max_clip_frames, frames - total)
            start = int(rng.integers(0, len(joints) - length + 1))
            clips.append(Clip(joints[start : start + length], takes[index].name, takes[index].action))
            total += length
            if total >= frames:
                break
    return clips


def clip_views(clips: Sequence[Clip], rng: np.random.Generator, cameras: CameraRanges) -> list[SequenceView]:
    """One fixed camera per clip from `cameras`, keeping the person in view
    (simulation.simulate.sequence_view)."""
    return [
        sequence_view(clip.joints, clip_rng, cameras)
        for clip, clip_rng in zip(clips, rng.spawn(len(clips)), strict=True)
    ]


def clip_actions(clips: Sequence[Clip], lengths: Sequence[int]) -> np.ndarray:
    """Each frame's action label (N,), for clips simulated with `lengths` frames (which differ from
    the clips' own lengths when they were re-timed)."""
    return np.concatenate([[c.action] * int(n) for c, n in zip(clips, lengths, strict=True)]).astype(object)


class WindowSampler:
    """Training windows from simulated clips for one codec and window: features (B, T, K, C) (or
    (B, K, C) for a single-frame lifter) and root-relative targets (B, T_out, K, 3) (or (B, K, 3)).

    Each clip is edge padded by T - 1 frames on both sides, as at evaluation, so every frame of every
    clip is a target once per `samples` draws on average, wherever it lies in its clip. Targets are in
    the frame the codec's lifter predicts in (each frame's own virtual camera for a perspective crop).
    """

    def __init__(self, clips: SimulatedClips, codec: FeatureCodec, spec: WindowSpec) -> None:
        features = clips.frames.features(codec)
        targets = clips.frames.lifter_targets(codec).astype(np.float32)
        pad = spec.frames - 1
        padded_features, padded_targets, first = [], [], []
        offset = 0
        for part in clips.clip_slices():
            feats, targs = features[part], targets[part]
            padded_features.append(_edge_pad(feats, pad))
            padded_targets.append(_edge_pad(targs, pad))
            first.append(offset + pad + np.arange(len(feats)))
            offset += len(feats) + 2 * pad
        self.features = np.concatenate(padded_features)
        self.targets = np.concatenate(padded_targets)
        self.frame_positions = np.concatenate(first)  # where each real frame sits in the padded arrays
        self.spec = spec
        self.single_frame = spec.frames == 1 and spec.family == "simple_baseline"

    def __len__(self) -> int:
        return len(self.frame_positions)

    def epoch(
        self, rng: np.random.Generator, samples: int, batch_size: int
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """`samples` windows (rounded up to whole batches' worth of target frames) in batches."""
        spec = self.spec
        per_window = spec.output_frames
        windows = max(1, -(-samples // per_window))
        positions = self.frame_positions[rng.integers(0, len(self), windows)]
        if spec.target == "all":
            starts = positions - rng.integers(0, spec.frames, windows)
        else:
            starts = positions - (spec.frames - 1 - spec.lookahead)
        span = np.arange(spec.frames)
        out_span = span if spec.target == "all" else np.array([spec.frames - 1 - spec.lookahead])
        for i in range(0, windows, batch_size):
            chosen = starts[i : i + batch_size]
            x = self.features[chosen[:, None] + span]
            y = self.targets[chosen[:, None] + out_span]
            yield (x[:, 0], y[:, 0]) if self.single_frame else (x, y)


def _edge_pad(values: np.ndarray, pad: int) -> np.ndarray:
    return np.concatenate([np.repeat(values[:1], pad, axis=0), values, np.repeat(values[-1:], pad, axis=0)])


def predict_clips(model: LoadedLifter, clips: SimulatedClips, streamed: bool = False) -> np.ndarray:
    """Root-relative joints (N, 17, 3) for every frame of every clip, through ONNX Runtime, each clip
    edge padded as `predict_sequence` does (symmetric models see the future, causal ones do not).
    With streamed, every frame's pose is the one the lifter node would publish (`stream_sequence`)."""
    features = clips.frames.features(model.codec)
    spec = model.window
    run = model.lifter.run if model.lifter.temporal else (lambda w: model.lifter.run(w[:, 0])[:, None])
    lift = stream_sequence if streamed else predict_sequence
    lifted = np.concatenate([lift(run, features[part], spec) for part in clips.clip_slices()])
    return model.codec.decode_pose(lifted, clips.frames.view_rotation(model.codec))
