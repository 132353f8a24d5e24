"""The RTMDet + RTMPose ONNX backend: pre-processing by hand, and exact keypoints through small ONNX
models with the real exports' interfaces, built here (real weights cannot be downloaded in tests).

The scene (SCENE_HW, grey 60) holds coloured rectangles the tiny detector finds by colour, reading
its input as BGR with mmdet's mean and std: A (red, score 0.9), B (blue, 0.7), and C (magenta) twice,
as a person of score 0.4 and as another class (label 1) of score 0.95. The tiny pose model puts COCO
keypoint j at the fixed crop pixel CROP_POINTS[j]; its x peak height is 2 x the green value at the
crop's centre / 255 (A: green 102 -> 0.8, B: 204 -> 1.6) and its y peak heights are Y_PEAKS, so every
keypoint's pixel position and confidence follow by hand from the box and the crop transform.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from auglift_ros.core.onnx_session import ModelLoadError
from auglift_ros.core.skeleton import H36M_JOINT_NAMES, coco_to_h36m
from auglift_ros.perception.rtmpose import (
    RtmPoseDetector,
    crop_transform,
    decode_simcc,
    detector_input,
    letterbox,
    pose_input,
)

SCENE_HW = (240, 320)
BOX_A, BOX_B, BOX_C = (40, 40, 88, 200), (120, 60, 184, 220), (220, 20, 300, 120)
GREEN_A, GREEN_B = 102, 204
POSE_WH = (192, 256)
CROP_POINTS = np.array([(16 + 10 * j + 0.5 * (j % 2), 20 + 12 * j) for j in range(17)])
Y_PEAKS = np.ones(17)
Y_PEAKS[[1, 2, 5]] = (0.5, -0.3, 2.0)  # left eye, right eye, left shoulder


def scene() -> np.ndarray:
    image = np.full((*SCENE_HW, 3), 60, dtype=np.uint8)
    for (x1, y1, x2, y2), colour in (
        (BOX_A, (255, GREEN_A, 0)),
        (BOX_B, (0, GREEN_B, 255)),
        (BOX_C, (255, 100, 255)),
    ):
        image[y1:y2, x1:x2] = colour
    return image


def expected_coco(box: tuple[int, int, int, int], green: int) -> tuple[np.ndarray, np.ndarray]:
    """COCO keypoints and confidence of the person in box: crop pixel (u, v) is image pixel
    centre + ((u, v) - crop centre) / scale, scale = min(192 / (1.25 w), 256 / (1.25 h))."""
    x1, y1, x2, y2 = box
    scale = min(192 / (1.25 * (x2 - x1)), 256 / (1.25 * (y2 - y1)))
    points = np.array([(x1 + x2) / 2, (y1 + y2) / 2]) + (CROP_POINTS - (96, 128)) / scale
    return points, np.clip(np.minimum(2 * green / 255, Y_PEAKS), 0.0, 1.0)


def expected_scene() -> tuple[np.ndarray, np.ndarray]:
    """H36M keypoints (2, 17, 2) and confidence (2, 17) of A then B."""
    (points_a, conf_a), (points_b, conf_b) = expected_coco(BOX_A, GREEN_A), expected_coco(BOX_B, GREEN_B)
    return coco_to_h36m(np.stack([points_a, points_b]), np.stack([conf_a, conf_b]))


class _ColourBoxDetector(nn.Module):
    """Boxes around the pixels of marker colours; outputs like mmdeploy's RTMDet end2end export."""

    SCORES = (0.9, 0.7, 0.4, 0.95)

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor([103.53, 116.28, 123.675]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([57.375, 57.12, 58.395]).view(1, 3, 1, 1))
        self.register_buffer("labels", torch.tensor([[0, 0, 0, 1]]))

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        bgr = image * self.std + self.mean
        blue, red = bgr[0, 0] > 127, bgr[0, 2] > 127
        masks = (red & ~blue, blue & ~red, red & blue, red & blue)
        height, width = image.shape[2:]
        xs, ys = torch.arange(width, dtype=torch.float32), torch.arange(height, dtype=torch.float32)
        dets = []
        for mask, score in zip(masks, self.SCORES, strict=True):
            cols, rows = mask.any(dim=0), mask.any(dim=1)
            x1 = torch.where(cols, xs, torch.full_like(xs, width)).min()
            x2 = torch.where(cols, xs + 1, torch.zeros_like(xs)).max()
            y1 = torch.where(rows, ys, torch.full_like(ys, height)).min()
            y2 = torch.where(rows, ys + 1, torch.zeros_like(ys)).max()
            dets.append(torch.stack([x1, y1, x2, y2, score * cols.any().float()]))
        return torch.stack(dets)[None], self.labels


