"""Measuring a 2D keypoint detector's errors on calibrated multi-view footage.

The reference for a detection in one view is the person triangulated from the *other* views and
projected into it (leave one view out), so a view's own error never pulls its reference towards it.
``benchmarks/fit_detector_errors.py`` runs this on pose2sim's Demo_MultiPerson with MediaPipe and fits
:class:`auglift_ros.simulation.sensors.DetectorErrorModel` to the table it gives.

- Several people, single-person detector: each pass detects the most prominent person and paints
  them out with the detector's segmentation mask, so the next pass finds the next one
  (:func:`detect_people`). Passes are matched across views frame by frame by the geometry: the
  detections, one per view, that triangulate consistently are one person (:func:`match_people`).
- Errors are measured after aligning each detection to its reference by a scale and a shift
  (:func:`align_scale_shift`): a whole-body misplacement of the person in one view (a composited
  person, a calibration error, a sync error of a moving body) is then no detector error. The
  detector's own whole-body error is removed with it and is not measured.
- Errors are in units of the reference's person size (:func:`person_size`, the simulation's
  keypoint-box scale), so they transfer to other image sizes.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from auglift_ros.core.skeleton import H36M_LEFT_RIGHT_PAIRS, H36M_NUM_JOINTS
from auglift_ros.core.triangulation import (
    DEFAULT_MIN_CONFIDENCE,
    project_points,
    reprojection_errors,
    triangulate_points,
)
from auglift_ros.footage.reference import fix_left_right_swaps
from auglift_ros.perception.detector import Detections

MASK_THRESHOLD = 0.3
"""Segmentation mask value above which a pixel belongs to the detected person."""
MASK_GROW = 0.008
"""The painted region grows by this share of the image height (15 px at 1920), so the person's
outline, where the mask is soft, does not stay behind as a ghost the next pass finds."""
MAX_MATCH_ERROR = 0.1
"""Detections in several views are one person when, triangulated together, every view's median
reprojection error is below this share of the person's size. Two people a metre apart are several
sizes apart; one person's detector errors (median a few per cent) stay well below it."""
MIN_REFERENCE_JOINTS = 12
"""A detection is measured when its leave-one-out reference has at least this many joints."""
OUTLIER_THRESHOLD = 0.2
"""A joint error above this share of the person's size is a gross outlier: four or more times the
jitter of any joint measured on MediaPipe, and about 18 cm on an adult."""


def person_size(keypoints: np.ndarray) -> np.ndarray:
    """Person size (...,) in pixels: sqrt of the keypoints' bounding-box area, NaN joints ignored.

    The simulation's ``keypoint_box_scale`` (the tests check they agree), so an error measured in
    these units is drawn in the same units there.
    """
    keypoints = np.asarray(keypoints, dtype=np.float64)
    finite = np.isfinite(keypoints).all(axis=-1, keepdims=True)
    low = np.min(np.where(finite, keypoints, np.inf), axis=-2)
    high = np.max(np.where(finite, keypoints, -np.inf), axis=-2)
    with np.errstate(invalid="ignore"):
        span = np.where(np.isfinite(high - low), high - low, np.nan)
    return np.sqrt(span[..., 0] * span[..., 1])


# --- several people with a single-person detector ------------------------------------------------


class MaskingDetector(Protocol):
    """A single-person detector that also returns the found person's segmentation mask."""

    def detect_with_mask(self, image_rgb: np.ndarray) -> tuple[Detections, np.ndarray | None]: ...

    def close(self) -> None: ...


def hide_person(image: np.ndarray, mask: np.ndarray, *, threshold: float = MASK_THRESHOLD) -> np.ndarray:
    """A copy of the image with the masked person painted mid-grey (grown by :data:`MASK_GROW`)."""
    import cv2  # opencv-contrib-python, installed with mediapipe (headless OpenCV elsewhere)

    grow = max(1, round(MASK_GROW * image.shape[0]))
    kernel = np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)
    region = cv2.dilate((np.asarray(mask) > threshold).astype(np.uint8), kernel) > 0
    out = np.array(image, copy=True)
    out[region] = 127
    return out


