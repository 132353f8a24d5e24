"""Uncertainty-aware depth descriptors (UADD): depth statistics around each 2D keypoint.

For every keypoint the depth map is sampled inside a disk whose radius grows as detector confidence
falls (method.md, section 2.3): r = clip(k * S * (1 + beta * (1 - c)) ** gamma, r_min, r_max), S the
torso length in pixels. The descriptor is (d, d_min, d_max): the depth at the keypoint pixel and the
10th / 90th percentiles of the disk samples. The authors draw 100 random points per disk in a Python
loop; here a fixed sunflower pattern of the same size is scaled by each radius, so the result is
deterministic and the whole batch (persons x joints x samples) is one gather and one sort.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from functools import cache
from typing import NamedTuple

import numpy as np

from auglift_ros.core.skeleton import H36M_PELVIS, H36M_THORAX

_GOLDEN_ANGLE = np.pi * (3.0 - np.sqrt(5.0))


@dataclass(frozen=True)
class UaddParams:
    """Constants of the descriptor; defaults are the authors' (method.md, section 2.3)."""

    k: float = 0.04
    beta: float = 3.0
    gamma: float = 1.5
    r_min: float = 3.0
    r_max: float = 30.0
    low_percentile: float = 10.0
    high_percentile: float = 90.0
    num_samples: int = 100
    torso_joints: tuple[int, int] = (H36M_PELVIS, H36M_THORAX)

    def __post_init__(self) -> None:
        for name in ("k", "r_min", "r_max"):
            if not np.isfinite(getattr(self, name)) or getattr(self, name) <= 0:
                raise ValueError(
                    f"UADD parameter {name} must be a positive number, got {getattr(self, name)}"
                )
        if self.r_min > self.r_max:
            raise ValueError(f"UADD r_min ({self.r_min}) must not exceed r_max ({self.r_max})")
        if self.beta < 0 or self.gamma <= 0:
            raise ValueError(f"UADD needs beta >= 0 and gamma > 0, got beta={self.beta}, gamma={self.gamma}")
        if not 0 <= self.low_percentile <= self.high_percentile <= 100:
            raise ValueError(
                "UADD percentiles must satisfy 0 <= low <= high <= 100, "
                f"got {self.low_percentile}, {self.high_percentile}"
            )
        if self.num_samples < 2:
            raise ValueError(f"UADD num_samples must be at least 2, got {self.num_samples}")
        object.__setattr__(self, "torso_joints", tuple(int(j) for j in self.torso_joints))

    def to_dict(self) -> dict:
        return {**asdict(self), "torso_joints": list(self.torso_joints)}

    @classmethod
    def from_dict(cls, values: dict) -> UaddParams:
        return cls(**{**values, "torso_joints": tuple(values.get("torso_joints", cls.torso_joints))})


DEFAULT_UADD_PARAMS = UaddParams()


class DepthDescriptors(NamedTuple):
    """Result of depth_descriptors: unpacks as (descriptors, radii)."""

    descriptors: np.ndarray
    """(P, K, 3) float32: d, d_min, d_max in the depth map's unit; NaN where no valid sample."""
    radii: np.ndarray
    """(P, K) float32 sampling radius in pixels."""

    @property
    def valid(self) -> np.ndarray:
        """(P, K) bool: the joint had at least one valid depth sample."""
        return np.isfinite(self.descriptors[..., 0])


@cache
def sunflower_offsets(num_samples: int) -> np.ndarray:
    """Unit-disk sample pattern (N, 2), ordered by distance from the centre; sample 0 is the centre.

    Sunflower (Vogel) spirals cover a disk with near-uniform density, so percentiles over the samples
    approximate percentiles over the disk's area.
    """
    index = np.arange(num_samples)
    rho = np.sqrt(index / (num_samples - 1))
    theta = index * _GOLDEN_ANGLE
    offsets = np.stack([rho * np.cos(theta), rho * np.sin(theta)], axis=-1)
    offsets.setflags(write=False)
    return offsets


