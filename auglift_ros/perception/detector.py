"""2D keypoint detectors: an RGB image in, Human3.6M-17 keypoints and confidences per person out.

Backends differ in their joint layouts; each converts to H36M-17 with the core's skeleton maps, so
everything downstream (UADD, codec, lifter) sees one layout. `mediapipe` runs BlazePose, whose model
ships inside the mediapipe 0.10.21 wheel (model_complexity 1; other complexities would download):
one person per image, 33 landmarks with a visibility score used as confidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from auglift_ros.core.skeleton import H36M_NUM_JOINTS, blazepose_to_coco, coco_to_h36m


@dataclass
class Detections:
    """Keypoints (P, 17, 2) in pixels (x right, y down) and confidence (P, 17) in [0, 1], H36M order."""

    keypoints: np.ndarray
    confidence: np.ndarray

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.empty((0, H36M_NUM_JOINTS, 2)), np.empty((0, H36M_NUM_JOINTS)))


class KeypointDetector(Protocol):
    def detect(self, image_rgb: np.ndarray) -> Detections: ...

    def close(self) -> None: ...


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
    False detects every image afresh (independent images, tests).
    """

    def __init__(
        self,
        *,
        tracking: bool = True,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
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
        )

    def detect(self, image_rgb: np.ndarray) -> Detections:
        image = check_rgb_image(image_rgb)
        result = self._pose.process(image)
        if result.pose_landmarks is None:
            return Detections.empty()
        height, width = image.shape[:2]
        landmarks = result.pose_landmarks.landmark
        points = np.array([[lm.x * width, lm.y * height] for lm in landmarks])[None]
        visibility = np.clip(np.array([lm.visibility for lm in landmarks]), 0.0, 1.0)[None]
        coco_points, coco_conf = blazepose_to_coco(points, visibility)
        keypoints, confidence = coco_to_h36m(coco_points, coco_conf)
        return Detections(keypoints=keypoints, confidence=confidence)

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> MediaPipePoseDetector:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