def detect_people(
    frames: Iterable[np.ndarray],
    detectors: Sequence[MaskingDetector],
    *,
    pixel_scale: tuple[float, float] = (1.0, 1.0),
) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``len(detectors)`` people per frame: keypoints (T, P, 17, 2) and confidence (T, P, 17).

    Pass p runs ``detectors[p]`` on the frame with the people of the earlier passes painted out. One
    detector per pass, because a tracking detector follows its person from frame to frame; a pass
    that finds nobody ends the frame's passes (NaN keypoints, zero confidence). ``pixel_scale`` maps
    the keypoints of downscaled frames back to the recorded ones.
    """
    people = len(detectors)
    points, scores = [], []
    for frame in frames:
        keypoints = np.full((people, H36M_NUM_JOINTS, 2), np.nan)
        confidence = np.zeros((people, H36M_NUM_JOINTS))
        image = frame
        for person, detector in enumerate(detectors):
            found, mask = detector.detect_with_mask(image)
            if len(found.keypoints) == 0:
                break
            keypoints[person] = found.keypoints[0] * np.asarray(pixel_scale)
            confidence[person] = found.confidence[0]
            if mask is None:
                raise ValueError(
                    "the detector returned no segmentation mask (make it with segmentation=True)"
                )
            image = hide_person(image, mask)
        points.append(keypoints)
        scores.append(confidence)
    shape = (-1, people, H36M_NUM_JOINTS)
    return np.array(points).reshape(*shape, 2), np.array(scores).reshape(shape)


def detect_people_in_views(
    videos: Sequence[str | Path],
    make_detector: Callable[[], MaskingDetector],
    *,
    people: int = 3,
    scale: float = 1.0,
    max_frames: int | None = None,
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`detect_people` on every video: keypoints (V, T, P, 17, 2) in recorded-image pixels and
    confidence (V, T, P, 17); fresh detectors per video (no tracking state crosses cameras)."""
    from tqdm import tqdm

    from auglift_ros.footage.video import VideoFrames

    per_view = []
    for path in videos:
        frames = VideoFrames(path, max_frames=max_frames, scale=scale)
        detectors = [make_detector() for _ in range(people)]
        try:
            bar = tqdm(frames, total=len(frames), desc=f"detect {Path(path).stem}", disable=not progress)
            pixel_scale = (frames.native_width / frames.width, frames.native_height / frames.height)
            per_view.append(detect_people(bar, detectors, pixel_scale=pixel_scale))
        finally:
            for detector in detectors:
                detector.close()
    length = max(len(found[0]) for found in per_view)
    keypoints = np.full((len(per_view), length, people, H36M_NUM_JOINTS, 2), np.nan)
    confidence = np.zeros((len(per_view), length, people, H36M_NUM_JOINTS))
    for view, (points, scores) in enumerate(per_view):
        keypoints[view, : len(points)] = points
        confidence[view, : len(scores)] = scores
    return keypoints, confidence


# --- the same person in every view -----------------------------------------------------------------


@dataclass(frozen=True)
class PersonMatch:
    """One person in one frame: the detection index per view (-1: not seen there), the triangulated
    joints (17, 3) and the worst view's median reprojection error in person sizes."""

    choice: tuple[int, ...]
    joints: np.ndarray
    error: float


