"""The MediaPipe detector backend on a real photograph (matplotlib's sample image of Grace Hopper)."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib.cbook
import matplotlib.image
import numpy as np
import pytest

from auglift_ros.core.skeleton import H36M_JOINT_NAMES
from auglift_ros.perception.detector import MediaPipePoseDetector

J = {name: i for i, name in enumerate(H36M_JOINT_NAMES)}


@pytest.fixture(scope="module")
def detector() -> Iterator[MediaPipePoseDetector]:
    with MediaPipePoseDetector(tracking=False) as mediapipe_detector:
        yield mediapipe_detector


def test_portrait_gives_one_person_with_plausible_upper_body(detector: MediaPipePoseDetector) -> None:
    image = matplotlib.image.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    assert image.shape == (600, 512, 3)
    found = detector.detect(image)
    assert found.keypoints.shape == (1, 17, 2) and found.confidence.shape == (1, 17)
    kp, conf = found.keypoints[0], found.confidence[0]
    # Facing the camera: the person's left shoulder is on the image's right.
    assert kp[J["left_shoulder"], 0] > kp[J["thorax"], 0] > kp[J["right_shoulder"], 0]
    # Thorax = mean of the shoulders (the COCO -> H36M map); the face is above it.
    np.testing.assert_allclose(kp[J["thorax"]], (kp[J["left_shoulder"]] + kp[J["right_shoulder"]]) / 2)
    assert kp[J["neck_nose"], 1] < kp[J["thorax"], 1] and 150 < kp[J["neck_nose"], 1] < 300
    # Shoulders are in view and confident; the ankles are far below the frame and not.
    assert conf[J["left_shoulder"]] > 0.9 and conf[J["right_shoulder"]] > 0.9
    assert conf[J["left_ankle"]] < 0.1 and conf[J["right_ankle"]] < 0.1
    # MediaPipe's world landmarks ride along: metres, origin at the hip centre (the H36M pelvis).
    assert found.world is not None and found.world.shape == (1, 17, 3)
    world = found.world[0]
    np.testing.assert_allclose(world[J["pelvis"]], 0.0, atol=0.02)
    assert 0.2 < np.linalg.norm(world[J["left_shoulder"]] - world[J["right_shoulder"]]) < 0.6
    assert world[J["neck_nose"], 1] < world[J["thorax"], 1] < 0.0  # y down: the face above the hips


def test_empty_scene_and_bad_images(detector: MediaPipePoseDetector) -> None:
    nobody = detector.detect(np.zeros((480, 640, 3), np.uint8))
    assert (
        nobody.keypoints.shape == (0, 17, 2) and nobody.world is not None and nobody.world.shape == (0, 17, 3)
    )
    with pytest.raises(ValueError, match="RGB image"):
        detector.detect(np.zeros((480, 640), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        detector.detect(np.zeros((480, 640, 3), np.float32))
    with pytest.raises(ValueError, match="min_detection_confidence"):
        MediaPipePoseDetector(min_detection_confidence=2.0)


def test_segmentation_mask_covers_the_person_and_leaves_the_landmarks_alone(
    detector: MediaPipePoseDetector,
) -> None:
    image = matplotlib.image.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    with MediaPipePoseDetector(tracking=False, segmentation=True) as segmenting:
        found, mask = segmenting.detect_with_mask(image)
        _, none = segmenting.detect_with_mask(np.zeros((480, 640, 3), np.uint8))
    np.testing.assert_array_equal(found.keypoints, detector.detect(image).keypoints)
    assert mask is not None and mask.shape == image.shape[:2] and 0.0 <= mask.min() <= mask.max() <= 1.0
    for joint in ("left_shoulder", "right_shoulder", "neck_nose"):
        x, y = np.rint(found.keypoints[0, J[joint]]).astype(int)
        assert mask[y, x] > 0.5
    assert mask[5, 5] < 0.5 and none is None  # a corner of the background; nobody, no mask
    assert detector.detect_with_mask(image)[1] is None  # made without segmentation
