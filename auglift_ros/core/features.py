"""Lifter inputs per feature set, with the authors' normalisation (method.md, sections 2.4-2.7).

The codec is the single definition of what a lifter sees. Training, the lifter node and offline
evaluation all call `FeatureCodec.sample_depth` and `FeatureCodec.encode`; the codec's settings
travel with the model (`to_dict` into the model file), so runtime can never disagree with training.
The lifter itself only sees a (P, K, C) array and never knows where its channels came from.

Two input frames (`input_frame`, recorded in every model file):

- ``"image"``: the paper's, x and y are pixels centred on the image and divided by half its width
  (optionally after box rescaling). It depends on the image size, aspect and focal length, so a model
  only fits cameras like those it was trained with; kept for the study's parity rows.
- ``"perspective_crop"``: camera-invariant. Each keypoint's ray K^-1 (u, v, 1) is rotated into a
  virtual camera that looks straight at the person's pelvis (`view_rotation`), projected, and
  divided by the joints' RMS distance from the pelvis there. Image size, aspect, focal length and
  where the person stands in the image all drop out; the lifter predicts the pose in the virtual
  camera's frame and `decode_pose` rotates it back into the real camera's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from auglift_ros.core.skeleton import H36M_ROOT
from auglift_ros.core.uadd import UaddParams, depth_descriptors, depth_min_v1, sampling_radii

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
INPUT_FRAMES = ("image", "perspective_crop")
MIN_SPREAD = 1e-6
"""Smallest 2D spread (virtual normalised units) a perspective crop divides by: a person whose
keypoints all coincide has no shape to lift, and must not produce infinities."""


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


def _rays(keypoints: np.ndarray, camera_matrix: np.ndarray) -> np.ndarray:
    """Rays (P, K, 3) with z = 1 through pixels (P, K, 2), for K (3, 3) or one per person (P, 3, 3)."""
    k = np.broadcast_to(np.asarray(camera_matrix, dtype=np.float64), (len(keypoints), 3, 3))
    pixels = np.concatenate([keypoints, np.ones((*keypoints.shape[:2], 1))], axis=-1)
    return np.einsum("pij,pkj->pki", np.linalg.inv(k), pixels)


def look_at_rotation(direction: np.ndarray) -> np.ndarray:
    """Rotations (P, 3, 3) R with R @ direction on +z, keeping the camera's x axis level.

    The virtual camera of a perspective crop: it pans and tilts (no roll) from the real camera until
    its optical axis passes through `direction` (P, 3), so p_virtual = R @ p_camera.
    """
    forward = direction / np.linalg.norm(direction, axis=-1, keepdims=True)
    right = np.cross(np.array([0.0, 1.0, 0.0]), forward)
    right /= np.linalg.norm(right, axis=-1, keepdims=True)
    down = np.cross(forward, right)
    return np.stack([right, down, forward], axis=-2)


@dataclass(frozen=True)
class FeatureCodec:
    """How raw detections and depth become lifter features (and back, for x and y).

    input_frame: "image" or "perspective_crop" (module docstring); the latter needs the camera
    matrix at encode time. depth_reference: "min" subtracts the person's smallest joint depth (the
    authors' choice), "root" the pelvis depth. depth_clip (m) bounds d after that; spread_clip (m)
    bounds d_min - d and d_max - d. box_rescale needs train_box_size (pixels), measured on the
    training set, and applies to the image frame only.
    """

    feature_set: str = "uadd"
    input_frame: str = "image"
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
        if self.input_frame not in INPUT_FRAMES:
            raise ValueError(f"input_frame must be one of {INPUT_FRAMES}, got {self.input_frame!r}")
        if self.box_rescale and not (self.train_box_size and self.train_box_size > 0):
            raise ValueError("box_rescale needs a positive train_box_size (the training set's mean box size)")
        if self.box_rescale and self.input_frame != "image":
            raise ValueError("box_rescale applies to the image input frame; a perspective crop is scale-free")

    @property
    def channels(self) -> tuple[str, ...]:
        return FEATURE_SETS[self.feature_set]

    @property
    def uses_depth(self) -> bool:
        return "d" in self.channels

    def sample_depth(
        self,
        depth_map: np.ndarray,
        keypoints: np.ndarray,
        confidence: np.ndarray,
        origins: np.ndarray | None = None,
    ) -> np.ndarray:
        """Depth inputs this feature set needs from a metric depth map (or from windows of one,
        keypoint k's starting at image point origins (P, K, 2); see core.uadd.depth_descriptors).

        (P, K, 3) UADD descriptors for "uadd", (P, K) v1 minimum depth for "xycd".
        """
        if self.feature_set == "uadd":
            return depth_descriptors(depth_map, keypoints, confidence, self.uadd, origins=origins).descriptors
        if self.feature_set == "xycd":
            return depth_min_v1(depth_map, keypoints, self.v1_radius, origins=origins)
        raise ValueError(f"feature set {self.feature_set!r} uses no depth")

    def sampling_reach(self, keypoints: np.ndarray, confidence: np.ndarray) -> np.ndarray:
        """(P, K) how far (pixels, per axis) from each keypoint's pixel sample_depth reads."""
        if self.feature_set == "uadd":
            return sampling_radii(keypoints, confidence, self.uadd) + 1.0  # + 1: pixel rounding
        if self.feature_set == "xycd":
            return np.full(np.shape(confidence), self.v1_radius)
        raise ValueError(f"feature set {self.feature_set!r} uses no depth")

    def encode(
        self,
        keypoints: np.ndarray,
        confidence: np.ndarray,
        image_size: tuple[int, int],
        depth: np.ndarray | None = None,
        camera_matrix: np.ndarray | None = None,
    ) -> np.ndarray:
        """Features (P, K, C) float32 from keypoints (P, K, 2) px, confidence (P, K), image (w, h)
        (or one size per person, (P, 2)).

        depth is what sample_depth returns (or None: every depth channel gets NO_INFORMATION).
        camera_matrix (3, 3), or one per person (P, 3, 3), is the K of the (undistorted) keypoints:
        required by the perspective crop, ignored by the image frame. A missing keypoint (NaN)
        becomes x = y = 0 with confidence 0: "not detected" is information.
        """
        keypoints = np.asarray(keypoints, dtype=np.float64)
        confidence = np.asarray(confidence, dtype=np.float64)
        if keypoints.ndim != 3 or keypoints.shape[-1] != 2 or confidence.shape != keypoints.shape[:2]:
            raise ValueError(
                "expected keypoints (P, K, 2) and confidence (P, K), "
                f"got {keypoints.shape} and {confidence.shape}"
            )
        size = np.asarray(image_size, dtype=np.float64)
        if size.shape not in ((2,), (len(keypoints), 2)) or not (size > 0).all():
            raise ValueError(f"image size must be positive (w, h), or one per person, got {image_size}")
        missing = ~np.isfinite(keypoints).all(axis=-1)
        if self.input_frame == "perspective_crop":
            xy = self._perspective_crop(keypoints, self._checked_matrix(camera_matrix, len(keypoints)))
        else:
            if self.box_rescale:
                keypoints = rescale_to_box_size(keypoints, float(self.train_box_size))[0]
            half = np.broadcast_to(size / 2.0, (len(keypoints), 2))[:, None, :]
            xy = (keypoints - half) / half[..., :1]
        xy = np.where(missing[..., None], NO_INFORMATION, xy)
        columns: dict[str, np.ndarray] = {"x": xy[..., 0], "y": xy[..., 1]}
        conf = np.where(missing, 0.0, np.fmin(np.fmax(confidence, 0.0), 1.0))
        columns["c"] = 2.0 * conf - 1.0
        if self.uses_depth:
            columns.update(self._depth_columns(depth, keypoints.shape[:2]))
        return np.stack([columns[name] for name in self.channels], axis=-1).astype(np.float32)

    @staticmethod
    def _checked_matrix(camera_matrix: np.ndarray | None, persons: int) -> np.ndarray:
        if camera_matrix is None:
            raise ValueError("a perspective-crop codec needs the camera matrix K of the keypoints")
        k = np.asarray(camera_matrix, dtype=np.float64)
        if k.shape not in ((3, 3), (persons, 3, 3)):
            raise ValueError(f"camera matrix must be (3, 3) or ({persons}, 3, 3), got {k.shape}")
        return k

    def view_rotation(self, keypoints: np.ndarray, camera_matrix: np.ndarray | None = None) -> np.ndarray:
        """Rotations (P, 3, 3) from the camera frame into the frame the lifter predicts in.

        Identity for the image frame; for the perspective crop, the virtual camera looking at the
        pelvis keypoint (at the mean of the finite keypoints when the pelvis is missing).
        """
        keypoints = np.asarray(keypoints, dtype=np.float64)
        if self.input_frame == "image":
            return np.broadcast_to(np.eye(3), (len(keypoints), 3, 3)).copy()
        rays = _rays(keypoints, self._checked_matrix(camera_matrix, len(keypoints)))
        finite = np.isfinite(rays).all(axis=-1)
        if not finite.any(axis=1).all():
            raise ValueError("a person without any finite keypoint has no direction to look at")
        mean_ray = np.where(finite[..., None], rays, 0.0).sum(axis=1) / finite.sum(axis=1)[:, None]
        root = rays[:, H36M_ROOT]
        return look_at_rotation(np.where(finite[:, H36M_ROOT, None], root, mean_ray))

    def _perspective_crop(self, keypoints: np.ndarray, camera_matrix: np.ndarray) -> np.ndarray:
        """(P, K, 2) keypoints in the virtual camera, divided by their RMS distance from its axis.

        The virtual camera looks at the pelvis, so the pelvis lands on (0, 0) by construction.
        """
        rays = _rays(keypoints, camera_matrix)
        rotated = np.einsum("pij,pkj->pki", self.view_rotation(keypoints, camera_matrix), rays)
        projected = rotated[..., :2] / rotated[..., 2:]
        finite = np.isfinite(projected).all(axis=-1)
        squared = np.where(finite, (projected**2).sum(axis=-1), 0.0).sum(axis=1)
        spread = np.sqrt(squared / np.maximum(finite.sum(axis=1), 1))
        return projected / np.fmax(spread, MIN_SPREAD)[:, None, None]

    def encode_pose(self, pose_camera: np.ndarray, rotation: np.ndarray) -> np.ndarray:
        """Root-relative poses (P, ..., 3) in the camera frame -> the lifter's frame (training targets)."""
        return np.einsum("pij,p...j->p...i", rotation, pose_camera)

    def decode_pose(self, pose: np.ndarray, rotation: np.ndarray) -> np.ndarray:
        """The lifter's output (P, ..., 3) -> root-relative poses in the camera frame."""
        return np.einsum("pji,p...j->p...i", rotation, pose)

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
        """Pixel keypoints (P, K, 2) back from image-frame features (before any box rescaling)."""
        if self.input_frame != "image":
            raise ValueError("decode_xy inverts the image input frame only")
        width, height = image_size
        return np.asarray(features[..., :2], dtype=np.float64) * (width / 2.0) + (width / 2.0, height / 2.0)

    def channel_mask(self, names: tuple[str, ...]) -> np.ndarray:
        """Boolean (C,) mask of the named channels present in this feature set."""
        return np.array([name in names for name in self.channels])

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature_set": self.feature_set,
            "input_frame": self.input_frame,
            "depth_reference": self.depth_reference,
            "depth_clip": self.depth_clip,
            "spread_clip": self.spread_clip,
            "box_rescale": self.box_rescale,
            "train_box_size": self.train_box_size,
            "v1_radius": self.v1_radius,
            "uadd": self.uadd.to_dict(),
        }

    @classmethod
    def from_settings(cls, values: dict[str, Any]) -> FeatureCodec:
        """A codec from a config's `features` section: unset settings take their defaults."""
        values = dict(values)
        uadd = UaddParams.from_dict(values.pop("uadd", {}))
        return cls(**values, uadd=uadd)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> FeatureCodec:
        """The codec a model file records; one without an input frame is refused (it cannot be
        told whether it wants image-width or camera-invariant coordinates)."""
        values = dict(values)
        if "input_frame" not in values:
            raise ValueError(
                f"the codec records no input_frame (one of {INPUT_FRAMES}): the model's input convention "
                "is unknown; re-export it with its codec's input_frame"
            )
        return cls.from_settings(values)


def drop_channels(
    features: np.ndarray, mask: np.ndarray, probability: float, rng: np.random.Generator
) -> np.ndarray:
    """Training-time channel dropout: with `probability`, a sample's masked channels (all joints, and
    all frames of a temporal window) become NO_INFORMATION, so the lifter learns a defined answer when
    confidence or depth is absent. features: (B, ..., C)."""
    dropped = rng.random(features.shape[0]) < probability
    selected = dropped.reshape(-1, *[1] * (features.ndim - 1)) & np.asarray(mask, bool)
    return np.where(selected, np.asarray(NO_INFORMATION, features.dtype), features)