def match_people(
    pixels: np.ndarray,
    confidence: np.ndarray,
    projections: np.ndarray,
    *,
    min_views: int = 3,
    max_error: float = MAX_MATCH_ERROR,
) -> list[PersonMatch]:
    """The people of one frame from per-view detections: undistorted pixels (V, P, 17, 2), confidence
    (V, P, 17).

    Every choice of one detection (or none) per view with at least ``min_views`` views is
    triangulated; a choice is a person when its worst view's median reprojection error is under
    ``max_error`` person sizes. Choices are taken greedily, most views first, then smallest error,
    each detection used once. Three views are needed: two views always triangulate to something.
    """
    views, people = pixels.shape[:2]
    present = [[-1, *[p for p in range(people) if np.isfinite(pixels[v, p]).any()]] for v in range(views)]
    choices = np.array([c for c in itertools.product(*present) if sum(i >= 0 for i in c) >= min_views])
    if len(choices) == 0:
        return []
    seen = choices.T >= 0  # (V, N)
    index = np.maximum(choices.T, 0)
    rows = np.arange(views)[:, None]
    chosen = np.where(seen[..., None, None], pixels[rows, index], np.nan)
    weights = np.where(seen[..., None], confidence[rows, index], 0.0)
    joints = triangulate_points(np.nan_to_num(chosen), weights, projections)
    errors = reprojection_errors(joints, chosen, projections) / person_size(chosen)[..., None]
    with warnings.catch_warnings():  # views a choice leaves out are all-NaN: no warning for them
        warnings.simplefilter("ignore", RuntimeWarning)
        worst = np.nanmax(np.nanmedian(errors, axis=-1), axis=0)
    order = np.lexsort((np.nan_to_num(worst, nan=np.inf), -seen.sum(axis=0)))
    used: set[tuple[int, int]] = set()
    found = []
    for i in order:
        if not worst[i] < max_error:
            continue
        taken = {(v, int(choices[i, v])) for v in range(views) if choices[i, v] >= 0}
        if taken & used:
            continue
        used |= taken
        found.append(PersonMatch(tuple(int(c) for c in choices[i]), joints[i], float(worst[i])))
    return found


@dataclass
class PersonTrack:
    """One person's detections per view and frame (undistorted pixels (V, T, 17, 2), NaN where not
    matched; confidence (V, T, 17)) and the other people matched in each frame (joints (17, 3) each)."""

    keypoints: np.ndarray
    confidence: np.ndarray
    others: list[list[np.ndarray]]


def hip_centre_xy(joints: np.ndarray) -> np.ndarray:
    """Horizontal position (x, y) of the mid-hip point, for a z-up world (a Qualisys calibration)."""
    return np.nanmean(joints[[1, 4], :2], axis=0)


def select_person(
    matches: Sequence[Sequence[PersonMatch]],
    pixels: np.ndarray,
    confidence: np.ndarray,
    near_xy: tuple[float, float],
    radius: float,
) -> PersonTrack:
    """In each frame, the person of :func:`match_people` whose hip centre is within ``radius`` metres
    of ``near_xy`` (z-up world); pixels (V, T, P, 17, 2) and confidence (V, T, P, 17)."""
    views, frames = pixels.shape[:2]
    keypoints = np.full((views, frames, H36M_NUM_JOINTS, 2), np.nan)
    scores = np.zeros((views, frames, H36M_NUM_JOINTS))
    others: list[list[np.ndarray]] = []
    for frame, found in enumerate(matches):
        rest = []
        for match in found:
            if np.linalg.norm(hip_centre_xy(match.joints) - np.asarray(near_xy)) < radius:
                for view, index in enumerate(match.choice):
                    if index >= 0:
                        keypoints[view, frame] = pixels[view, frame, index]
                        scores[view, frame] = confidence[view, frame, index]
            else:
                rest.append(match.joints)
        others.append(rest)
    return PersonTrack(keypoints, scores, others)


