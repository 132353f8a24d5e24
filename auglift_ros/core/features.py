"""Lifter inputs per feature set, with the authors' normalisation (method.md, sections 2.4-2.7).

The codec is the single definition of what a lifter sees. Training, the lifter node and offline
evaluation all call `FeatureCodec.sample_depth` and `FeatureCodec.encode`; the codec's settings
travel with the model (`to_dict` into the model file), so runtime can never disagree with training.
The lifter itself only sees a (P, K, C) array and never knows where its channels came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from auglift_ros.core.skeleton import H36M_ROOT
from auglift_ros.core.uadd import UaddParams, depth_descriptors, depth_min_v1

FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "xy": ("x", "y"),
    "xyc": ("x", "y", "c"),
    "xycd": ("x", "y", "c", "d"),  # the paper's v1: d = minimum depth within 3 px
    "uadd": ("x", "y", "c", "d", "d_min", "d_max"),
}
DEPTH_CHANNELS = ("d", "d_min", "d_max")
NO_INFORMATION = 0.0
"""Value of a channel that carries no information: missing depth, and channels zeroed by dropout
during training. Confidence is encoded as 2c - 1, so 0 there also reads as "unknown" (c = 0.5)."""
DEPTH_REFERENCES = ("min", "root")


def _box_centre_and_size(keypoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centroid (P, 2) and box size (P,) = mean of box width and height, over finite keypoints."""
    finite = np.isfinite(keypoints).all(axis=-1, keepdims=True)
    count = finite.sum(axis=1)
    centroid = np.where(finite, keypoints, 0.0).sum(axis=1) / np.maximum(count, 1)
    low = np.where(finite, keypoints, np.inf).min(axis=1)
    high = np.where(finite, keypoints, -np.inf).max(axis=1)
    size = np.where(count[:, 0] > 0, (high - low).mean(axis=-1), np.nan)
    return centroid, size


def rescale_to_box_size(keypoints: np.ndarray, target_size: float) -> tuple[np.ndarray, np.ndarray]:
    """Scale each person's keypoints about their centroid so their box size equals target_size.

    The paper's bounding-box rescaling (Algorithm 1, step 3): a person much closer to or further from
    the camera than in training is brought to the training set's mean box size. Returns the rescaled
    keypoints and the per-person scale (1 where the box is degenerate).
    """
    centroid, size = _box_centre_and_size(keypoints)
    usable = np.isfinite(size) & (size > 1e-6)
    scale = np.where(usable, target_size / np.where(usable, size, 1.0), 1.0)
    rescaled = scale[:, None, None] * (keypoints - centroid[:, None, :]) + centroid[:, None, :]
    return rescaled, scale


def mean_box_size(keypoints: np.ndarray) -> float:
    """Mean box size over many persons (N, K, 2): the b_train a codec with box rescaling needs."""
    size = _box_centre_and_size(np.asarray(keypoints, dtype=np.float64))[1]
    if not np.isfinite(size).any():
        raise ValueError("no person with finite keypoints to measure a box size from")
    return float(np.nanmean(size))


