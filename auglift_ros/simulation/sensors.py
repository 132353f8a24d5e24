"""Error models of the sensors a lifter sees through: a 2D keypoint detector and a monocular depth model.

Each turns the clean output of :mod:`auglift_ros.simulation.scene` (true keypoints, rendered depth)
into what the real sensor would give; docs/simulation.md lists every parameter and its source.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
from scipy.ndimage import gaussian_filter

from auglift_ros.core.skeleton import (
    H36M_FROM_COCO_SOURCES,
    H36M_JOINT_NAMES,
    H36M_LEFT_RIGHT_PAIRS,
    H36M_NUM_JOINTS,
)
from auglift_ros.simulation.scene import DepthWindows

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


STANDARD_DETECTOR_NOISE_SCALE = 0.5
"""The default detector_noise_scale. With a measured DetectorErrorModel the jitter is the measured one
times detector_noise_scale / this, so a config's standard 0.5 means "as measured" for either model."""


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

    Error model (assumed, not measured; every shipped lifter was trained with it.
    :class:`DetectorErrorModel` is the alternative measured on a real detector):

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


_J = {name: i for i, name in enumerate(H36M_JOINT_NAMES)}
JOINT_GROUPS: dict[str, tuple[int, ...]] = {
    group: tuple(_J[name] for name in names)
    for group, names in (
        ("torso", ("pelvis", "right_hip", "left_hip", "spine", "thorax", "left_shoulder", "right_shoulder")),
        ("head", ("neck_nose", "head")),
        ("legs", ("right_knee", "right_ankle", "left_knee", "left_ankle")),
        ("arms", ("left_elbow", "left_wrist", "right_elbow", "right_wrist")),
    )
}
"""Joints that share one confidence distribution and one outlier rate in a :class:`DetectorErrorModel`:
a few hundred detections cannot fit them joint by joint, and MediaPipe's scores differ by group
(the trunk and face near 1 even when hidden, hidden limbs far lower)."""
QUANTILE_LEVELS: np.ndarray = np.array([0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0])
"""Probability levels of the quantile tables a :class:`DetectorErrorModel` draws from (inverse CDF,
linear between levels; finer in the tails, where the rare large values are)."""


def _quantiles(values: Sequence[float], what: str) -> tuple[float, ...]:
    table = tuple(float(v) for v in values)
    if len(table) != len(QUANTILE_LEVELS) or np.any(np.diff(table) < 0) or not np.all(np.isfinite(table)):
        raise ValueError(f"{what}: expected {len(QUANTILE_LEVELS)} non-decreasing quantiles, got {table}")
    return table


def place_face_keypoints(keypoints_px: np.ndarray, neck_nose_scale: float, head_scale: float) -> np.ndarray:
    """Keypoints (..., 17, 2) with neck_nose moved to ``thorax + neck_nose_scale * (neck_nose - thorax)``
    and head to ``neck_nose' + head_scale * (head - neck_nose)``: where a detector's nose and eyes sit
    relative to the mocap neck/nose and head top (1, 1: unchanged)."""
    out = np.array(keypoints_px, dtype=np.float64)
    thorax, nose, head = (out[..., _J[n], :].copy() for n in ("thorax", "neck_nose", "head"))
    out[..., _J["neck_nose"], :] = thorax + neck_nose_scale * (nose - thorax)
    out[..., _J["head"], :] = out[..., _J["neck_nose"], :] + head_scale * (head - nose)
    return out