class _FixedPointsPose(nn.Module):
    """SimCC peaks at CROP_POINTS (split ratio 2): x peak height from the crop centre's green."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("bins", torch.tensor(2 * CROP_POINTS, dtype=torch.float32))
        self.register_buffer("y_peaks", torch.tensor(Y_PEAKS, dtype=torch.float32)[:, None])

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        green = image[:, 1, 128, 96] * 57.12 + 116.28
        x_bins, y_bins = torch.arange(384, dtype=torch.float32), torch.arange(512, dtype=torch.float32)
        simcc_x = (2 * green / 255).view(-1, 1, 1) - 0.001 * (x_bins - self.bins[:, :1]).abs()
        simcc_y = self.y_peaks - 0.001 * (y_bins - self.bins[:, 1:]).abs()
        return simcc_x, simcc_y.expand(image.shape[0], -1, -1)


class _ConstantSimcc(nn.Module):
    """Zero SimCC vectors of any shape: pose models that do not fit."""

    def __init__(self, keypoints: int, x_bins: int, y_bins: int) -> None:
        super().__init__()
        self.x_shape, self.y_shape = (keypoints, x_bins), (keypoints, y_bins)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        zero = image[:, 0, :1, :1] * 0  # (B, 1, 1): keeps the input in the graph
        return zero + torch.zeros(self.x_shape), zero + torch.zeros(self.y_shape)


def _export(
    network: nn.Module, shape: tuple[int, ...], outputs: list[str], path: Path, dynamic: dict
) -> Path:
    torch.onnx.export(
        network,
        (torch.zeros(shape),),
        str(path),
        input_names=["input"],
        output_names=outputs,
        dynamic_axes=dynamic,
        dynamo=False,
    )
    return path


def write_person_detector(path: Path) -> Path:
    """The colour-box detector with RTMDet-m's interface: input (1, 3, 640, 640), N dynamic."""
    dynamic = {"dets": {1: "num_dets"}, "labels": {1: "num_dets"}}
    return _export(_ColourBoxDetector(), (1, 3, 640, 640), ["dets", "labels"], path, dynamic)


def write_pose_model(path: Path, *, dynamic_batch: bool = True) -> Path:
    """The fixed-points pose model with RTMPose-m 256x192's interface."""
    dynamic = {name: {0: "batch"} for name in ("input", "simcc_x", "simcc_y")} if dynamic_batch else None
    return _export(_FixedPointsPose(), (1, 3, 256, 192), ["simcc_x", "simcc_y"], path, dynamic)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("rtmpose")
    return write_person_detector(folder / "det.onnx"), write_pose_model(folder / "pose.onnx")


def test_letterbox_and_detector_input_by_hand() -> None:
    canvas, ratio = letterbox(np.full((2, 4, 3), 50, np.uint8), (8, 8))
    assert ratio == 2.0 and canvas.shape == (8, 8, 3)
    assert (canvas[:4] == 50).all() and (canvas[4:] == 114).all()  # scaled to 4 x 8, grey below
    canvas, ratio = letterbox(np.full((16, 8, 3), 50, np.uint8), (8, 8))
    assert ratio == 0.5 and (canvas[:, :4] == 50).all() and (canvas[:, 4:] == 114).all()
    network_input, ratio = detector_input(np.full((8, 8, 3), (10, 20, 30), np.uint8), (8, 8))
    assert network_input.shape == (1, 3, 8, 8) and network_input.dtype == np.float32 and ratio == 1.0
    bgr = [(30 - 103.53) / 57.375, (20 - 116.28) / 57.12, (10 - 123.675) / 58.395]
    np.testing.assert_allclose(network_input[0, :, 3, 5], bgr, rtol=1e-6)


