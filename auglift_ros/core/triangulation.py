"""Multi-view geometry for calibrated cameras: undistortion, weighted linear triangulation, reprojection.

Everything is vectorised over any leading shape (frames, joints): pixels are (V, ..., 2) with V views
first, so one call triangulates a whole video. Projections are 3x4 matrices P = K [R | t] of ideal
pinhole cameras (x right, y down, z forward); detections from real lenses are first mapped into those
ideal images with :func:`undistort_pixels`. numpy only, except :func:`undistort_pixels`, which uses
OpenCV's iterative inversion of its own distortion model so the two always agree.
"""

from __future__ import annotations

import numpy as np

DEFAULT_MIN_CONFIDENCE = 0.1
"""Views below this confidence do not vote. Low, because the weights already discount weak views;
the cut only drops detections that carry no information (MediaPipe's visibility of a joint it guessed
off-image is near 0)."""


def undistort_pixels(
    pixels: np.ndarray,
    K: np.ndarray,  # noqa: N803 (the standard name of the intrinsic matrix)
    dist: np.ndarray,
    *,
    iterations: int = 50,
) -> np.ndarray:
    """Pixels (..., 2) of a distorted image -> pixels of the ideal pinhole image with the same K.

    Staying in pixels (rather than normalised coordinates) keeps one unit for every view, so
    confidence weights and reprojection errors mean the same in all of them, and the triangulation
    needs only P = K [R | t]. ``dist`` is OpenCV's (k1, k2, p1, p2[, k3, ...]). OpenCV inverts the
    distortion iteratively; its default of 5 iterations leaves sub-pixel errors near the image
    corners of wide lenses, so this asks for up to ``iterations`` (or a 1e-12 change). NaN pixels stay NaN.
    """
    import cv2  # OpenCV (with mediapipe, or headless): only this function needs it

    pixels = np.asarray(pixels, dtype=np.float64)
    if pixels.shape[-1] != 2:
        raise ValueError(f"expected pixels (..., 2), got shape {pixels.shape}")
    K = np.asarray(K, dtype=np.float64)  # noqa: N806
    flat = pixels.reshape(-1, 2)
    finite = np.all(np.isfinite(flat), axis=-1)
    out = np.full_like(flat, np.nan)
    if finite.any():
        criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, iterations, 1e-12)
        points = np.ascontiguousarray(flat[finite].reshape(-1, 1, 2))
        undistorted = cv2.undistortPointsIter(
            points, K, np.asarray(dist, dtype=np.float64), None, K, criteria
        )
        out[finite] = undistorted.reshape(-1, 2)
    return out.reshape(pixels.shape)


def project_points(points: np.ndarray, projections: np.ndarray) -> np.ndarray:
    """Pixels (V, ..., 2) of world points (..., 3) in V views (projections (V, 3, 4)).

    NaN where a point is NaN or not in front of a camera (w <= 0), so points behind a view never
    produce plausible-looking pixels.
    """
    points = np.asarray(points, dtype=np.float64)
    projections = np.asarray(projections, dtype=np.float64)
    if projections.ndim != 3 or projections.shape[1:] != (3, 4):
        raise ValueError(f"expected projections (V, 3, 4), got shape {projections.shape}")
    homogeneous = np.concatenate([points, np.ones((*points.shape[:-1], 1))], axis=-1)
    flat = homogeneous.reshape(-1, 4)
    image = np.einsum("vij,nj->vni", projections, flat)  # (V, N, 3)
    w = image[..., 2:]
    with np.errstate(divide="ignore", invalid="ignore"):
        uv = np.where(w > 0, image[..., :2] / w, np.nan)
    return uv.reshape(projections.shape[0], *points.shape[:-1], 2)


def triangulate_points(
    pixels: np.ndarray,
    confidence: np.ndarray,
    projections: np.ndarray,
    *,
    min_views: int = 2,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> np.ndarray:
    """World points (..., 3) from undistorted pixels (V, ..., 2) seen by V calibrated views.

    Linear (DLT) triangulation: each view contributes the two rows ``u p3 - p1`` and ``v p3 - p2``
    of its projection, multiplied by its confidence, and the point is the right singular vector of
    the smallest singular value of the stacked rows. Each projection is first scaled so that the
    first three entries of its third row have unit norm; a row's residual is then the pixel error
    times the point's depth in metres, whatever scale the matrix came in (an arbitrary scale would
    otherwise act as a hidden weight). A view votes when its pixel is finite and its confidence
    reaches ``min_confidence``; a point with fewer than ``min_views`` voting views is NaN.
    """
    pixels = np.asarray(pixels, dtype=np.float64)
    confidence = np.asarray(confidence, dtype=np.float64)
    projections = np.asarray(projections, dtype=np.float64)
    views = projections.shape[0]
    if projections.shape != (views, 3, 4):
        raise ValueError(f"expected projections (V, 3, 4), got shape {projections.shape}")
    if pixels.shape[0] != views or pixels.shape[-1] != 2 or confidence.shape != pixels.shape[:-1]:
        raise ValueError(
            f"expected pixels (V={views}, ..., 2) and confidence (V, ...), got {pixels.shape} and "
            f"{confidence.shape}"
        )
    if min_views < 2:
        raise ValueError(f"a point needs at least 2 views, got min_views={min_views}")
    batch = pixels.shape[1:-1]
    uv = pixels.reshape(views, -1, 2)
    weight = confidence.reshape(views, -1)
    usable = np.all(np.isfinite(uv), axis=-1) & np.isfinite(weight) & (weight >= min_confidence)
    weight = np.where(usable, weight, 0.0)
    uv = np.where(usable[..., None], uv, 0.0)

    scale = np.linalg.norm(projections[:, 2, :3], axis=-1)
    if np.any(scale <= 0):
        raise ValueError("a projection matrix has a zero third row")
    p = projections / scale[:, None, None]
    # rows (V, N, 2, 4): u * p3 - p1 and v * p3 - p2, weighted
    rows = uv[..., :, None] * p[:, None, 2:3, :] - p[:, None, :2, :]
    rows = rows * weight[..., None, None]
    system = np.moveaxis(rows, 0, 1).reshape(uv.shape[1], 2 * views, 4)  # (N, 2V, 4)
    _, _, vt = np.linalg.svd(system)
    solution = vt[:, -1, :]  # (N, 4)
    with np.errstate(divide="ignore", invalid="ignore"):
        points = solution[:, :3] / solution[:, 3:]
    enough = usable.sum(axis=0) >= min_views
    points = np.where(enough[:, None] & (np.abs(solution[:, 3:]) > 1e-15), points, np.nan)
    return points.reshape(*batch, 3)


def reprojection_errors(points: np.ndarray, pixels: np.ndarray, projections: np.ndarray) -> np.ndarray:
    """Distance in pixels (V, ...) between each view's pixels (V, ..., 2) and the points' projections.

    NaN where the point, the pixel or the projection (a point behind the camera) is missing.
    """
    projected = project_points(points, projections)
    return np.linalg.norm(projected - np.asarray(pixels, dtype=np.float64), axis=-1)
