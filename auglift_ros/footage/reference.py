"""A 3D reference for monocular lifting: 2D detections in several calibrated views, triangulated.

Per view, a 2D detector (MediaPipe by default) finds the most confident person in every frame; the
keypoints are undistorted and triangulated with confidence weights (:mod:`auglift_ros.core.triangulation`).
Two faults of real multi-view footage are repaired first, each measured on the pose2sim demo:

- left/right swaps: a detector seeing a person from behind or side-on often labels the left limb as
  the right one, confidently. A (left, right) joint pair in one view is swapped back when, against the
  point triangulated from the other views, the swapped labels reproject at less than half the error
  of the detected ones (pose2sim demo: 172 of 2400 pairs, 168 of them in cam02's frames 41-81);
- start offsets: videos with equal frame counts can still start at different instants. Each view's
  whole-frame offset is chosen to minimise the median reprojection error (pose2sim demo: cam03, 5 frames).

Reference frame i is frame i of ``reference_view`` (the camera whose video is lifted); the other views
contribute their frame ``i + offset``. Coordinates are those of the calibration (metres);
:func:`joints_in_camera` moves them into one camera's optical frame for comparison with a lifter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from auglift_ros.core.skeleton import H36M_JOINT_NAMES, H36M_LEFT_RIGHT_PAIRS, H36M_NUM_JOINTS
from auglift_ros.core.triangulation import (
    DEFAULT_MIN_CONFIDENCE,
    project_points,
    reprojection_errors,
    triangulate_points,
)
from auglift_ros.footage.calibration import CalibratedCamera, check_image_size
from auglift_ros.perception.detector import Detections, KeypointDetector

_LEFT = np.array([left for left, _ in H36M_LEFT_RIGHT_PAIRS])
_RIGHT = np.array([right for _, right in H36M_LEFT_RIGHT_PAIRS])
SWAP_RATIO = 0.5
"""A pair is swapped back when the swapped labels reproject with less than this share of the error."""
DEFAULT_MAX_OFFSET = 10
"""Largest start offset searched, in (kept) frames: 0.17 s at 60 fps."""


# --- detection -------------------------------------------------------------------------------------


@dataclass
class PersonDetections:
    """The most confident person of each frame as the detector saw it: keypoints (..., T, 17, 2) in
    recorded-image pixels, confidence (..., T, 17), and the detector's own 3D estimate (..., T, 17, 3)
    in metres (MediaPipe's world landmarks), NaN where it made none (nobody found, or a backend
    without 3D). Kept beside the 2D so a benchmark can score the detector's 3D on the same pass."""

    keypoints: np.ndarray
    confidence: np.ndarray
    world: np.ndarray


