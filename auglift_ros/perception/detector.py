"""2D keypoint detectors: an RGB image in, Human3.6M-17 keypoints and confidences per person out.

Backends differ in their joint layouts; each converts to H36M-17 with the core's skeleton maps, so
everything downstream (UADD, codec, lifter) sees one layout. `mediapipe` runs BlazePose, whose model
ships inside the mediapipe 0.10.21 wheel (model_complexity 1; other complexities would download):
one person per image, 33 landmarks with a visibility score used as confidence. BlazePose also
estimates each landmark in 3D (``pose_world_landmarks``: metres, origin at the hip centre), which
:class:`Detections` carries as ``world`` so MediaPipe's own 3D can be scored beside a lifter's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from auglift_ros.core.skeleton import H36M_NUM_JOINTS, blazepose_to_coco, coco_to_h36m


@dataclass
class Detections:
    """Keypoints (P, 17, 2) in pixels (x right, y down) and confidence (P, 17) in [0, 1], H36M order;
    ``world`` (P, 17, 3) metres, H36M order: the backend's own 3D estimate (MediaPipe's world
    landmarks, hip centre at the origin), None for backends that make none."""

    keypoints: np.ndarray
    confidence: np.ndarray
    world: np.ndarray | None = None

    @classmethod
    def empty(cls, *, world: bool = False) -> Detections:
        """No person; ``world=True`` for a backend that gives 3D (an empty (0, 17, 3) array)."""
        return cls(
            np.empty((0, H36M_NUM_JOINTS, 2)),
            np.empty((0, H36M_NUM_JOINTS)),
            np.empty((0, H36M_NUM_JOINTS, 3)) if world else None,
        )


class KeypointDetector(Protocol):
    def detect(self, image_rgb: np.ndarray) -> Detections: ...

    def close(self) -> None: ...


def blazepose_to_h36m(
    points: np.ndarray, visibility: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """BlazePose-33 landmarks (..., 33, D), pixels or metres, [+ visibility (..., 33)] -> H36M-17
    through COCO-17, the core's maps (built joints are means of their sources)."""
    coco_points, coco_visibility = blazepose_to_coco(points, visibility)
    return coco_to_h36m(coco_points, coco_visibility)


def check_rgb_image(image: np.ndarray) -> np.ndarray:
    """A contiguous (H, W, 3) uint8 array, or ValueError naming what is wrong."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or min(image.shape[:2]) < 1:
        raise ValueError(
            f"expected an RGB image (H, W, 3) uint8, got shape {image.shape} dtype {image.dtype}"
        )
    return np.ascontiguousarray(image)


class MediaPipePoseDetector:
    """BlazePose through mediapipe's Pose solution (single person).

    tracking=True reuses the previous frame's landmarks to find the person (video: faster, smoother);
    False detects every image afresh (independent images, tests). Detections carry ``world``: the
    world landmarks as MediaPipe gives them (metres, hip centre origin, axes as MediaPipe's).
    segmentation=True also computes the person's segmentation mask (:meth:`detect_with_mask`), with
    which a caller can paint the person out and detect the next one; the landmarks are the same.
    """

    def __init__(
        self,
        *,
        tracking: bool = True,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        segmentation: bool = False,
    ) -> None:
        for name, value in (
            ("min_detection_confidence", min_detection_confidence),
            ("min_tracking_confidence", min_tracking_confidence),
        ):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        import mediapipe as mp  # heavy import (about a second): only when this backend is chosen

        self._pose: Any = mp.solutions.pose.Pose(
            static_image_mode=not tracking,
            model_complexity=1,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
            enable_segmentation=segmentation,
        )
        self._segmentation = segmentation

    def detect(self, image_rgb: np.ndarray) -> Detections:
        return self.detect_with_mask(image_rgb)[0]

    def detect_with_mask(self, image_rgb: np.ndarray) -> tuple[Detections, np.ndarray | None]:
        """Detections and the person's segmentation mask (H, W) float32 in [0, 1], None when nobody
        was found or the detector was made without ``segmentation=True``."""
        image = check_rgb_image(image_rgb)
        result = self._pose.process(image)
        if result.pose_landmarks is None or result.pose_world_landmarks is None:
            return Detections.empty(world=True), None
        height, width = image.shape[:2]
        landmarks = result.pose_landmarks.landmark
        points = np.array([[lm.x * width, lm.y * height] for lm in landmarks])[None]
        visibility = np.clip(np.array([lm.visibility for lm in landmarks]), 0.0, 1.0)[None]
        keypoints, confidence = blazepose_to_h36m(points, visibility)
        world_points = np.array([[lm.x, lm.y, lm.z] for lm in result.pose_world_landmarks.landmark])[None]
        world, _ = blazepose_to_h36m(world_points)
        mask = np.asarray(result.segmentation_mask, dtype=np.float32) if self._segmentation else None
        return Detections(keypoints=keypoints, confidence=confidence, world=world), mask

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> MediaPipePoseDetector:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