def test_crop_transform_by_hand() -> None:
    # A tall box: 1.25 x (48, 160) = (60, 200); the height fills 256 -> scale 1.28.
    np.testing.assert_allclose(
        crop_transform(np.array(BOX_A), POSE_WH), [[1.28, 0, 96 - 1.28 * 64], [0, 1.28, 128 - 1.28 * 120]]
    )
    # A wide box: 1.25 x (200, 100) = (250, 125); the width fills 192 -> scale 0.768.
    np.testing.assert_allclose(
        crop_transform(np.array([0, 0, 200, 100]), POSE_WH), [[0.768, 0, 96 - 76.8], [0, 0.768, 128 - 38.4]]
    )


def test_pose_input_is_the_crop_normalised_as_rgb() -> None:
    # R = x and G = y: bilinear sampling of a linear ramp gives the sampled position itself.
    ys, xs = np.mgrid[0:200, 0:200]
    image = np.dstack([xs, ys, np.full_like(xs, 7)]).astype(np.uint8)
    box = np.array([50 - 38.4, 20, 50 + 38.4, 100])  # centre (50, 60), 1.25 x width = 96 -> scale 2
    crop = pose_input(image, crop_transform(box, POSE_WH), POSE_WH)
    assert crop.shape == (3, 256, 192) and crop.dtype == np.float32
    pixels = crop.transpose(1, 2, 0) * [58.395, 57.12, 57.375] + [123.675, 116.28, 103.53]
    v, u = np.mgrid[100:200, 0:192]  # image y = 60 + (v - 128) / 2 in [46, 96), x in [2, 98)
    np.testing.assert_allclose(pixels[100:200, :, 0], 50 + (u - 96) / 2, atol=0.51)
    np.testing.assert_allclose(pixels[100:200, :, 1], 60 + (v - 128) / 2, atol=0.51)
    np.testing.assert_allclose(pixels[100:200, :, 2], 7, atol=1e-4)
    np.testing.assert_allclose(pixels[:6], 0, atol=1e-4)  # above the image (y < -1): black


def test_decode_simcc_by_hand() -> None:
    simcc_x = np.array([[[0.1, 0.9, 0.2, 0.0], [0.3, 0.2, 0.1, 0.0]]])
    simcc_y = np.array([[[0.0, 0.0, 0.4, 0.1, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 1.2]]])
    locations, scores = decode_simcc(simcc_x, simcc_y, 2.0)
    np.testing.assert_allclose(locations, [[[0.5, 1.0], [0.0, 2.5]]])
    np.testing.assert_allclose(scores, [[0.4, 0.3]])  # the smaller maximum of each keypoint


def test_two_persons_give_exact_keypoints_best_first(models: tuple[Path, Path]) -> None:
    detector = RtmPoseDetector(*models, device="cpu")
    np.testing.assert_allclose(detector.person_boxes(scene()), [BOX_A, BOX_B])
    found = detector.detect(scene())
    keypoints, confidence = expected_scene()
    assert found.keypoints.shape == (2, 17, 2) and found.confidence.shape == (2, 17)
    np.testing.assert_allclose(found.keypoints, keypoints, atol=1e-6)
    np.testing.assert_allclose(found.confidence, confidence, atol=1e-5)
    # By hand, A (centre (64, 120), scale 1.28): the nose at crop (16, 20) -> (1.5, 35.625), confidence
    # min(0.8, 1); the head is the mean of the eyes, confidences min(0.8, 0.5) and clip(-0.3) = 0.
    j = H36M_JOINT_NAMES.index
    np.testing.assert_allclose(found.keypoints[0, j("neck_nose")], (1.5, 35.625), atol=1e-6)
    np.testing.assert_allclose(found.confidence[0, [j("neck_nose"), j("head")]], (0.8, 0.25), atol=1e-5)
    # B's x peaks are 1.6: its left shoulder's score min(1.6, 2.0) is clipped to 1, A's is 0.8.
    np.testing.assert_allclose(found.confidence[:, j("left_shoulder")], (0.8, 1.0), atol=1e-5)