@dataclass(frozen=True)
class FeatureCodec:
    """How raw detections and depth become lifter features (and back, for x and y).

    depth_reference: "min" subtracts the person's smallest joint depth (the authors' choice),
    "root" the pelvis depth. depth_clip (m) bounds d after that; spread_clip (m) bounds d_min - d
    and d_max - d. box_rescale needs train_box_size (pixels), measured on the training set.
    """

    feature_set: str = "uadd"
    depth_reference: str = "min"
    depth_clip: float = 2.0
    spread_clip: float = 1.0
    box_rescale: bool = False
    train_box_size: float | None = None
    v1_radius: float = 3.0
    uadd: UaddParams = field(default_factory=UaddParams)

    def __post_init__(self) -> None:
        if self.feature_set not in FEATURE_SETS:
            raise ValueError(
                f"unknown feature set {self.feature_set!r}; choose one of {sorted(FEATURE_SETS)}"
            )
        if self.depth_reference not in DEPTH_REFERENCES:
            raise ValueError(
                f"depth_reference must be one of {DEPTH_REFERENCES}, got {self.depth_reference!r}"
            )
        if not (self.depth_clip > 0 and self.spread_clip > 0):
            raise ValueError(
                f"depth_clip and spread_clip must be positive, got {self.depth_clip}, {self.spread_clip}"
            )
        if self.box_rescale and not (self.train_box_size and self.train_box_size > 0):
            raise ValueError("box_rescale needs a positive train_box_size (the training set's mean box size)")

    @property
    def channels(self) -> tuple[str, ...]:
        return FEATURE_SETS[self.feature_set]

    @property
    def uses_depth(self) -> bool:
        return "d" in self.channels

    def sample_depth(
        self, depth_map: np.ndarray, keypoints: np.ndarray, confidence: np.ndarray
    ) -> np.ndarray:
        """Depth inputs this feature set needs from a metric depth map.

        (P, K, 3) UADD descriptors for "uadd", (P, K) v1 minimum depth for "xycd".
        """
        if self.feature_set == "uadd":
            return depth_descriptors(depth_map, keypoints, confidence, self.uadd).descriptors
        if self.feature_set == "xycd":
            return depth_min_v1(depth_map, keypoints, self.v1_radius)
        raise ValueError(f"feature set {self.feature_set!r} uses no depth")

    def encode(
        self,
        keypoints: np.ndarray,
        confidence: np.ndarray,
        image_size: tuple[int, int],
        depth: np.ndarray | None = None,
    ) -> np.ndarray:
        """Features (P, K, C) float32 from keypoints (P, K, 2) px, confidence (P, K), image (w, h).

        depth is what sample_depth returns (or None: every depth channel gets NO_INFORMATION).
        A missing keypoint (NaN) becomes x = y = 0 with confidence 0: "not detected" is information.
        """
        keypoints = np.asarray(keypoints, dtype=np.float64)
        confidence = np.asarray(confidence, dtype=np.float64)
        if keypoints.ndim != 3 or keypoints.shape[-1] != 2 or confidence.shape != keypoints.shape[:2]:
            raise ValueError(
                "expected keypoints (P, K, 2) and confidence (P, K), "
                f"got {keypoints.shape} and {confidence.shape}"
            )
        width, height = image_size
        if width <= 0 or height <= 0:
            raise ValueError(f"image size must be positive, got {image_size}")
        missing = ~np.isfinite(keypoints).all(axis=-1)
        if self.box_rescale:
            keypoints = rescale_to_box_size(keypoints, float(self.train_box_size))[0]
        half = np.array([width / 2.0, height / 2.0])
        xy = np.where(missing[..., None], NO_INFORMATION, (keypoints - half) / (width / 2.0))
        columns: dict[str, np.ndarray] = {"x": xy[..., 0], "y": xy[..., 1]}
        conf = np.where(missing, 0.0, np.fmin(np.fmax(confidence, 0.0), 1.0))
        columns["c"] = 2.0 * conf - 1.0
        if self.uses_depth:
            columns.update(self._depth_columns(depth, keypoints.shape[:2]))
        return np.stack([columns[name] for name in self.channels], axis=-1).astype(np.float32)

    def _depth_columns(self, depth: np.ndarray | None, shape: tuple[int, int]) -> dict[str, np.ndarray]:
        if depth is None:
            return {name: np.full(shape, NO_INFORMATION) for name in DEPTH_CHANNELS}
        depth = np.asarray(depth, dtype=np.float64)
        if depth.ndim == 2:
            depth = depth[..., None]
        if depth.shape[:2] != shape or (self.feature_set == "uadd" and depth.shape[-1] != 3):
            raise ValueError(
                f"depth inputs of shape {depth.shape} do not fit {shape} for {self.feature_set!r}"
            )
        point = depth[..., 0]
        if self.depth_reference == "min":
            with np.errstate(all="ignore"):
                reference = np.fmin.reduce(point, axis=1, keepdims=True)  # NaN-skipping minimum
            relative = np.clip(point - reference, 0.0, self.depth_clip)
        else:
            relative = np.clip(point - point[:, H36M_ROOT : H36M_ROOT + 1], -self.depth_clip, self.depth_clip)
        columns = {"d": relative}
        if depth.shape[-1] == 3:
            columns["d_min"] = np.clip(depth[..., 1] - point, -self.spread_clip, self.spread_clip)
            columns["d_max"] = np.clip(depth[..., 2] - point, -self.spread_clip, self.spread_clip)
        return {
            name: np.where(np.isfinite(values), values, NO_INFORMATION) for name, values in columns.items()
        }

    def decode_xy(self, features: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
        """Pixel keypoints (P, K, 2) back from features (before any box rescaling)."""
        width, height = image_size
        return np.asarray(features[..., :2], dtype=np.float64) * (width / 2.0) + (width / 2.0, height / 2.0)

    def channel_mask(self, names: tuple[str, ...]) -> np.ndarray:
        """Boolean (C,) mask of the named channels present in this feature set."""
        return np.array([name in names for name in self.channels])

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature_set": self.feature_set,
            "depth_reference": self.depth_reference,
            "depth_clip": self.depth_clip,
            "spread_clip": self.spread_clip,
            "box_rescale": self.box_rescale,
            "train_box_size": self.train_box_size,
            "v1_radius": self.v1_radius,
            "uadd": self.uadd.to_dict(),
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> FeatureCodec:
        values = dict(values)
        uadd = UaddParams.from_dict(values.pop("uadd", {}))
        return cls(**values, uadd=uadd)


def drop_channels(
    features: np.ndarray, mask: np.ndarray, probability: float, rng: np.random.Generator
) -> np.ndarray:
    """Training-time channel dropout: with `probability`, a sample's masked channels (all joints, and
    all frames of a temporal window) become NO_INFORMATION, so the lifter learns a defined answer when
    confidence or depth is absent. features: (B, ..., C)."""
    dropped = rng.random(features.shape[0]) < probability
    selected = dropped.reshape(-1, *[1] * (features.ndim - 1)) & np.asarray(mask, bool)
    return np.where(selected, np.asarray(NO_INFORMATION, features.dtype), features)