def person_misses(
    track: PersonTrack, projections: np.ndarray, image_sizes: Sequence[tuple[int, int]]
) -> np.ndarray:
    """Per view (V,): share of frames in which the person, triangulated from the other views, has
    most joints inside that view's image but no detection there was matched to them."""
    views = track.keypoints.shape[0]
    misses = np.zeros(views)
    for view, (width, height) in enumerate(image_sizes):
        others = [v for v in range(views) if v != view]
        joints = triangulate_points(track.keypoints[others], track.confidence[others], projections[others])
        pixels = project_points(joints, projections[view : view + 1])[0]
        inside = (
            (pixels[..., 0] >= 0)
            & (pixels[..., 0] < width)
            & (pixels[..., 1] >= 0)
            & (pixels[..., 1] < height)
        )
        in_view = inside.mean(axis=-1) > 0.5
        missed = in_view & ~np.isfinite(track.keypoints[view]).all(axis=(-1, -2))
        misses[view] = missed.sum() / max(int(in_view.sum()), 1)
    return misses


# --- errors against the leave-one-out reference ----------------------------------------------------


def align_scale_shift(detected: np.ndarray, reference: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The detection (N, 17, 2) scaled and shifted onto its reference (least squares, weights (N, 17),
    Huber-reweighted so a few wrong joints do not move the fit); NaN joints take no part.

    Three numbers per detection out of 34: what remains is the detection's shape error.
    """
    detected = np.asarray(detected, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    usable = np.isfinite(detected).all(-1) & np.isfinite(reference).all(-1) & (np.asarray(weights) > 0)
    base = np.where(usable, weights, 0.0)
    d, r = np.nan_to_num(detected), np.nan_to_num(reference)
    w = base
    for _ in range(5):
        total = np.maximum(w.sum(-1, keepdims=True), 1e-12)
        centre_d = np.sum(w[..., None] * d, axis=-2) / total
        centre_r = np.sum(w[..., None] * r, axis=-2) / total
        dd, rr = d - centre_d[:, None], r - centre_r[:, None]
        scale = np.sum(w[..., None] * dd * rr, axis=(-1, -2)) / np.maximum(
            np.sum(w[..., None] * dd**2, axis=(-1, -2)), 1e-12
        )
        residual = np.linalg.norm(scale[:, None, None] * dd - rr, axis=-1)
        median = np.array(
            [np.median(row[keep]) if keep.any() else 0.0 for row, keep in zip(residual, usable, strict=True)]
        )
        limit = 2.0 * median[:, None] + 1e-9
        w = base * np.where(residual < limit, 1.0, limit / np.maximum(residual, 1e-12))
    aligned = scale[:, None, None] * (detected - centre_d[:, None]) + centre_r[:, None]
    return np.where(np.isfinite(detected), aligned, np.nan)


@dataclass
class ErrorSamples:
    """One row per measured detection (a view in a frame).

    ``errors`` (N, 17, 2): detection after :func:`align_scale_shift` minus its leave-one-out reference,
    in person sizes; ``raw_errors`` the same before the alignment; ``confidence`` and ``visible``
    (N, 17) the detector's scores and whether the joint is unoccluded; ``swapped`` (N, 6) the
    left/right pairs found exchanged (and repaired before measuring); ``size`` (N,) the person's size
    in pixels; ``view`` and ``frame`` (N,) where the row comes from.
    """

    errors: np.ndarray
    raw_errors: np.ndarray
    confidence: np.ndarray
    visible: np.ndarray
    swapped: np.ndarray
    size: np.ndarray
    view: np.ndarray
    frame: np.ndarray

    def rows(self, keep: np.ndarray) -> ErrorSamples:
        """The samples where ``keep`` (N,) is True (or at the given indices)."""
        return ErrorSamples(**{name: getattr(self, name)[keep] for name in self.__dataclass_fields__})

    @classmethod
    def concatenate(cls, parts: Sequence[ErrorSamples]) -> ErrorSamples:
        return cls(
            **{name: np.concatenate([getattr(p, name) for p in parts]) for name in cls.__dataclass_fields__}
        )


def measure_errors(
    pixels: np.ndarray,
    confidence: np.ndarray,
    projections: np.ndarray,
    visible: np.ndarray,
    *,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> ErrorSamples:
    """Errors of one person's detections: undistorted pixels (V, T, 17, 2) (NaN: not detected),
    confidence (V, T, 17), projections (V, 3, 4), visible (V, T, 17).

    Left/right swaps are found and repaired against the other views first
    (:func:`auglift_ros.footage.reference.fix_left_right_swaps`); then each view's detection is
    compared with the person triangulated from the other views and projected into it.
    """
    repaired, scores, swapped = fix_left_right_swaps(
        pixels, confidence, projections, min_confidence=min_confidence
    )
    views = pixels.shape[0]
    parts = []
    for view in range(views):
        others = [v for v in range(views) if v != view]
        joints = triangulate_points(
            repaired[others], scores[others], projections[others], min_confidence=min_confidence
        )
        reference = project_points(joints, projections[view : view + 1])[0]
        rows = np.flatnonzero(
            np.isfinite(repaired[view]).all(axis=(-1, -2))
            & (np.isfinite(reference).all(-1).sum(-1) >= MIN_REFERENCE_JOINTS)
        )
        detected, ref = repaired[view, rows], reference[rows]
        size = person_size(ref)
        aligned = align_scale_shift(detected, ref, scores[view, rows])
        parts.append(
            ErrorSamples(
                errors=(aligned - ref) / size[:, None, None],
                raw_errors=(detected - ref) / size[:, None, None],
                confidence=scores[view, rows],
                visible=np.asarray(visible[view, rows], dtype=bool),
                swapped=swapped[view, rows],
                size=size,
                view=np.full(len(rows), view),
                frame=rows,
            )
        )
    return ErrorSamples.concatenate(parts)


# --- the table ------------------------------------------------------------------------------------


def robust_sigma(errors: np.ndarray) -> float:
    """Per-axis standard deviation about zero from the median absolute error (errors (..., 2)):
    ``median |e| / 0.6745``, what a zero-mean Gaussian gives, unmoved by a minority of outliers.
    A systematic offset counts as error. NaN without finite values."""
    values = np.abs(np.asarray(errors, dtype=np.float64)).ravel()
    values = values[np.isfinite(values)]
    return float(np.median(values) / 0.6745) if values.size else float("nan")


def _median(values: np.ndarray) -> float:
    return float(np.median(values)) if values.size else float("nan")


@dataclass
class ErrorTable:
    """What :func:`error_table` measures; every length-17 array is in H36M joint order, every
    quantile table at the caller's levels, every error in person sizes."""

    joint_sigma: np.ndarray  # (17,) robust sigma of confident detections (confidence >= top edge)
    joint_count: np.ndarray  # (17,) detections behind each
    visible_sigma: np.ndarray  # (17,) robust sigma of unoccluded joints, any confidence
    occluded_sigma: np.ndarray  # (17,) the same for occluded joints
    occluded_count: np.ndarray  # (17,)
    confidence_edges: tuple[float, ...]
    bin_count: np.ndarray  # (B,) joints per confidence bin, lowest first
    bin_sigma: np.ndarray  # (B,) robust sigma of errors / joint_sigma (about 1 in the top bin)
    bin_median: np.ndarray  # (B,) median error length
    bin_outliers: np.ndarray  # (B,) share above the outlier threshold
    visible_confidence: dict[str, np.ndarray]  # group -> quantiles
    occluded_confidence: dict[str, np.ndarray]
    confidence_count: dict[str, tuple[int, int]]  # group -> (visible, occluded) joints
    outlier_rate: dict[str, float]  # group -> share of joints above the threshold
    outlier_jump: np.ndarray  # quantiles of the outliers' error lengths
    outlier_confidence: np.ndarray  # quantiles of their scores
    outliers: int
    swap_rate: float  # share of left/right pairs found exchanged
    swapped_pairs: int
    pairs: int
    low_confidence_share: float  # joints under the triangulation's voting threshold
    samples: int


def error_table(
    samples: ErrorSamples,
    groups: Mapping[str, Sequence[int]],
    levels: Sequence[float],
    *,
    confidence_edges: Sequence[float],
    outlier_threshold: float = OUTLIER_THRESHOLD,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> ErrorTable:
    """Per-joint jitter, its growth as the confidence falls, the confidence distributions per joint
    group (visible and occluded), gross outliers and left/right swaps of measured samples."""
    errors, conf, visible = samples.errors, samples.confidence, samples.visible
    length = np.linalg.norm(errors, axis=-1)
    finite = np.isfinite(length)
    edges = tuple(float(e) for e in confidence_edges)
    top = conf >= edges[-1]
    sigma = np.array([robust_sigma(errors[top[:, j], j]) for j in range(H36M_NUM_JOINTS)])
    bins = np.searchsorted(edges, conf, side="right")
    normalised = errors / sigma[None, :, None]
    outlier = finite & (length > outlier_threshold)
    levels = np.asarray(levels, dtype=np.float64)

    def quantiles(values: np.ndarray) -> np.ndarray:
        return np.quantile(values, levels) if values.size else np.full(len(levels), np.nan)

    visible_q, occluded_q, counts, rates = {}, {}, {}, {}
    for name, joints in groups.items():
        cols = list(joints)
        seen, hidden = (finite[:, cols] & visible[:, cols]), (finite[:, cols] & ~visible[:, cols])
        visible_q[name] = quantiles(conf[:, cols][seen])
        occluded_q[name] = quantiles(conf[:, cols][hidden])
        counts[name] = (int(seen.sum()), int(hidden.sum()))
        rates[name] = float(outlier[:, cols].sum() / max(int(finite[:, cols].sum()), 1))
    pairs = np.array(H36M_LEFT_RIGHT_PAIRS)
    evaluable = finite[:, pairs[:, 0]] & finite[:, pairs[:, 1]]
    return ErrorTable(
        joint_sigma=sigma,
        joint_count=(top & finite).sum(0),
        visible_sigma=np.array([robust_sigma(errors[visible[:, j], j]) for j in range(H36M_NUM_JOINTS)]),
        occluded_sigma=np.array([robust_sigma(errors[~visible[:, j], j]) for j in range(H36M_NUM_JOINTS)]),
        occluded_count=(~visible & finite).sum(0),
        confidence_edges=edges,
        bin_count=np.array([(finite & (bins == b)).sum() for b in range(len(edges) + 1)]),
        bin_sigma=np.array([robust_sigma(normalised[bins == b]) for b in range(len(edges) + 1)]),
        bin_median=np.array([_median(length[finite & (bins == b)]) for b in range(len(edges) + 1)]),
        bin_outliers=np.array(
            [
                outlier[bins == b].sum() / max(int((finite & (bins == b)).sum()), 1)
                for b in range(len(edges) + 1)
            ]
        ),
        visible_confidence=visible_q,
        occluded_confidence=occluded_q,
        confidence_count=counts,
        outlier_rate=rates,
        outlier_jump=quantiles(length[outlier]),
        outlier_confidence=quantiles(conf[outlier]),
        outliers=int(outlier.sum()),
        swap_rate=float(samples.swapped[evaluable].sum() / max(int(evaluable.sum()), 1)),
        swapped_pairs=int(samples.swapped[evaluable].sum()),
        pairs=int(evaluable.sum()),
        low_confidence_share=float((conf[finite] < min_confidence).mean()),
        samples=len(errors),
    )


def table_to_dict(table: ErrorTable) -> dict[str, Any]:
    """Plain values (JSON) of an :class:`ErrorTable`."""

    def plain(value: Any) -> Any:
        if isinstance(value, np.ndarray):
            return value.tolist()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return {name: plain(getattr(table, name)) for name in table.__dataclass_fields__}