@dataclass(frozen=True)
class DetectorErrorModel:
    """A 2D detector's errors as measured on real footage, where :func:`simulate_detector` assumes them.

    ``benchmarks/fit_detector_errors.py`` fits one to MediaPipe on multi-view footage
    (:data:`MEDIAPIPE_FITTED`; docs/simulation.md has the measured table). Per joint, in this order:

    - confidence, drawn from the measured distribution of its group (:data:`JOINT_GROUPS`), one for
      visible and one for occluded joints (quantiles at :data:`QUANTILE_LEVELS`);
    - jitter: Gaussian per axis with std ``noise_scale * s * joint_sigma[j] * noise_factors[b]``, s the
      person's keypoint-box scale and b the confidence bin (``confidence_edges``, lowest bin first):
      the error grows as the score falls, as measured, so the confidence channel tells a lifter what
      the real detector's score tells it;
    - swaps: each left/right pair exchanged with ``swap_prob``, scores swapped along;
    - gross outliers, with the group's ``outlier_prob``: the joint lands ``jump * s`` from its true
      place in a random direction (jump drawn from ``outlier_jump``), with a confidence drawn from
      ``outlier_confidence``.

    ``neck_nose_scale`` and ``head_scale`` (1: off) first move the keypoints to where the detector
    puts them rather than where the mocap joints sit: neck_nose to ``thorax + neck_nose_scale *
    (neck_nose - thorax)`` and head to ``neck_nose' + head_scale * (head - neck_nose)``, in the image.
    """

    joint_sigma: tuple[float, ...]
    confidence_edges: tuple[float, ...]
    noise_factors: tuple[float, ...]
    visible_confidence: Mapping[str, tuple[float, ...]]
    occluded_confidence: Mapping[str, tuple[float, ...]]
    outlier_prob: Mapping[str, float]
    outlier_jump: tuple[float, ...]
    outlier_confidence: tuple[float, ...]
    swap_prob: float
    neck_nose_scale: float = 1.0
    head_scale: float = 1.0
    source: str = field(default="", compare=False)
    """Where the values come from (command and data), for model cards and logs."""

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise the containers once, here
        set_(self, "joint_sigma", tuple(float(v) for v in self.joint_sigma))
        set_(self, "confidence_edges", tuple(float(v) for v in self.confidence_edges))
        set_(self, "noise_factors", tuple(float(v) for v in self.noise_factors))
        if len(self.joint_sigma) != H36M_NUM_JOINTS or min(self.joint_sigma) < 0:
            raise ValueError(f"joint_sigma: expected {H36M_NUM_JOINTS} non-negative values")
        if len(self.noise_factors) != len(self.confidence_edges) + 1 or np.any(
            np.diff(self.confidence_edges) <= 0
        ):
            raise ValueError("noise_factors needs one value per confidence bin (increasing edges + 1)")
        for name in ("visible_confidence", "occluded_confidence", "outlier_prob"):
            table = getattr(self, name)
            if set(table) != set(JOINT_GROUPS):
                raise ValueError(f"{name}: expected the groups {sorted(JOINT_GROUPS)}, got {sorted(table)}")
        set_(self, "visible_confidence", {g: _quantiles(self.visible_confidence[g], g) for g in JOINT_GROUPS})
        set_(
            self, "occluded_confidence", {g: _quantiles(self.occluded_confidence[g], g) for g in JOINT_GROUPS}
        )
        set_(self, "outlier_prob", {g: float(self.outlier_prob[g]) for g in JOINT_GROUPS})
        set_(self, "outlier_jump", _quantiles(self.outlier_jump, "outlier_jump"))
        set_(self, "outlier_confidence", _quantiles(self.outlier_confidence, "outlier_confidence"))
        probabilities = [self.swap_prob, *self.outlier_prob.values()]
        if not all(0.0 <= p <= 1.0 for p in probabilities):
            raise ValueError(f"probabilities must lie in [0, 1], got {probabilities}")

    def to_dict(self) -> dict[str, Any]:
        """Plain values (JSON): the fit command writes this, :meth:`from_dict` reads it back."""
        return {
            key: dict(value) if isinstance(value, Mapping) else value for key, value in asdict(self).items()
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> DetectorErrorModel:
        return cls(**values)

    def place_keypoints(self, keypoints_px: np.ndarray) -> np.ndarray:
        """Keypoints (..., 17, 2) with neck_nose and head moved as the detector places them."""
        return place_face_keypoints(keypoints_px, self.neck_nose_scale, self.head_scale)

    def _per_joint(self, table: Mapping[str, float]) -> np.ndarray:
        values = np.empty(H36M_NUM_JOINTS)
        for group, joints in JOINT_GROUPS.items():
            values[list(joints)] = table[group]
        return values

    def draw_confidence(self, visible: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Scores (P, 17) drawn from the group's visible or occluded distribution."""
        visible = np.asarray(visible, dtype=bool)
        level = rng.uniform(size=visible.shape)
        confidence = np.empty(visible.shape)
        for group, joints in JOINT_GROUPS.items():
            cols = list(joints)
            seen = np.interp(level[:, cols], QUANTILE_LEVELS, self.visible_confidence[group])
            hidden = np.interp(level[:, cols], QUANTILE_LEVELS, self.occluded_confidence[group])
            confidence[:, cols] = np.where(visible[:, cols], seen, hidden)
        return confidence

    def noise_factor(self, confidence: np.ndarray) -> np.ndarray:
        """The jitter factor of each score's confidence bin."""
        return np.asarray(self.noise_factors)[
            np.searchsorted(self.confidence_edges, confidence, side="right")
        ]

    def simulate(
        self,
        keypoints_px: np.ndarray,
        visible: np.ndarray,
        person_scale_px: np.ndarray,
        rng: np.random.Generator,
        *,
        noise_scale: float = 1.0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Detections (P, 17, 2) and confidences (P, 17) in [0, 1], as :func:`simulate_detector` returns
        them; ``noise_scale`` multiplies the jitter (1: as measured)."""
        keypoints = self.place_keypoints(keypoints_px)
        scale = np.asarray(person_scale_px, dtype=np.float64)[:, None]
        shape = keypoints.shape[:2]
        confidence = self.draw_confidence(visible, rng)
        std = noise_scale * scale * np.asarray(self.joint_sigma) * self.noise_factor(confidence)
        detected = keypoints + rng.normal(size=(*shape, 2)) * std[..., None]

        swap = rng.uniform(size=(shape[0], len(H36M_LEFT_RIGHT_PAIRS))) < self.swap_prob
        detected = _swap_pairs(detected, swap[..., None])
        confidence = _swap_pairs(confidence, swap)

        outlier = rng.uniform(size=shape) < self._per_joint(self.outlier_prob)
        jump = np.interp(rng.uniform(size=shape), QUANTILE_LEVELS, self.outlier_jump) * scale
        angle = rng.uniform(0.0, 2.0 * np.pi, shape)
        offset = jump[..., None] * np.stack([np.cos(angle), np.sin(angle)], axis=-1)
        detected = np.where(outlier[..., None], keypoints + offset, detected)
        wrong = np.interp(rng.uniform(size=shape), QUANTILE_LEVELS, self.outlier_confidence)
        confidence = np.where(outlier, wrong, confidence)
        return detected, np.clip(confidence, 0.0, 1.0)


# Fitted by `.venv/bin/python benchmarks/fit_detector_errors.py --out DIR` (DIR/fitted_model.json) on
# pose2sim 0.10.49's Demo_MultiPerson: MediaPipe 0.10.21 Pose (tracking, as the detector node runs it)
# on the composited person, 362 detections in four views. docs/simulation.md has the measured table,
# the calibration check and what stays assumed (one standing person, 1.7 s: a small sample).
MEDIAPIPE_FITTED = DetectorErrorModel(
    joint_sigma=(
        0.0189, 0.032, 0.0096, 0.0205, 0.0274, 0.0159, 0.0206, 0.0046, 0.0138, 0.0167, 0.0171,
        0.0199, 0.0194, 0.0236, 0.0199, 0.0166, 0.0169,
    ),
    confidence_edges=(0.5, 0.7, 0.9),
    noise_factors=(3.3034, 1.9637, 1.4687, 1.0),
    visible_confidence={
        "torso": (
            0.9962, 0.9978, 0.9985, 0.9992, 0.9994, 0.9996, 0.9996,
            0.9997, 0.9998, 0.9999, 1.0, 1.0, 1.0,
        ),
        "head": (
            0.9827, 0.9964, 0.9986, 0.9991, 0.9995, 0.9995, 0.9996,
            0.9997, 0.9998, 0.9999, 0.9999, 1.0, 1.0,
        ),
        "legs": (
            0.55, 0.7364, 0.7723, 0.8745, 0.9232, 0.9455, 0.9683,
            0.9763, 0.982, 0.987, 0.9915, 0.9934, 0.9965,
        ),
        "arms": (
            0.0632, 0.4491, 0.5249, 0.67, 0.791, 0.8485, 0.9144,
            0.9387, 0.9671, 0.9884, 0.9962, 0.9975, 0.9984,
        ),
    },
    occluded_confidence={
        "torso": (
            0.9959, 0.998, 0.9986, 0.9991, 0.9992, 0.9993, 0.9994,
            0.9995, 0.9996, 0.9997, 0.9998, 0.9998, 1.0,
        ),
        "head": (
            0.9951, 0.9966, 0.9986, 0.9992, 0.9993, 0.9994, 0.9995,
            0.9996, 0.9997, 0.9997, 0.9997, 0.9997, 0.9997,
        ),
        "legs": (
            0.6139, 0.6968, 0.71, 0.7853, 0.8414, 0.9698, 0.9753,
            0.9778, 0.9826, 0.9847, 0.9865, 0.9869, 0.9879,
        ),
        "arms": (
            0.0274, 0.0357, 0.057, 0.0828, 0.143, 0.3719, 0.4759,
            0.5844, 0.6586, 0.7971, 0.9226, 0.9664, 0.9981,
        ),
    },
    outlier_prob={"torso": 0.0002, "head": 0.0, "legs": 0.0306, "arms": 0.0509},
    outlier_jump=(
        0.2013, 0.2086, 0.2122, 0.2251, 0.2363, 0.251, 0.2681,
        0.2858, 0.3066, 0.3418, 0.4131, 0.445, 0.5192,
    ),
    outlier_confidence=(
        0.0705, 0.3534, 0.4745, 0.5449, 0.6155, 0.6496, 0.7871,
        0.8285, 0.903, 0.9817, 0.9917, 0.9941, 0.9997,
    ),
    swap_prob=0.0002,
    source="benchmarks/fit_detector_errors.py on pose2sim 0.10.49 Demo_MultiPerson (the composited person), "
    "MediaPipe 0.10.21 Pose (model_complexity 1, tracking)",
)  # fmt: skip
"""MediaPipe's errors as measured (no joint offsets)."""
MEDIAPIPE_FITTED_OFFSETS = replace(MEDIAPIPE_FITTED, neck_nose_scale=1.777, head_scale=0.273)
"""The same with MediaPipe's nose and eyes where the mocap skeleton has neck_nose and head top (the
triangulated MediaPipe skeleton's thorax -> nose and nose -> eyes over the rest skeleton's, in trunk
lengths; the same fit command prints them)."""


@dataclass(frozen=True)
class AssumedDetector:
    """:func:`simulate_detector`'s assumed errors on keypoints placed as a real detector places them.

    Every detector the node runs (MediaPipe, RTMPose's COCO set) reports a nose and eyes, never a head
    top, so its neck_nose and head keypoints sit where :data:`MEDIAPIPE_FITTED_OFFSETS` measured them,
    not on the mocap joints the plain assumed model (``None``) jitters.
    """

    neck_nose_scale: float
    head_scale: float

    def simulate(
        self,
        keypoints_px: np.ndarray,
        visible: np.ndarray,
        person_scale_px: np.ndarray,
        rng: np.random.Generator,
        *,
        noise_scale: float = 1.0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`DetectorErrorModel.simulate`; ``noise_scale`` 1 is the standard assumed jitter."""
        placed = place_face_keypoints(keypoints_px, self.neck_nose_scale, self.head_scale)
        return simulate_detector(
            placed, visible, person_scale_px, rng, noise_scale=noise_scale * STANDARD_DETECTOR_NOISE_SCALE
        )


Detector = DetectorErrorModel | AssumedDetector | None
"""One detector's error model; None is :func:`simulate_detector`'s assumed one on the mocap joints."""

DETECTOR_MODELS: dict[str, Detector] = {
    "assumed": None,
    "assumed_offsets": AssumedDetector(
        MEDIAPIPE_FITTED_OFFSETS.neck_nose_scale, MEDIAPIPE_FITTED_OFFSETS.head_scale
    ),
    "mediapipe": MEDIAPIPE_FITTED,
    "mediapipe_offsets": MEDIAPIPE_FITTED_OFFSETS,
}
"""Detector error models by name (for training configs): "assumed" is :func:`simulate_detector`'s,
"assumed_offsets" the same with the face keypoints where detectors put them."""


def detector_error_model(name: str) -> Detector:
    """The model of :data:`DETECTOR_MODELS` called ``name`` (ValueError naming the choices)."""
    if name not in DETECTOR_MODELS:
        raise ValueError(f"unknown detector error model {name!r}; choose one of {sorted(DETECTOR_MODELS)}")
    return DETECTOR_MODELS[name]


@dataclass(frozen=True)
class DetectorMixture:
    """Several detectors' error models, one drawn per frame (per take for clips).

    A lifter trained on one model learns its confidence scale and swap rate as if every detector had
    them (docs/results.md section 5: each model was best only under its own errors); a mixture does not.
    Each component is (model name, noise scale, weight); the noise scale is in detector_noise_scale's
    units (:data:`STANDARD_DETECTOR_NOISE_SCALE` = the standard jitter).
    """

    components: tuple[tuple[str, float, float], ...]

    def __post_init__(self) -> None:
        if not self.components:
            raise ValueError("a detector mixture needs at least one component")
        for name, noise_scale, weight in self.components:
            detector_error_model(name)
            if noise_scale < 0 or weight <= 0:
                raise ValueError(
                    f"detector mixture component {name!r}: noise_scale must be >= 0 and weight > 0, "
                    f"got {noise_scale} and {weight}"
                )

    def draw(self, rng: np.random.Generator, noise_scale: float) -> tuple[Detector, float]:
        """A component's model and its noise scale times ``noise_scale / STANDARD_DETECTOR_NOISE_SCALE``."""
        weights = np.array([weight for _, _, weight in self.components])
        name, component_scale, _ = self.components[rng.choice(len(weights), p=weights / weights.sum())]
        return detector_error_model(name), component_scale * noise_scale / STANDARD_DETECTOR_NOISE_SCALE


def _smooth_field(
    rng: np.random.Generator,
    shape: tuple[int, int],
    std: float,
    step_px: float,
    coordinates: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Random field over an image of ``shape``: Gaussian values on a grid of spacing step_px,
    bilinearly interpolated, at every pixel (H, W) or at the pixels ``coordinates`` = (rows, cols).

    The whole image is written as two small interpolation matrices (wy @ grid @ wx.T) so the cost does
    not depend on the grid spacing; the std is `std` at grid nodes and about 0.7 x std midway.
    """
    step = max(step_px, 1.0)
    height, width = shape
    grid = rng.normal(0.0, std, (int(height / step) + 2, int(width / step) + 2))
    if coordinates is not None:
        rows, cols = (
            np.clip(np.asarray(c, dtype=np.float64) / step, 0.0, n - 1.0)
            for c, n in zip(coordinates, grid.shape, strict=True)
        )
        r0 = np.minimum(rows.astype(int), grid.shape[0] - 2)
        c0 = np.minimum(cols.astype(int), grid.shape[1] - 2)
        fr, fc = rows - r0, cols - c0
        return (
            grid[r0, c0] * (1 - fr) * (1 - fc)
            + grid[r0 + 1, c0] * fr * (1 - fc)
            + grid[r0, c0 + 1] * (1 - fr) * fc
            + grid[r0 + 1, c0 + 1] * fr * fc
        )

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
    windows: DepthWindows | None = None,
    image_shape: tuple[int, int] | None = None,
) -> np.ndarray:
    """A metric monocular depth estimate (H, W) float32 of a clean depth image, or of windows of one:
    ``depth`` is then ``windows.depth`` (from ``scene.render_depth_windows``) and ``image_shape`` the
    image's (H, W); the estimate is NaN beyond the image edge, where nothing exists.

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
    if (windows is None) != (image_shape is None):
        raise ValueError("depth windows need the image_shape they come from, and only they do")
    depth = np.asarray(depth, dtype=np.float64)
    if windows is not None and windows.depth.shape != depth.shape:
        raise ValueError(f"depth {depth.shape} is not the shape of its windows {windows.depth.shape}")
    # The windows sit side by side; each one's blur reads at most a few sigma into its neighbour,
    # and samples lie further than that from a window's edge.
    blurred = gaussian_filter(depth, edge_blur_px, mode="nearest") if edge_blur_px > 0 else depth
    scale = np.exp(rng.normal(0.0, scale_std * error_scale))
    shift = rng.normal(0.0, shift_std * error_scale)
    coordinates = None if windows is None else (windows.rows, windows.cols)
    field = _smooth_field(
        rng, image_shape or depth.shape, smooth_noise_std * error_scale, smooth_noise_px, coordinates
    )
    noise = 1.0 + field + rng.normal(0.0, noise_std * error_scale, depth.shape)
    estimate = np.maximum((blurred * scale + shift) * noise, 1e-3).astype(np.float32)
    if windows is not None:
        estimate[~windows.inside] = np.nan
    return estimate
