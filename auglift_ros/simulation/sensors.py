"""Error models of the sensors a lifter sees through: a 2D keypoint detector and a monocular depth model.

Each turns the clean output of :mod:`auglift_ros.simulation.scene` (true keypoints, rendered depth)
into what the real sensor would give; docs/simulation.md lists every parameter and its source.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from auglift_ros.core.skeleton import H36M_FROM_COCO_SOURCES, H36M_LEFT_RIGHT_PAIRS, H36M_NUM_JOINTS

COCO_KEYPOINT_SIGMAS: np.ndarray = np.array(
    [0.026, 0.025, 0.025, 0.035, 0.035, 0.079, 0.079, 0.072, 0.072, 0.062, 0.062, 0.107, 0.107, 0.087, 0.087,
     0.089, 0.089]
)  # fmt: skip
"""Per-keypoint OKS sigmas of COCO-17 (cocoapi ``COCOeval``): annotator spread relative to person size."""
H36M_KEYPOINT_SIGMAS: np.ndarray = np.array(
    [COCO_KEYPOINT_SIGMAS[list(j)].mean() for j in H36M_FROM_COCO_SOURCES]
)
"""COCO sigmas mapped to H36M-17; a joint built from several COCO joints takes their mean."""


def keypoint_box_scale(keypoints_px: np.ndarray) -> np.ndarray:
    """Person size in pixels (P,): sqrt of the keypoints' bounding-box area (NaN keypoints ignored).

    A stand-in for COCO's OKS scale s = sqrt(segment area), which needs a silhouette.
    """
    span = np.nanmax(keypoints_px, axis=-2) - np.nanmin(keypoints_px, axis=-2)
    return np.sqrt(span[..., 0] * span[..., 1])


def _swap_pairs(values: np.ndarray, swap: np.ndarray) -> np.ndarray:
    """Exchange left/right joints (axis 1) of values where swap (P, pairs[, 1]) is True."""
    left, right = np.array(H36M_LEFT_RIGHT_PAIRS).T
    out = values.copy()
    out[:, left] = np.where(swap, values[:, right], values[:, left])
    out[:, right] = np.where(swap, values[:, left], values[:, right])
    return out


def simulate_detector(
    keypoints_px: np.ndarray,
    visible: np.ndarray,
    person_scale_px: np.ndarray,
    rng: np.random.Generator,
    *,
    noise_scale: float = 1.0,
    occluded_noise_factor: float = 3.0,
    occluded_confidence: float = 0.5,
    confidence_noise_std: float = 0.05,
    swap_prob: float = 0.02,
    outlier_prob: float = 0.01,
    outlier_confident_prob: float = 0.25,
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy 2D detections (P, 17, 2) and confidences (P, 17) in [0, 1] from true keypoints.

    Error model (a first version; a later issue calibrates it on real detector output):

    - jitter: Gaussian per axis with std ``noise_scale * s * sigma_j`` (s = ``person_scale_px``,
      sigma_j = :data:`H36M_KEYPOINT_SIGMAS`). COCO's OKS treats ``s * 2 sigma_j`` as the annotators'
      spread, so ``noise_scale = 1`` gives a mean per-keypoint OKS of 1 / (1 + 2/8) = 0.8, comparable
      to strong top-down detectors such as RTMPose-L (COCO val AP ~0.76);
    - occluded or cropped joints (``visible`` False) get ``occluded_noise_factor`` (3x) that std, as
      detectors must guess them from context;
    - confidence: the OKS of the drawn error, ``exp(-e^2 / (2 (2 s sigma_j)^2))``, times
      ``occluded_confidence`` (0.5) for occluded joints, plus Gaussian noise (std 0.05, a detector does
      not know its exact error), clipped to [0, 1];
    - swaps: each left/right joint pair of a person is exchanged with probability ``swap_prob`` (2%),
      keeping the scores, since detectors are usually confident in a left/right inversion (Ronchi and
      Perona, ICCV 2017: inversions and swaps are a main error class after jitter);
    - outliers: with probability ``outlier_prob`` (1%) a joint jumps 0.3..1.0 s away in a random
      direction; its confidence is low (0..0.3) except for a fraction ``outlier_confident_prob``
      (25%) of confident mistakes (0.5..0.9).
    """
    keypoints_px = np.asarray(keypoints_px, dtype=np.float64)
    visible = np.asarray(visible, dtype=bool)
    scale = np.asarray(person_scale_px, dtype=np.float64)[:, None]
    n_persons = keypoints_px.shape[0]
    shape = (n_persons, H36M_NUM_JOINTS)

    std = noise_scale * scale * H36M_KEYPOINT_SIGMAS * np.where(visible, 1.0, occluded_noise_factor)
    error = rng.normal(size=(*shape, 2)) * std[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        oks = np.exp(-np.sum(error**2, axis=-1) / (2.0 * (2.0 * scale * H36M_KEYPOINT_SIGMAS) ** 2))
    oks = np.nan_to_num(oks, nan=0.0)
    confidence = oks * np.where(visible, 1.0, occluded_confidence)
    confidence += rng.normal(0.0, confidence_noise_std, shape)
    detected = keypoints_px + error

    swap = rng.uniform(size=(n_persons, len(H36M_LEFT_RIGHT_PAIRS))) < swap_prob
    detected = _swap_pairs(detected, swap[..., None])
    confidence = _swap_pairs(confidence, swap)

    outlier = rng.uniform(size=shape) < outlier_prob
    jump = rng.uniform(0.3, 1.0, shape) * scale
    angle = rng.uniform(0.0, 2.0 * np.pi, shape)
    confident = rng.uniform(size=shape) < outlier_confident_prob
    outlier_conf = np.where(confident, rng.uniform(0.5, 0.9, shape), rng.uniform(0.0, 0.3, shape))
    offset = jump[..., None] * np.stack([np.cos(angle), np.sin(angle)], axis=-1)
    detected = np.where(outlier[..., None], keypoints_px + offset, detected)
    confidence = np.where(outlier, outlier_conf, confidence)
    return detected, np.clip(confidence, 0.0, 1.0)


def _smooth_field(rng: np.random.Generator, shape: tuple[int, ...], std: float, step_px: float) -> np.ndarray:
    """Random field (H, W): Gaussian values on a grid of spacing step_px, bilinearly interpolated.

    Written as two small interpolation matrices (wy @ grid @ wx.T) so the cost does not depend on
    the grid spacing; the std is `std` at grid nodes and about 0.7 x std midway between them.
    """
    step = max(step_px, 1.0)
    height, width = shape
    grid = rng.normal(0.0, std, (int(height / step) + 2, int(width / step) + 2))

    def tent(size: int, nodes: int) -> np.ndarray:
        return np.maximum(0.0, 1.0 - np.abs(np.arange(size)[:, None] / step - np.arange(nodes)[None, :]))

    return tent(height, grid.shape[0]) @ grid @ tent(width, grid.shape[1]).T


def simulate_monocular_depth(
    depth: np.ndarray,
    rng: np.random.Generator,
    *,
    error_scale: float = 1.0,
    scale_std: float = 0.06,
    shift_std: float = 0.03,
    smooth_noise_std: float = 0.04,
    smooth_noise_px: float = 48.0,
    noise_std: float = 0.01,
    edge_blur_px: float = 1.5,
) -> np.ndarray:
    """A metric monocular depth estimate (H, W) float32 of a clean depth image.

    Errors, in order: a Gaussian blur of ``edge_blur_px`` pixels (networks mix foreground and
    background depth across boundaries, which hurts thin limbs most); a per-image scale error
    ``exp(N(0, scale_std))`` (metric scale is the dominant monocular error); a per-image shift
    ``N(0, shift_std)`` metres; a smooth multiplicative error field of std ``smooth_noise_std`` and
    correlation length about ``smooth_noise_px`` (monocular networks err in low-frequency "wobbles"
    over surfaces, not independently per pixel: independent 5 % noise would put a median 25 cm of
    error between two points of one body 5 m away, far worse than their relative depth is
    estimated); and a little per-pixel noise ``1 + N(0, noise_std)``. ``error_scale`` multiplies
    every error term above (0: the blurred clean depth), for curves of error against depth quality.

    Defaults give a mean AbsRel of about 0.06 over generated scenes (the tests check 0.05-0.08; one
    image varies more with its scale draw), the level Depth Anything V2's metric models report on
    NYUv2 and KITTI (AbsRel roughly 0.05-0.07; Yang et al., "Depth Anything V2", NeurIPS 2024). These
    figures are approximate; a later issue calibrates the model against the published tables.
    """
    depth = np.asarray(depth, dtype=np.float64)
    blurred = gaussian_filter(depth, edge_blur_px, mode="nearest") if edge_blur_px > 0 else depth
    scale = np.exp(rng.normal(0.0, scale_std * error_scale))
    shift = rng.normal(0.0, shift_std * error_scale)
    field = _smooth_field(rng, depth.shape, smooth_noise_std * error_scale, smooth_noise_px)
    noise = 1.0 + field + rng.normal(0.0, noise_std * error_scale, depth.shape)
    return np.maximum((blurred * scale + shift) * noise, 1e-3).astype(np.float32)
