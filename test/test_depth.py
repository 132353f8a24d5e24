"""The Depth Anything V2 ONNX backend: pre-processing, the metric and relative rules, bad models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from auglift_ros.core.onnx_session import ModelLoadError
from auglift_ros.perception.depth import DepthAnythingV2Onnx, network_input_size, relative_to_metric
from depth_models import red_to_output, write_depth_model


@pytest.fixture(scope="module")
def dynamic_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_depth_model(tmp_path_factory.mktemp("depth") / "dynamic.onnx")


def _image(red: np.ndarray) -> np.ndarray:
    """An RGB image with the given red channel and constant green and blue."""
    image = np.full((*red.shape, 3), 90, dtype=np.uint8)
    image[..., 0] = red
    return image


def test_network_input_size_keeps_aspect_and_patch_multiples() -> None:
    assert network_input_size((480, 640), 518) == (518, 686)  # 640 * 518 / 480 = 690.7 -> 49 * 14
    assert network_input_size((640, 480), 518) == (686, 518)
    assert network_input_size((100, 100), 14) == (14, 14)
    assert network_input_size((10, 1000), 14) == (14, 1400)


def test_metric_model_gives_its_output_in_metres_at_the_image_size(dynamic_model: Path) -> None:
    estimator = DepthAnythingV2Onnx(dynamic_model, kind="metric", input_size=56)
    depth = estimator.estimate(_image(np.full((30, 50), 128, dtype=np.uint8)))
    assert depth.shape == (30, 50) and depth.dtype == np.float32
    np.testing.assert_allclose(depth, red_to_output(128), rtol=1e-5)
    assert estimator.network_input(np.zeros((30, 50, 3), np.uint8)).shape == (1, 3, 56, 98)


def test_image_layout_survives_the_resizes(dynamic_model: Path) -> None:
    red = np.zeros((60, 80), dtype=np.uint8)
    red[:, 40:] = 255  # left half near (1 m), right half far (5 m)
    depth = DepthAnythingV2Onnx(dynamic_model, input_size=42).estimate(_image(red))
    np.testing.assert_allclose(depth[:, :35], 1.0, atol=1e-4)
    np.testing.assert_allclose(depth[:, 45:], 5.0, atol=1e-4)


def test_relative_model_is_scaled_so_the_median_is_the_scene_depth(dynamic_model: Path) -> None:
    red = np.zeros((40, 40), dtype=np.uint8)
    red[:10] = 255  # a quarter of the image has 5x the disparity of the rest: 5x nearer
    estimator = DepthAnythingV2Onnx(dynamic_model, kind="relative", input_size=42, median_depth=4.0)
    depth = estimator.estimate(_image(red))
    np.testing.assert_allclose(np.median(depth), 4.0, rtol=1e-5)
    np.testing.assert_allclose(depth[30:], 4.0, rtol=1e-4)
    np.testing.assert_allclose(depth[:5], 4.0 / 5.0, rtol=1e-3)


def test_relative_rule_by_hand() -> None:
    disparity = np.array([[2.0, 1.0, 1.0], [0.5, 0.0, -1.0]])
    depth = relative_to_metric(disparity, median_depth=2.0)
    # inverse disparities of the valid pixels: 0.5, 1, 1, 2 -> median 1 -> scale 2.
    np.testing.assert_allclose(depth[0], [1.0, 2.0, 2.0])
    assert depth[1, 0] == pytest.approx(4.0) and np.isnan(depth[1, 1:]).all()
    assert np.isnan(relative_to_metric(np.zeros((2, 2)), 3.0)).all()
    with pytest.raises(ValueError, match="median_depth"):
        relative_to_metric(disparity, median_depth=0.0)


def test_fixed_size_model_is_fed_its_size(tmp_path: Path) -> None:
    model = write_depth_model(tmp_path / "fixed.onnx", fixed_size=(28, 28))
    estimator = DepthAnythingV2Onnx(model, input_size=518)
    assert estimator.network_input(np.zeros((48, 64, 3), np.uint8)).shape == (1, 3, 28, 28)
    np.testing.assert_allclose(estimator.estimate(_image(np.full((48, 64), 51, np.uint8))), 1.8, rtol=1e-5)


def test_non_positive_metric_output_is_no_value(tmp_path: Path) -> None:
    class Signed(nn.Module):
        def forward(self, image: torch.Tensor) -> torch.Tensor:
            return image[:, 0] * 0.229 + 0.485 - 0.5  # red / 255 - 0.5: negative on dark pixels

    path = write_depth_model(tmp_path / "signed.onnx", network=Signed())
    red = np.zeros((28, 28), np.uint8)
    red[:, 14:] = 255
    depth = DepthAnythingV2Onnx(path).estimate(_image(red))
    assert np.isnan(depth[:, :12]).all() and np.allclose(depth[:, 16:], 0.5, atol=1e-4)


def test_bad_images_are_named(dynamic_model: Path) -> None:
    estimator = DepthAnythingV2Onnx(dynamic_model, input_size=28)
    with pytest.raises(ValueError, match=r"RGB image \(H, W, 3\) uint8"):
        estimator.estimate(np.zeros((20, 20), np.float32))


def test_bad_settings_are_named(dynamic_model: Path) -> None:
    with pytest.raises(ValueError, match="kind"):
        DepthAnythingV2Onnx(dynamic_model, kind="disparity")
    with pytest.raises(ValueError, match="multiple of the ViT patch 14"):
        DepthAnythingV2Onnx(dynamic_model, input_size=500)
    with pytest.raises(ValueError, match="median_depth"):
        DepthAnythingV2Onnx(dynamic_model, median_depth=float("nan"))


def test_missing_corrupt_and_foreign_models_are_named(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"depth model .*missing.onnx: file not found"):
        DepthAnythingV2Onnx(tmp_path / "missing.onnx")
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"\x08\x07not a protobuf" * 10)
    with pytest.raises(ModelLoadError, match=r"depth model .*corrupt.onnx: cannot load"):
        DepthAnythingV2Onnx(corrupt)
    foreign = tmp_path / "lifter_like.onnx"
    torch.onnx.export(
        nn.Linear(4, 3), (torch.zeros(1, 17, 4),), str(foreign), input_names=["x"], dynamo=False
    )
    with pytest.raises(ModelLoadError, match=r"expected input \(1, 3, H, W\)"):
        DepthAnythingV2Onnx(foreign)
