"""Standard 3D human pose metrics: MPJPE, P-MPJPE, N-MPJPE, PCK and AUC.

All metrics share one per-joint distance computation, `joint_errors`, so the alignment that defines
each protocol (none, root, root + scale, Procrustes) lives in exactly one place. Inputs are
(N, K, 3) arrays (a single (K, 3) pose is treated as N = 1) in one unit, usually millimetres; errors
come back in that unit and PCK / AUC in percent. Inputs are validated strictly: a metric computed
over NaN, mismatched skeletons or zero frames would silently report a wrong number.
"""

from __future__ import annotations

import operator

import numpy as np

ALIGNMENTS = ("none", "root", "scale", "procrustes")

# Floor for squared norms in the scale / Procrustes fits: a degenerate frame (all joints identical)
# then gets scale 0 instead of 0 / 0 = NaN, i.e. it is mapped onto the target's centroid / root.
_EPS = 1e-12


def _validate(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return float64 (N, K, 3) copies of the inputs, or raise ValueError explaining why not."""
    p = np.asarray(pred, dtype=np.float64)
    g = np.asarray(gt, dtype=np.float64)
    if p.shape != g.shape:
        raise ValueError(f"pred and gt shapes differ: pred {p.shape}, gt {g.shape}")
    if p.ndim == 2:
        p, g = p[None], g[None]
    if p.ndim != 3 or p.shape[-1] != 3:
        raise ValueError(f"poses must have shape (N, K, 3) or (K, 3), got pred {p.shape}, gt {g.shape}")
    if p.shape[0] == 0:
        raise ValueError(f"no frames: pred {p.shape}, gt {g.shape}")
    if p.shape[1] == 0:
        raise ValueError(f"no joints: pred {p.shape}, gt {g.shape}")
    bad_p = int(np.count_nonzero(~np.isfinite(p)))
    bad_g = int(np.count_nonzero(~np.isfinite(g)))
    if bad_p or bad_g:
        raise ValueError(f"non-finite values in poses: {bad_p} in pred {p.shape}, {bad_g} in gt {g.shape}")
    return p, g


def _root_index(root: int | None, num_joints: int) -> int | None:
    """Check the root joint index against K (negative indices count from the end, as in numpy)."""
    if root is None:
        return None
    idx = operator.index(root)
    if not -num_joints <= idx < num_joints:
        raise ValueError(f"root joint {idx} out of range for {num_joints} joints")
    return idx % num_joints


def _root_align(p: np.ndarray, g: np.ndarray, root: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Subtract each frame's root joint, removing the global translation the lifter cannot know."""
    if root is None:
        return p, g
    return p - p[:, root : root + 1], g - g[:, root : root + 1]


def _procrustes(p: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Similarity-align validated (N, K, 3) `p` onto `g`, one batched SVD for all frames.

    Least-squares rotation, uniform scale and translation (Umeyama / VideoPose3D). If the SVD
    solution is a reflection (det < 0), the last singular direction is flipped so the result is a
    proper rotation: a mirrored (left/right swapped) prediction is a real error and must not score 0.
    """
    mu_p = p.mean(axis=1, keepdims=True)
    mu_g = g.mean(axis=1, keepdims=True)
    p0 = p - mu_p
    g0 = g - mu_g
    # Cross-covariance; we look for r minimising ||g0 - s * p0 @ r||: r = u @ vt with svd(p0^T g0).
    h = np.matmul(p0.transpose(0, 2, 1), g0)
    u, sing, vt = np.linalg.svd(h)
    sign = np.sign(np.linalg.det(np.matmul(u, vt)))  # +-1 per frame, never 0 for orthogonal factors
    u = u.copy()
    u[:, :, -1] *= sign[:, None]
    sing = sing.copy()
    sing[:, -1] *= sign
    rot = np.matmul(u, vt)
    var_p = np.sum(p0**2, axis=(1, 2))
    scale = sing.sum(axis=1) / np.maximum(var_p, _EPS)
    return scale[:, None, None] * np.matmul(p0, rot) + mu_g


def procrustes_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Return `pred` aligned onto `gt` per frame by rotation, uniform scale and translation, (N, K, 3)."""
    p, g = _validate(pred, gt)
    return _procrustes(p, g)


def joint_errors(
    pred: np.ndarray, gt: np.ndarray, *, alignment: str = "root", root: int | None = 0
) -> np.ndarray:
    """Per-frame, per-joint Euclidean errors (N, K) after the chosen alignment.

    The single source of the alignment protocols every metric here uses:
    "none" compares raw coordinates; "root" subtracts joint `root` from both poses (MPJPE);
    "scale" additionally rescales pred per frame by s = <pred, gt> / <pred, pred> (N-MPJPE);
    "procrustes" fits rotation, scale and translation per frame (P-MPJPE; `root` is irrelevant).
    """
    if alignment not in ALIGNMENTS:
        raise ValueError(f"unknown alignment {alignment!r}, expected one of {ALIGNMENTS}")
    p, g = _validate(pred, gt)
    if alignment == "procrustes":
        p = _procrustes(p, g)
    elif alignment != "none":
        p, g = _root_align(p, g, _root_index(root, p.shape[1]))
        if alignment == "scale":
            num = np.sum(p * g, axis=(1, 2))
            den = np.maximum(np.sum(p * p, axis=(1, 2)), _EPS)
            p = (num / den)[:, None, None] * p
    return np.linalg.norm(p - g, axis=-1)


def _mean(errors: np.ndarray, per_joint: bool) -> float | np.ndarray:
    """Average (N, K) values over frames (per_joint) or over everything (a plain float)."""
    return errors.mean(axis=0) if per_joint else float(errors.mean())


def mpjpe(
    pred: np.ndarray, gt: np.ndarray, *, root: int | None = 0, per_joint: bool = False
) -> float | np.ndarray:
    """Mean per-joint position error after root alignment (`root=None`: no alignment)."""
    return _mean(joint_errors(pred, gt, alignment="root", root=root), per_joint)


def p_mpjpe(pred: np.ndarray, gt: np.ndarray, *, per_joint: bool = False) -> float | np.ndarray:
    """MPJPE after per-frame Procrustes alignment: measures pose shape, not global placement or size."""
    return _mean(joint_errors(pred, gt, alignment="procrustes"), per_joint)


def n_mpjpe(
    pred: np.ndarray, gt: np.ndarray, *, root: int | None = 0, per_joint: bool = False
) -> float | np.ndarray:
    """MPJPE after root alignment and the per-frame least-squares scale: ignores subject-size errors."""
    return _mean(joint_errors(pred, gt, alignment="scale", root=root), per_joint)


def _check_threshold(name: str, value: float) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite non-negative number, got {value}")
    return value


def pck(
    pred: np.ndarray,
    gt: np.ndarray,
    *,
    threshold: float = 150.0,
    root: int | None = 0,
    per_joint: bool = False,
) -> float | np.ndarray:
    """Percentage of joints whose root-aligned error is <= `threshold` (3DPCK, 150 mm by default)."""
    thr = _check_threshold("threshold", threshold)
    errors = joint_errors(pred, gt, alignment="root", root=root)
    return _mean(100.0 * (errors <= thr), per_joint)


def auc(
    pred: np.ndarray,
    gt: np.ndarray,
    *,
    max_threshold: float = 150.0,
    steps: int = 31,
    root: int | None = 0,
    per_joint: bool = False,
) -> float | np.ndarray:
    """Mean PCK over np.linspace(0, max_threshold, steps): a threshold-free summary of the error curve."""
    top = _check_threshold("max_threshold", max_threshold)
    steps = operator.index(steps)
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    errors = joint_errors(pred, gt, alignment="root", root=root)
    thresholds = np.linspace(0.0, top, steps)
    # Fraction of thresholds each error passes: (N, K), then averaged like PCK.
    passed = (errors[..., None] <= thresholds).mean(axis=-1)
    return _mean(100.0 * passed, per_joint)
