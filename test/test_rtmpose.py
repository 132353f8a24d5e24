"""The RTMDet + RTMPose ONNX backend: pre-processing by hand, and exact keypoints through small ONNX
models with the real exports' interfaces (test/rtmpose_models.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from auglift_ros.core.onnx_session import ModelLoadError
from auglift_ros.core.skeleton import H36M_JOINT_NAMES
from auglift_ros.perception.rtmpose import (
    RtmPoseDetector,
    crop_transform,
    decode_simcc,
    detector_input,
    letterbox,
    pose_input,
)
from rtmpose_models import (
    BOX_A,
    BOX_B,
    BOX_C,
    POSE_WH,
    ConstantSimcc,
    expected_scene,
    export,
    scene,
    write_person_detector,
    write_pose_model,
)


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
        foreign = export(
            ConstantSimcc(keypoints, 384, y_bins),
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