def most_confident_person(detections: Detections) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keypoints (17, 2), confidence (17,) and world joints (17, 3) of the person with the highest
    mean confidence; NaN keypoints and world joints and zero confidence when nobody was found (world
    NaN also when the backend gives no 3D)."""
    no_world = np.full((H36M_NUM_JOINTS, 3), np.nan)
    if len(detections.keypoints) == 0:
        return np.full((H36M_NUM_JOINTS, 2), np.nan), np.zeros(H36M_NUM_JOINTS), no_world
    best = int(np.argmax(np.nanmean(np.asarray(detections.confidence, dtype=np.float64), axis=-1)))
    world = no_world if detections.world is None else np.asarray(detections.world[best], np.float64)
    return (
        np.asarray(detections.keypoints[best], np.float64),
        np.asarray(detections.confidence[best], np.float64),
        world,
    )


def detect_frames(
    frames: Iterable[np.ndarray], detector: KeypointDetector, *, pixel_scale: tuple[float, float] = (1.0, 1.0)
) -> PersonDetections:
    """The most confident person in each frame: keypoints (T, 17, 2), confidence (T, 17), world (T, 17, 3).

    ``pixel_scale`` (sx, sy) multiplies the keypoints, mapping a downscaled frame back to the recorded
    one (detector coordinates are measured from the image edge, so the map is a pure scale); world
    joints are metres and need no scaling.
    """
    points, scores, worlds = [], [], []
    for frame in frames:
        keypoints, confidence, world = most_confident_person(detector.detect(frame))
        points.append(keypoints * np.asarray(pixel_scale))
        scores.append(confidence)
        worlds.append(world)
    if not points:
        return PersonDetections(
            np.empty((0, H36M_NUM_JOINTS, 2)),
            np.empty((0, H36M_NUM_JOINTS)),
            np.empty((0, H36M_NUM_JOINTS, 3)),
        )
    return PersonDetections(np.stack(points), np.stack(scores), np.stack(worlds))


def _default_detector() -> KeypointDetector:
    from auglift_ros.perception.detector import MediaPipePoseDetector  # mediapipe: only when used

    return MediaPipePoseDetector(tracking=True)


def detect_views(
    videos: Sequence[str | Path],
    make_detector: Callable[[], KeypointDetector] | None = None,
    *,
    stride: int = 1,
    max_frames: int | None = None,
    scale: float = 1.0,
    progress: bool = True,
) -> PersonDetections:
    """Detections in each video: keypoints (V, T, 17, 2) in recorded-image pixels, confidence (V, T, 17),
    world joints (V, T, 17, 3).

    A fresh detector per video (``make_detector()``, default MediaPipe with tracking), because a
    tracking detector carries the person's position from one frame to the next and must not carry it
    from one camera to another. Videos of different lengths are padded with NaN / zero confidence.
    ``stride``, ``max_frames`` and ``scale`` as in :class:`auglift_ros.footage.video.VideoFrames`.
    """
    from tqdm import tqdm

    from auglift_ros.footage.video import VideoFrames

    make = _default_detector if make_detector is None else make_detector
    per_view = []
    for path in videos:
        frames = VideoFrames(path, stride=stride, max_frames=max_frames, scale=scale)
        pixel_scale = (frames.native_width / frames.width, frames.native_height / frames.height)
        detector = make()
        try:
            bar = tqdm(frames, total=len(frames), desc=f"detect {Path(path).stem}", disable=not progress)
            per_view.append(detect_frames(bar, detector, pixel_scale=pixel_scale))
        finally:
            detector.close()
    length = max(len(found.confidence) for found in per_view)
    out = PersonDetections(
        np.full((len(per_view), length, H36M_NUM_JOINTS, 2), np.nan),
        np.zeros((len(per_view), length, H36M_NUM_JOINTS)),
        np.full((len(per_view), length, H36M_NUM_JOINTS, 3), np.nan),
    )
    for view, found in enumerate(per_view):
        out.keypoints[view, : len(found.keypoints)] = found.keypoints
        out.confidence[view, : len(found.confidence)] = found.confidence
        out.world[view, : len(found.world)] = found.world
    return out


# --- repairs ---------------------------------------------------------------------------------------


def shift_frames(values: np.ndarray, offsets: Sequence[int], fill: float = np.nan) -> np.ndarray:
    """``out[v, i] = values[v, i + offsets[v]]`` for per-view arrays (V, T, ...); ``fill`` outside."""
    values = np.asarray(values)
    out = np.full(values.shape, fill, dtype=np.result_type(values.dtype, np.asarray(fill).dtype))
    length = values.shape[1]
    for view, offset in enumerate(int(o) for o in offsets):
        start, stop = max(0, -offset), min(length, length - offset)
        if start < stop:
            out[view, start:stop] = values[view, start + offset : stop + offset]
    return out


def _swap_pairs(values: np.ndarray, swap: np.ndarray) -> np.ndarray:
    """Exchange left and right joints where swap (..., 6) is True, for points (..., 17, D) or
    per-joint values (..., 17)."""
    out = values.copy()
    if values.ndim == swap.ndim + 1:  # points
        left, right, mask = values[..., _LEFT, :], values[..., _RIGHT, :], swap[..., None]
        out[..., _LEFT, :] = np.where(mask, right, left)
        out[..., _RIGHT, :] = np.where(mask, left, right)
    else:
        left, right = values[..., _LEFT], values[..., _RIGHT]
        out[..., _LEFT] = np.where(swap, right, left)
        out[..., _RIGHT] = np.where(swap, left, right)
    return out


def _distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.norm(a - b, axis=-1)


def fix_left_right_swaps(
    pixels: np.ndarray,
    confidence: np.ndarray,
    projections: np.ndarray,
    *,
    ratio: float = SWAP_RATIO,
    iterations: int = 3,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undo left/right label swaps: (pixels, confidence, swapped (V, ..., 6) bool).

    For each view, the joints are triangulated from the other views and reprojected into it; a
    (left, right) pair whose swapped labels lie closer to those projections (summed distance below
    ``ratio`` times that of the labels as detected) is swapped back, confidence included. Repeats
    until nothing changes (at most ``iterations`` times), so a swap in one view no longer spoils the
    check of another. Needs at least three views (two for the check). Pixels undistorted, (V, ..., 17, 2).
    """
    pixels = np.array(pixels, dtype=np.float64)
    confidence = np.array(confidence, dtype=np.float64)
    views = pixels.shape[0]
    swapped = np.zeros((*pixels.shape[:-2], len(H36M_LEFT_RIGHT_PAIRS)), dtype=bool)
    if views < 3:
        return pixels, confidence, swapped
    for _ in range(iterations):
        changed = False
        for view in range(views):
            others = [v for v in range(views) if v != view]
            points = triangulate_points(
                pixels[others], confidence[others], projections[others], min_confidence=min_confidence
            )
            projected = project_points(points, projections[view : view + 1])[0]
            left, right = projected[..., _LEFT, :], projected[..., _RIGHT, :]
            seen_left, seen_right = pixels[view][..., _LEFT, :], pixels[view][..., _RIGHT, :]
            as_detected = _distance(left, seen_left) + _distance(right, seen_right)
            exchanged = _distance(left, seen_right) + _distance(right, seen_left)
            flip = exchanged < ratio * as_detected  # NaN compares False: no evidence, no change
            if flip.any():
                pixels[view] = _swap_pairs(pixels[view], flip)
                confidence[view] = _swap_pairs(confidence[view], flip)
                swapped[view] ^= flip
                changed = True
        if not changed:
            break
    return pixels, confidence, swapped


