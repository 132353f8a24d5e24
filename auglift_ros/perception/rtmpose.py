"""RTMDet + RTMPose through onnxruntime: every person in an RGB image, COCO-17 keypoints as H36M-17.

Backend `rtmpose_onnx`, the paper's 2D detector, top-down: a person detector finds boxes, a pose
model runs on a crop around each box. The user downloads both ONNX files (the mmdeploy "end2end"
exports that rtmlib and mmpose publish) and gives their paths:
- person detector (RTMDet): one input (1, 3, H, W), outputs `dets` (1, N, 5: x1 y1 x2 y2 score, in
  network input pixels) and `labels` (1, N). Non-maximum suppression is part of that exported graph
  (rtmlib runs none on these outputs either), so none is run here; an export without it has other
  outputs and is refused at load. Only label 0 (COCO's person) is kept.
- pose model (RTMPose, SimCC head): one input (B, 3, h, w), outputs `simcc_x` (B, 17, w * r) and
  `simcc_y` (B, 17, h * r); the split ratio r (2 for the released models) is read from the shapes.

Pre- and post-processing follow rtmlib (github.com/Tau-J/rtmlib: rtmlib/tools/object_detection/
rtmdet.py, rtmlib/tools/pose_estimation/rtmpose.py, pre_processings.py, post_processings.py), which is
the reference for these exports; this is an independent implementation of the same steps:
- detector: the image scaled with its aspect kept into the top-left corner of an H x W canvas of grey
  114, BGR, normalised with mmdet's RTMDet mean and std (its training config reads BGR);
- pose: the box's centre and 1.25 x its size, grown to the input's aspect ratio, cropped by an affine
  warp; RGB normalised with mmpose's RTMPose mean and std (its training config converts to RGB;
  rtmlib feeds BGR here, we follow the training config);
- decoding: each SimCC vector's argmax / r is the keypoint in crop pixels, mapped back to the image by
  the inverse of the crop's affine transform.

Confidence: a keypoint's raw score is the smaller of its two SimCC maxima (rtmlib's and mmpose's
`get_simcc_maximum`: a keypoint is as certain as its less certain axis). It is not a probability: the
head is trained towards Gaussian targets of peak 1 through a softmax, so scores lie mostly in [0, 1]
but can fall below 0 (no evidence; rtmlib marks such keypoints invalid) or rise above 1. Confidence is
the score clipped to [0, 1]: the identity where scores usually are, so thresholds used with rtmlib keep
their meaning, where a sigmoid would move every value (and give 0.5 to "no evidence"). A keypoint
clipped to 0 keeps its location; its zero confidence tells everything downstream to ignore it.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from auglift_ros.core.onnx_session import ModelLoadError, open_session, static_dim
from auglift_ros.core.skeleton import COCO_NUM_JOINTS, coco_to_h36m
from auglift_ros.perception.detector import Detections, check_rgb_image

LETTERBOX_GREY = 114
DETECTOR_MEAN_BGR = np.array([103.53, 116.28, 123.675], dtype=np.float32)
DETECTOR_STD_BGR = np.array([57.375, 57.12, 58.395], dtype=np.float32)
POSE_MEAN_RGB = np.array([123.675, 116.28, 103.53], dtype=np.float32)
POSE_STD_RGB = np.array([58.395, 57.12, 57.375], dtype=np.float32)
BOX_PADDING = 1.25
"""The crop around a person box is this many times the box (RTMPose's training setting)."""
DEFAULT_DETECTOR_SIZE = 640
"""Network input side for a detector exported with dynamic height and width (RTMDet's training size)."""
PERSON_LABEL = 0
DETECTOR_OUTPUTS = ("dets", "labels")
POSE_OUTPUTS = ("simcc_x", "simcc_y")


def letterbox(image: np.ndarray, size_hw: tuple[int, int]) -> tuple[np.ndarray, float]:
    """The image scaled by ratio = min(H / h, W / w) (bilinear) into the top-left corner of an (H, W)
    canvas of grey 114, and the ratio: network pixels / ratio = image pixels."""
    height, width = size_hw
    ratio = min(height / image.shape[0], width / image.shape[1])
    new_w, new_h = max(1, int(image.shape[1] * ratio)), max(1, int(image.shape[0] * ratio))
    canvas = np.full((height, width, 3), LETTERBOX_GREY, dtype=np.uint8)
    canvas[:new_h, :new_w] = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    return canvas, ratio


def detector_input(image_rgb: np.ndarray, size_hw: tuple[int, int]) -> tuple[np.ndarray, float]:
    """(1, 3, H, W) float32 the detector sees (letterboxed, BGR, normalised) and the letterbox ratio."""
    canvas, ratio = letterbox(image_rgb, size_hw)
    normalised = (canvas[..., ::-1].astype(np.float32) - DETECTOR_MEAN_BGR) / DETECTOR_STD_BGR
    return np.ascontiguousarray(normalised.transpose(2, 0, 1)[None]), ratio


def crop_transform(box: np.ndarray, input_wh: tuple[int, int]) -> np.ndarray:
    """(2, 3) affine from image pixels to pose-input pixels: the box's centre goes to the input's
    centre (w / 2, h / 2), and the box grown by BOX_PADDING, then widened or heightened to the input's
    aspect ratio, fills the input. No rotation, so it is one scale and a shift."""
    x1, y1, x2, y2 = np.asarray(box, dtype=np.float64)
    width, height = input_wh
    scale = min(width / ((x2 - x1) * BOX_PADDING), height / ((y2 - y1) * BOX_PADDING))
    centre_x, centre_y = (x1 + x2) / 2, (y1 + y2) / 2
    return np.array([[scale, 0.0, width / 2 - scale * centre_x], [0.0, scale, height / 2 - scale * centre_y]])


def pose_input(image_rgb: np.ndarray, transform: np.ndarray, input_wh: tuple[int, int]) -> np.ndarray:
    """(3, h, w) float32 the pose model sees: the crop (bilinear, black outside the image), RGB
    normalised."""
    crop = cv2.warpAffine(image_rgb, transform, input_wh, flags=cv2.INTER_LINEAR)
    return ((crop.astype(np.float32) - POSE_MEAN_RGB) / POSE_STD_RGB).transpose(2, 0, 1)


def decode_simcc(
    simcc_x: np.ndarray, simcc_y: np.ndarray, split_ratio: float
) -> tuple[np.ndarray, np.ndarray]:
    """Locations (..., K, 2) in pose-input pixels (argmax bin / split ratio) and raw scores (..., K),
    the smaller of the two maxima (see the module docstring)."""
    locations = np.stack([simcc_x.argmax(axis=-1), simcc_y.argmax(axis=-1)], axis=-1) / split_ratio
    return locations, np.minimum(simcc_x.max(axis=-1), simcc_y.max(axis=-1))


def _apply_affine(transform: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ transform[:, :2].T + transform[:, 2]


def _image_input_shape(session: ort.InferenceSession, description: str) -> list[object]:
    """The shape of a model's only input, which must be a float (batch, 3, H, W) image."""
    inputs = session.get_inputs()
    shape = list(inputs[0].shape) if len(inputs) == 1 else []
    if len(inputs) != 1 or inputs[0].type != "tensor(float)" or len(shape) != 4 or static_dim(shape[1]) != 3:
        got = [(i.name, i.type, i.shape) for i in inputs]
        raise ModelLoadError(f"{description}: expected one float32 input (batch, 3, H, W), got {got}")
    return shape


def _outputs(session: ort.InferenceSession, names: tuple[str, ...]) -> dict[str, list[object]] | None:
    """Output shapes by name if the model has all the named outputs, else None."""
    shapes = {o.name: list(o.shape) for o in session.get_outputs()}
    return shapes if set(names) <= set(shapes) else None


class RtmPoseDetector:
    """RTMDet person boxes, then RTMPose on each (best first, at most max_persons); see the module
    docstring for the processing and the confidence rule."""

    def __init__(
        self,
        det_model: str | Path,
        pose_model: str | Path,
        *,
        device: str = "auto",
        min_person_score: float = 0.5,
        max_persons: int = 10,
    ) -> None:
        if not 0.0 <= min_person_score <= 1.0:
            raise ValueError(f"min_person_score must be in [0, 1], got {min_person_score}")
        if isinstance(max_persons, bool) or not isinstance(max_persons, int) or max_persons < 1:
            raise ValueError(f"max_persons must be a positive int, got {max_persons!r}")
        self.min_person_score = min_person_score
        self.max_persons = max_persons
        self.det_path, self.pose_path = Path(det_model), Path(pose_model)
        self._det = open_session(self.det_path, "person detector model", device=device)
        self._det_size = self._check_detector()
        self._pose = open_session(self.pose_path, "pose model", device=device)
        self._pose_size, self._split_ratio, self._pose_batched = self._check_pose()

    def _check_detector(self) -> tuple[int, int]:
        """The detector's input (H, W) (DEFAULT_DETECTOR_SIZE where dynamic); ModelLoadError unless
        it has the mmdeploy end2end interface."""
        description = f"person detector model {self.det_path}"
        shape = _image_input_shape(self._det, description)
        outputs = _outputs(self._det, DETECTOR_OUTPUTS)
        if (
            outputs is None
            or len(outputs["dets"]) != 3
            or static_dim(outputs["dets"][2]) != 5
            or len(outputs["labels"]) != 2
        ):
            got = {o.name: o.shape for o in self._det.get_outputs()}
            raise ModelLoadError(
                f"{description}: expected outputs dets (1, N, 5) and labels (1, N), as in an mmdeploy "
                f"end2end RTMDet export with NMS, got {got}"
            )
        return static_dim(shape[2]) or DEFAULT_DETECTOR_SIZE, static_dim(shape[3]) or DEFAULT_DETECTOR_SIZE

    def _check_pose(self) -> tuple[tuple[int, int], float, bool]:
        """The pose input (w, h), the SimCC split ratio, and whether the batch axis is dynamic;
        ModelLoadError unless the model is a COCO-17 SimCC model with a fixed input size."""
        description = f"pose model {self.pose_path}"
        shape = _image_input_shape(self._pose, description)
        height, width = static_dim(shape[2]), static_dim(shape[3])
        outputs = _outputs(self._pose, POSE_OUTPUTS)
        if height is not None and width is not None and outputs is not None:
            x_shape, y_shape = (outputs[name] for name in POSE_OUTPUTS)
            if (
                len(x_shape) == 3
                and len(y_shape) == 3
                and static_dim(x_shape[1]) == static_dim(y_shape[1]) == COCO_NUM_JOINTS
                and static_dim(x_shape[2]) is not None
                and static_dim(y_shape[2]) is not None
                and x_shape[2] / width == y_shape[2] / height
            ):
                return (width, height), x_shape[2] / width, static_dim(shape[0]) is None
        got = {o.name: o.shape for o in self._pose.get_outputs()}
        raise ModelLoadError(
            f"{description}: expected a fixed input (batch, 3, h, w) and outputs simcc_x (batch, "
            f"{COCO_NUM_JOINTS}, w * r) and simcc_y (batch, {COCO_NUM_JOINTS}, h * r) for COCO-17 "
            f"keypoints, got input {shape} and outputs {got}"
        )

    def person_boxes(self, image_rgb: np.ndarray) -> np.ndarray:
        """(P, 4) person boxes x1 y1 x2 y2 in image pixels, best first: label person, score at least
        min_person_score, positive size, at most max_persons."""
        network_input, ratio = detector_input(check_rgb_image(image_rgb), self._det_size)
        dets, labels = self._det.run(list(DETECTOR_OUTPUTS), {self._det.get_inputs()[0].name: network_input})
        dets, labels = np.asarray(dets, dtype=np.float64).reshape(-1, 5), np.asarray(labels).reshape(-1)
        boxes, scores = dets[:, :4] / ratio, dets[:, 4]
        keep = (
            (labels == PERSON_LABEL)
            & (scores >= self.min_person_score)
            & (boxes[:, 2] > boxes[:, 0])
            & (boxes[:, 3] > boxes[:, 1])
        )
        order = np.argsort(-scores[keep], kind="stable")[: self.max_persons]
        return boxes[keep][order]

    def _run_pose(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """SimCC vectors for a (P, 3, h, w) batch; one crop per run if the model's batch axis is fixed."""
        name = self._pose.get_inputs()[0].name
        if self._pose_batched:
            simcc_x, simcc_y = self._pose.run(list(POSE_OUTPUTS), {name: crops})
            return np.asarray(simcc_x), np.asarray(simcc_y)
        runs = [self._pose.run(list(POSE_OUTPUTS), {name: crop[None]}) for crop in crops]
        return np.concatenate([x for x, _ in runs]), np.concatenate([y for _, y in runs])

    def detect(self, image_rgb: np.ndarray) -> Detections:
        image = check_rgb_image(image_rgb)
        boxes = self.person_boxes(image)
        if not len(boxes):
            return Detections.empty()
        transforms = [crop_transform(box, self._pose_size) for box in boxes]
        crops = np.stack([pose_input(image, transform, self._pose_size) for transform in transforms])
        locations, scores = decode_simcc(*self._run_pose(crops), self._split_ratio)
        coco_points = np.stack(
            [
                _apply_affine(cv2.invertAffineTransform(t), loc)
                for t, loc in zip(transforms, locations, strict=True)
            ]
        )
        keypoints, confidence = coco_to_h36m(coco_points, np.clip(scores, 0.0, 1.0))
        return Detections(keypoints=keypoints, confidence=confidence)

    def close(self) -> None:
        """Nothing to release beyond the sessions, which Python frees; kept for the KeypointDetector
        protocol."""