def test_score_threshold_max_persons_and_other_classes(models: tuple[Path, Path]) -> None:
    low = RtmPoseDetector(*models, device="cpu", min_person_score=0.3)
    np.testing.assert_allclose(low.person_boxes(scene()), [BOX_A, BOX_B, BOX_C])  # never C as label 1
    assert low.detect(scene()).keypoints.shape == (3, 17, 2)
    one = RtmPoseDetector(*models, device="cpu", max_persons=1)
    np.testing.assert_allclose(one.detect(scene()).keypoints, expected_scene()[0][:1], atol=1e-6)
    strict = RtmPoseDetector(*models, device="cpu", min_person_score=0.95)
    assert strict.detect(scene()).keypoints.shape == (0, 17, 2)
    assert strict.detect(scene()).confidence.shape == (0, 17)


def test_detector_scale_and_pose_models_without_batch_axis(models: tuple[Path, Path], tmp_path: Path) -> None:
    single = write_pose_model(tmp_path / "pose_batch1.onnx", dynamic_batch=False)
    detector = RtmPoseDetector(models[0], single, device="cpu")
    # Twice the scene's size: the letterbox ratio is 1 (640 x 480 in 640 x 640) instead of 2.
    found = detector.detect(np.repeat(np.repeat(scene(), 2, axis=0), 2, axis=1))
    keypoints, confidence = expected_scene()
    np.testing.assert_allclose(found.keypoints, 2 * keypoints, atol=1e-5)  # crops scale with the image
    np.testing.assert_allclose(found.confidence, confidence, atol=1e-5)


def test_empty_scene_bad_images_and_bad_settings(models: tuple[Path, Path]) -> None:
    detector = RtmPoseDetector(*models, device="cpu")
    assert detector.detect(np.full((240, 320, 3), 60, np.uint8)).keypoints.shape == (0, 17, 2)
    nan_image = np.full((240, 320, 3), np.nan, np.float32)
    for bad in (nan_image, np.zeros((240, 320), np.uint8), np.zeros((240, 320, 4), np.uint8)):
        with pytest.raises(ValueError, match=r"RGB image \(H, W, 3\) uint8"):
            detector.detect(bad)
    with pytest.raises(ValueError, match="min_person_score"):
        RtmPoseDetector(*models, min_person_score=1.5)
    with pytest.raises(ValueError, match="max_persons"):
        RtmPoseDetector(*models, max_persons=0)


def test_missing_corrupt_and_foreign_models_are_named(models: tuple[Path, Path], tmp_path: Path) -> None:
    det, pose = models
    with pytest.raises(ModelLoadError, match=r"person detector model .*missing.onnx: file not found"):
        RtmPoseDetector(tmp_path / "missing.onnx", pose)
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"\x08\x07not a protobuf" * 10)
    with pytest.raises(ModelLoadError, match=r"pose model .*corrupt.onnx: cannot load"):
        RtmPoseDetector(det, corrupt)
    with pytest.raises(ModelLoadError, match=r"person detector model .*pose.onnx: expected outputs dets"):
        RtmPoseDetector(pose, det)  # swapped
    with pytest.raises(ModelLoadError, match=r"pose model .*det.onnx: expected a fixed input"):
        RtmPoseDetector(det, det)

    # Halpe-26 keypoints, then a y axis at another split ratio than the x axis.
    for name, keypoints, y_bins in (("halpe26", 26, 512), ("ratios", 17, 256)):
        foreign = _export(
            _ConstantSimcc(keypoints, 384, y_bins),
            (1, 3, 256, 192),
            ["simcc_x", "simcc_y"],
            tmp_path / f"{name}.onnx",
            None,
        )
        with pytest.raises(ModelLoadError, match=rf"pose model .*{name}.onnx: expected a fixed input"):
            RtmPoseDetector(det, foreign)
    lifter_like = tmp_path / "lifter_like.onnx"
    torch.onnx.export(
        nn.Linear(4, 3), (torch.zeros(1, 17, 4),), str(lifter_like), input_names=["x"], dynamo=False
    )
    with pytest.raises(
        ModelLoadError, match=r"lifter_like.onnx: expected one float32 input \(batch, 3, H, W\)"
    ):
        RtmPoseDetector(lifter_like, pose)