def median_reprojection_error(
    pixels: np.ndarray, confidence: np.ndarray, projections: np.ndarray, **triangulate: float
) -> float:
    """Median over views, frames and joints of the reprojection error after triangulating (px)."""
    points = triangulate_points(pixels, confidence, projections, **triangulate)
    errors = reprojection_errors(points, pixels, projections)
    return float(np.nanmedian(errors)) if np.isfinite(errors).any() else float("inf")


def estimate_frame_offsets(
    pixels: np.ndarray,
    confidence: np.ndarray,
    projections: np.ndarray,
    *,
    reference_view: int = 0,
    max_offset: int = DEFAULT_MAX_OFFSET,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> np.ndarray:
    """Whole-frame start offsets (V,) with view v's frame ``i + offset[v]`` showing reference frame i.

    Geometric synchronisation: each view's offset (the reference view's is 0) is searched over
    ``-max_offset..max_offset`` for the smallest median reprojection error of all views triangulated
    together, one view at a time, until no offset changes. The median ignores the occasional wrong
    detection; the search range is at most a quarter of the clip, so that half of it is compared.
    Pixels undistorted (V, T, 17, 2).
    """
    views, length = pixels.shape[:2]
    max_offset = min(max_offset, length // 4)
    offsets = np.zeros(views, dtype=int)

    # Only reference frames that every candidate offset keeps in every view are compared: fewer views
    # fit better, so letting the set of frames change with the offset would favour large shifts.
    common = slice(max_offset, length - max_offset)

    def cost(candidate: np.ndarray) -> float:
        return median_reprojection_error(
            shift_frames(pixels, candidate)[:, common],
            shift_frames(confidence, candidate, fill=0.0)[:, common],
            projections,
            min_confidence=min_confidence,
        )

    for _ in range(3):
        changed = False
        for view in range(views):
            if view == reference_view:
                continue
            trials = []
            for offset in range(-max_offset, max_offset + 1):
                candidate = offsets.copy()
                candidate[view] = offset
                trials.append((cost(candidate), abs(offset), offset))
            best = min(trials)[2]  # ties: the smaller shift
            if best != offsets[view]:
                offsets[view], changed = best, True
        if not changed:
            break
    return offsets


# --- the reference ---------------------------------------------------------------------------------


@dataclass
class Reference:
    """Triangulated joints and the evidence behind them; frame i is reference-view frame ``frames[i]``.

    ``keypoints`` are the detections as used (recorded-image pixels, after the start offsets and the
    left/right repairs), ``errors`` their reprojection errors in pixels of the undistorted images
    (NaN where a joint was not triangulated or not detected), ``swapped`` the repaired pairs.
    """

    joints_world: np.ndarray  # (T, 17, 3) metres, NaN where fewer than min_views views
    keypoints: np.ndarray  # (V, T, 17, 2)
    confidence: np.ndarray  # (V, T, 17)
    errors: np.ndarray  # (V, T, 17) px
    frame_offsets: np.ndarray  # (V,) int, in kept frames
    swapped: np.ndarray  # (V, T, 6) bool
    camera_names: tuple[str, ...]
    reference_view: int = 0
    frames: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))

    def error_stats(self) -> dict[str, float]:
        """Reprojection error figures (px) and coverage: median, p90, per-view medians, share of
        joints triangulated, repaired pairs."""
        finite = self.errors[np.isfinite(self.errors)]
        stats = {
            "median_px": float(np.median(finite)) if finite.size else float("nan"),
            "p90_px": float(np.percentile(finite, 90)) if finite.size else float("nan"),
            "triangulated_share": float(np.isfinite(self.joints_world[..., 0]).mean()),
            "swapped_pairs": float(self.swapped.sum()),
        }
        for name, errors in zip(self.camera_names, self.errors, strict=True):
            values = errors[np.isfinite(errors)]
            stats[f"median_px_{name}"] = float(np.median(values)) if values.size else float("nan")
        return stats

    def summary(self) -> str:
        """A few lines for logs: frames, offsets, repairs and reprojection errors."""
        stats = self.error_stats()
        per_view = ", ".join(f"{n} {stats[f'median_px_{n}']:.1f}" for n in self.camera_names)
        offsets = ", ".join(f"{n} {o:+d}" for n, o in zip(self.camera_names, self.frame_offsets, strict=True))
        per_joint = np.nanmedian(np.where(np.isfinite(self.errors), self.errors, np.nan), axis=(0, 1))
        worst = np.argsort(np.nan_to_num(per_joint, nan=-1.0))[::-1][:3]
        return "\n".join(
            [
                f"reference: {len(self.joints_world)} frames of {self.camera_names[self.reference_view]}, "
                f"{100 * stats['triangulated_share']:.1f}% of joints triangulated",
                f"start offsets (frames): {offsets}; "
                f"left/right pairs repaired: {int(stats['swapped_pairs'])}",
                f"reprojection error: median {stats['median_px']:.1f} px, p90 {stats['p90_px']:.1f} px; "
                f"per view {per_view}",
                "largest per joint: "
                + ", ".join(f"{H36M_JOINT_NAMES[j]} {per_joint[j]:.1f} px" for j in worst),
            ]
        )

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            path,
            joints_world=self.joints_world,
            keypoints=self.keypoints,
            confidence=self.confidence,
            errors=self.errors,
            frame_offsets=self.frame_offsets,
            swapped=self.swapped,
            camera_names=np.array(self.camera_names),
            reference_view=self.reference_view,
            frames=self.frames,
        )

    @classmethod
    def load(cls, path: str | Path) -> Reference:
        with np.load(path) as data:
            return cls(
                joints_world=data["joints_world"],
                keypoints=data["keypoints"],
                confidence=data["confidence"],
                errors=data["errors"],
                frame_offsets=data["frame_offsets"],
                swapped=data["swapped"],
                camera_names=tuple(str(n) for n in data["camera_names"]),
                reference_view=int(data["reference_view"]),
                frames=data["frames"],
            )


