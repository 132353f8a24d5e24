"""Stable person identities across frames: nearest skeleton by keypoint distance, with a timeout.

A temporal lifter keeps a window of past frames per person, so detections must be linked over time;
the track id is also what the lifter node publishes as `person_id`. Each frame, detections and live
tracks are paired by the Hungarian method on the mean distance of the joints both saw confidently,
divided by the track's box size (so the gate means the same for a near and a far person). A pair
further apart than `max_distance` box sizes is not a match: the detection starts a new track. A
track not seen for `timeout_s` ends, and its id is never reused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

UNMATCHABLE = 1e6


@dataclass
class Track:
    """A person's last detection (pixels, confidence) and when it was seen (ns)."""

    track_id: int
    keypoints: np.ndarray  # (K, 2)
    confidence: np.ndarray  # (K,)
    last_seen_ns: int


@dataclass
class TrackUpdate:
    """Track ids of this frame's detections (P,), and the tracks that ended (timed out) now."""

    ids: np.ndarray
    ended: list[int] = field(default_factory=list)


class KeypointTracker:
    """See the module docstring; `update` once per frame, in stamp order."""

    def __init__(
        self, max_distance: float = 0.5, timeout_s: float = 1.0, min_confidence: float = 0.3
    ) -> None:
        if not max_distance > 0:
            raise ValueError(f"max_distance must be positive (box sizes), got {max_distance}")
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        if not 0.0 <= min_confidence < 1.0:
            raise ValueError(f"min_confidence must be in [0, 1), got {min_confidence}")
        self.max_distance = max_distance
        self.timeout_ns = round(1e9 * timeout_s)
        self.min_confidence = min_confidence
        self.tracks: dict[int, Track] = {}
        self._next_id = 0

    def update(self, keypoints: np.ndarray, confidence: np.ndarray, stamp_ns: int) -> TrackUpdate:
        """Match detections (P, K, 2) px with confidence (P, K) seen at stamp_ns to tracks."""
        keypoints = np.asarray(keypoints, dtype=np.float64)
        confidence = np.asarray(confidence, dtype=np.float64)
        if keypoints.ndim != 3 or confidence.shape != keypoints.shape[:2]:
            raise ValueError(
                "expected keypoints (P, K, 2) and confidence (P, K), "
                f"got {keypoints.shape}, {confidence.shape}"
            )
        ended = [tid for tid, t in self.tracks.items() if stamp_ns - t.last_seen_ns > self.timeout_ns]
        for track_id in ended:
            del self.tracks[track_id]
        live = list(self.tracks.values())
        ids = np.full(len(keypoints), -1, dtype=np.int64)
        if live and len(keypoints):
            cost = np.stack([self._distances(track, keypoints, confidence) for track in live], axis=1)
            rows, cols = linear_sum_assignment(np.where(cost <= self.max_distance, cost, UNMATCHABLE))
            for row, col in zip(rows, cols, strict=True):
                if cost[row, col] <= self.max_distance:
                    ids[row] = live[col].track_id
        for row in np.flatnonzero(ids < 0):
            ids[row] = self._next_id
            self._next_id += 1
        for row, track_id in enumerate(ids):
            self.tracks[int(track_id)] = Track(int(track_id), keypoints[row], confidence[row], stamp_ns)
        return TrackUpdate(ids=ids, ended=ended)

    def _distances(self, track: Track, keypoints: np.ndarray, confidence: np.ndarray) -> np.ndarray:
        """(P,) mean distance over joints confidently seen in both, in the track's box sizes."""
        both = (
            (confidence >= self.min_confidence)
            & (track.confidence >= self.min_confidence)
            & np.isfinite(keypoints).all(axis=-1)
            & np.isfinite(track.keypoints).all(axis=-1)
        )
        gap = np.linalg.norm(np.where(both[..., None], keypoints - track.keypoints, 0.0), axis=-1)
        count = both.sum(axis=1)
        seen = track.keypoints[np.isfinite(track.keypoints).all(axis=-1)]
        size = float((seen.max(axis=0) - seen.min(axis=0)).mean()) if len(seen) else 0.0
        mean_gap = gap.sum(axis=1) / np.maximum(count, 1)
        return np.where((count > 0) & (size > 0), mean_gap / max(size, 1e-9), np.inf)
