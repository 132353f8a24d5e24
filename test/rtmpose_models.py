"""Small ONNX models with the interfaces of the real RTMDet and RTMPose exports, built by the tests
(real weights cannot be downloaded here), and the keypoints they must give.

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
import torch
from torch import nn

from auglift_ros.core.skeleton import coco_to_h36m

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


class ConstantSimcc(nn.Module):
    """Zero SimCC vectors of any shape: pose models that do not fit."""

    def __init__(self, keypoints: int, x_bins: int, y_bins: int) -> None:
        super().__init__()
        self.x_shape, self.y_shape = (keypoints, x_bins), (keypoints, y_bins)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        zero = image[:, 0, :1, :1] * 0  # (B, 1, 1): keeps the input in the graph
        return zero + torch.zeros(self.x_shape), zero + torch.zeros(self.y_shape)


def export(network: nn.Module, shape: tuple[int, ...], outputs: list[str], path: Path, dynamic: dict) -> Path:
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
    return export(_ColourBoxDetector(), (1, 3, 640, 640), ["dets", "labels"], path, dynamic)


def write_pose_model(path: Path, *, dynamic_batch: bool = True) -> Path:
    """The fixed-points pose model with RTMPose-m 256x192's interface."""
    dynamic = {name: {0: "batch"} for name in ("input", "simcc_x", "simcc_y")} if dynamic_batch else None
    return export(_FixedPointsPose(), (1, 3, 256, 192), ["simcc_x", "simcc_y"], path, dynamic)