def _check_inputs(
    depth: np.ndarray, keypoints: np.ndarray, confidence: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    depth = np.asarray(depth)
    keypoints = np.asarray(keypoints, dtype=np.float64)
    if depth.ndim != 2:
        raise ValueError(f"depth must be a 2D (H, W) map, got shape {depth.shape}")
    if keypoints.ndim != 3 or keypoints.shape[-1] != 2:
        raise ValueError(f"keypoints must have shape (P, K, 2), got {keypoints.shape}")
    if confidence is not None:
        confidence = np.asarray(confidence, dtype=np.float64)
        if confidence.shape != keypoints.shape[:2]:
            raise ValueError(
                f"confidence shape {confidence.shape} does not match keypoints {keypoints.shape[:2]}"
            )
    return depth, keypoints, confidence


def _gather(depth: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Depth at the pixels nearest to points (..., 2) = (x, y); returns (values, valid).

    Pixel centres sit at integer coordinates (OpenCV convention). Samples outside the image and
    NaN, inf or non-positive depth are invalid.
    """
    height, width = depth.shape
    pixel = np.floor(points + 0.5).astype(np.intp)
    col, row = pixel[..., 0], pixel[..., 1]
    # Negative indices wrap to huge unsigned values, so one comparison per axis bounds-checks both ends.
    inside = (col.astype(np.uintp) < width) & (row.astype(np.uintp) < height)
    values = depth.reshape(-1)[np.where(inside, row * width + col, 0)]
    valid = inside & np.isfinite(values) & (values > 0)
    return values, valid


def sampling_radii(keypoints: np.ndarray, confidence: np.ndarray, params: UaddParams) -> np.ndarray:
    """Per-joint disk radius (P, K) in pixels from torso length and confidence.

    A person whose torso joints are missing has no scale; their radii fall back to r_max, the widest
    (most uncertain) neighbourhood.
    """
    pelvis, thorax = params.torso_joints
    torso = np.linalg.norm(keypoints[:, thorax] - keypoints[:, pelvis], axis=-1)
    torso = np.where(np.isfinite(torso), torso, np.inf)
    conf = np.fmin(np.fmax(confidence, 0.0), 1.0)  # fmax maps NaN confidence to 0
    radius = params.k * torso[:, None] * (1.0 + params.beta * (1.0 - conf)) ** params.gamma
    return np.minimum(np.maximum(radius, params.r_min), params.r_max)


def _order_statistics(sorted_values: np.ndarray, count: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """np.percentile(method='linear') at each quantile over the first `count` entries of each
    sorted row: rows (R, N) -> (R, Q), with one fancy-index gather for all quantiles."""
    last = np.maximum(count - 1, 0)[:, None]
    position = quantiles * last
    low = position.astype(np.intp)  # floor: position >= 0
    high = np.minimum(low + 1, last)
    rows = np.arange(sorted_values.shape[0])[:, None]
    picked = sorted_values[rows, np.concatenate([low, high], axis=1)]
    num_q = quantiles.shape[0]
    v_low, v_high = picked[:, :num_q], picked[:, num_q:]
    return v_low + (position - low) * (v_high - v_low)


def depth_descriptors(
    depth: np.ndarray,
    keypoints: np.ndarray,
    confidence: np.ndarray,
    params: UaddParams | None = None,
    *,
    origins: np.ndarray | None = None,
    **overrides: float,
) -> DepthDescriptors:
    """UADD (d, d_min, d_max) per keypoint, vectorised over persons and joints.

    depth: (H, W) metric depth; keypoints: (P, K, 2) pixels (x, y); confidence: (P, K) in [0, 1].
    Keyword overrides replace UaddParams fields (e.g. k=0.05). d is the depth at the keypoint pixel,
    or at the nearest valid sample of the disk when that pixel is invalid. origins (P, K, 2): depth
    holds windows of the image, keypoint k's disk read from the window whose pixel (0, 0) is image
    point origins[p, k] (the training simulation renders only those windows).
    """
    settings = params or DEFAULT_UADD_PARAMS
    if overrides:
        settings = replace(settings, **overrides)
    depth, keypoints, confidence = _check_inputs(depth, keypoints, confidence)
    num_persons, num_joints = keypoints.shape[:2]
    if num_persons == 0 or num_joints == 0:
        return DepthDescriptors(
            np.zeros((num_persons, num_joints, 3), np.float32),
            np.zeros((num_persons, num_joints), np.float32),
        )
    radii = sampling_radii(keypoints, confidence, settings)
    offsets = sunflower_offsets(settings.num_samples)
    points = keypoints[:, :, None, :] + radii[:, :, None, None] * offsets
    if origins is not None:
        points = points - np.asarray(origins, dtype=np.float64)[:, :, None, :]
    values, valid = _gather(depth, points.reshape(-1, settings.num_samples, 2))
    count = valid.sum(axis=-1)
    rows = np.arange(values.shape[0])
    d = values[rows, np.argmax(valid, axis=-1)]  # first valid sample: the centre when it is valid
    ordered = np.sort(np.where(valid, values, np.nan), axis=-1)  # NaN sorts last
    quantiles = np.array([settings.low_percentile, settings.high_percentile]) / 100.0
    spread = _order_statistics(ordered, count, quantiles)
    descriptors = np.empty((values.shape[0], 3), np.float32)
    descriptors[:, 0] = d
    descriptors[:, 1:] = spread
    descriptors[count == 0] = np.nan
    return DepthDescriptors(descriptors.reshape(num_persons, num_joints, 3), radii.astype(np.float32))


@cache
def _disk_pixel_offsets(radius: float) -> np.ndarray:
    """Integer pixel offsets (M, 2) within a disk of the given radius."""
    reach = int(np.floor(radius))
    grid = np.arange(-reach, reach + 1)
    dx, dy = np.meshgrid(grid, grid)
    inside = dx**2 + dy**2 <= radius**2
    offsets = np.stack([dx[inside], dy[inside]], axis=-1).astype(np.float64)
    offsets.setflags(write=False)
    return offsets


def depth_min_v1(
    depth: np.ndarray, keypoints: np.ndarray, radius: float = 3.0, *, origins: np.ndarray | None = None
) -> np.ndarray:
    """The paper's v1 descriptor: minimum depth over every pixel within `radius` px; (P, K), NaN if
    none. origins: as for :func:`depth_descriptors` (integer window origins)."""
    depth, keypoints, _ = _check_inputs(depth, keypoints, None)
    if not np.isfinite(radius) or radius < 0:
        raise ValueError(f"v1 radius must be a non-negative number, got {radius}")
    points = np.floor(keypoints + 0.5)[:, :, None, :] + _disk_pixel_offsets(float(radius))
    if origins is not None:
        points = points - np.asarray(origins, dtype=np.float64)[:, :, None, :]
    values, valid = _gather(depth, points)
    nearest = np.where(valid, values, np.inf).min(axis=-1, initial=np.inf)
    return np.where(np.isfinite(nearest), nearest, np.nan).astype(np.float32)