def reference_from_detections(
    keypoints: np.ndarray,
    confidence: np.ndarray,
    cameras: Sequence[CalibratedCamera],
    *,
    reference_view: int = 0,
    frame_offsets: Literal["auto"] | Sequence[int] | None = "auto",
    max_offset: int = DEFAULT_MAX_OFFSET,
    fix_swaps: bool = True,
    min_views: int = 2,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> Reference:
    """Triangulate per-view detections (V, T, 17, 2) in recorded-image pixels into a :class:`Reference`.

    Order: undistort; repair left/right swaps (they would mislead the offset search); estimate the
    start offsets (``"auto"``; or given per view; None: all 0); shift; repair swaps again on the
    aligned frames; triangulate.
    """
    keypoints = np.asarray(keypoints, dtype=np.float64)
    confidence = np.asarray(confidence, dtype=np.float64)
    if keypoints.shape[0] != len(cameras) or keypoints.shape[-2:] != (H36M_NUM_JOINTS, 2):
        raise ValueError(f"expected keypoints (V={len(cameras)}, T, 17, 2), got {keypoints.shape}")
    projections = np.stack([camera.projection for camera in cameras])
    undistorted = np.stack(
        [camera.undistort(points) for camera, points in zip(cameras, keypoints, strict=True)]
    )
    swapped = np.zeros((*keypoints.shape[:2], len(H36M_LEFT_RIGHT_PAIRS)), dtype=bool)
    if fix_swaps:
        undistorted, confidence, swapped = fix_left_right_swaps(
            undistorted, confidence, projections, min_confidence=min_confidence
        )
        keypoints = _swap_pairs(keypoints, swapped)
    if isinstance(frame_offsets, str):
        if frame_offsets != "auto":
            raise ValueError(f"frame_offsets must be 'auto', a sequence or None, got {frame_offsets!r}")
        offsets = estimate_frame_offsets(
            undistorted,
            confidence,
            projections,
            reference_view=reference_view,
            max_offset=max_offset,
            min_confidence=min_confidence,
        )
    else:
        offsets = (
            np.zeros(len(cameras), dtype=int) if frame_offsets is None else np.asarray(frame_offsets, int)
        )
        if offsets.shape != (len(cameras),):
            raise ValueError(f"expected {len(cameras)} frame offsets, got {offsets.tolist()}")
        offsets = offsets - offsets[reference_view]
    undistorted = shift_frames(undistorted, offsets)
    confidence = shift_frames(confidence, offsets, fill=0.0)
    keypoints = shift_frames(keypoints, offsets)
    swapped = shift_frames(swapped, offsets, fill=False).astype(bool)
    if fix_swaps:
        undistorted, confidence, again = fix_left_right_swaps(
            undistorted, confidence, projections, min_confidence=min_confidence
        )
        keypoints = _swap_pairs(keypoints, again)
        swapped ^= again
    joints = triangulate_points(
        undistorted, confidence, projections, min_views=min_views, min_confidence=min_confidence
    )
    errors = reprojection_errors(joints, undistorted, projections)
    return Reference(
        joints_world=joints,
        keypoints=keypoints,
        confidence=confidence,
        errors=errors,
        frame_offsets=offsets,
        swapped=swapped,
        camera_names=tuple(camera.name for camera in cameras),
        reference_view=reference_view,
        frames=np.arange(keypoints.shape[1]),
    )


def triangulated_reference(
    videos: Sequence[str | Path],
    cameras: Sequence[CalibratedCamera],
    make_detector: Callable[[], KeypointDetector] | None = None,
    *,
    reference_view: int = 0,
    stride: int = 1,
    max_frames: int | None = None,
    scale: float = 1.0,
    frame_offsets: Literal["auto"] | Sequence[int] | None = "auto",
    fix_swaps: bool = True,
    min_views: int = 2,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    progress: bool = True,
) -> Reference:
    """Detect the person in every (``stride``-th) frame of each video and triangulate a :class:`Reference`.

    ``videos[v]`` was recorded by ``cameras[v]``; the frames must have the calibrated size, less codec
    padding (:func:`auglift_ros.footage.calibration.check_image_size`). ``scale`` < 1 detects on downscaled
    frames (keypoints are mapped back). With a stride, offsets are whole kept frames.
    """
    from auglift_ros.footage.video import VideoFrames

    if len(videos) != len(cameras):
        raise ValueError(f"{len(videos)} videos for {len(cameras)} cameras")
    for path, camera in zip(videos, cameras, strict=True):
        frames = VideoFrames(path)
        check_image_size(camera, frames.native_width, frames.native_height)
    detections = detect_views(
        videos, make_detector, stride=stride, max_frames=max_frames, scale=scale, progress=progress
    )
    reference = reference_from_detections(
        detections.keypoints,
        detections.confidence,
        cameras,
        reference_view=reference_view,
        frame_offsets=frame_offsets,
        fix_swaps=fix_swaps,
        min_views=min_views,
        min_confidence=min_confidence,
    )
    reference.frames = np.arange(detections.keypoints.shape[1]) * stride
    return reference


def joints_in_camera(joints_world: np.ndarray, camera: CalibratedCamera) -> np.ndarray:
    """World joints (..., 3) in the camera's optical frame (x right, y down, z forward): R @ X + t."""
    return camera.to_camera(joints_world)
