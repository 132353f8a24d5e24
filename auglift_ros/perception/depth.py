"""Monocular depth: an RGB image in, a metric depth map (H, W) float32 in metres out (NaN: no value).

Backend `depth_anything_v2_onnx` runs a Depth Anything V2 network exported to ONNX (the weights are
downloaded by the user and given by path). Two kinds of checkpoint exist:
- metric (Depth-Anything-V2-Metric-Hypersim/-VKITTI): the network outputs depth in metres; used as is.
- relative (the base Depth-Anything-V2 small/base/large): the network outputs an affine-invariant
  disparity, larger = nearer, with an unknown scale that changes from frame to frame. The package's
  rule turns it into metres: depth = s / disparity, with s chosen per frame so that the median depth
  over the image equals `median_depth` (metres, a property of the scene the user knows roughly, e.g.
  3 m for a room). Pixels whose disparity is not positive (sky, far background) get NaN. The shift of
  the affine disparity is taken as zero; relative depths between joints, which the lifter uses, then
  carry the scene's scale error, so a metric model is preferred whenever one fits the scene.

Pre-processing follows the Depth Anything V2 reference transform: RGB / 255, ImageNet mean and
standard deviation, bicubic resize; a model with a fixed input size is fed exactly that size, a model
with dynamic height and width gets the shorter side resized to `input_size` (a multiple of 14, the
ViT patch size) with the aspect ratio kept. The output is resized bilinearly back to the image size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from auglift_ros.core.onnx_session import ModelLoadError, open_session, static_dim
from auglift_ros.perception.detector import check_rgb_image

DEPTH_KINDS = ("metric", "relative")
PATCH_SIZE = 14
"""Depth Anything V2's ViT patch: dynamic input sizes are rounded to a multiple of it."""
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


class DepthEstimator(Protocol):
    def estimate(self, image_rgb: np.ndarray) -> np.ndarray: ...

    def close(self) -> None: ...


def network_input_size(image_hw: tuple[int, int], input_size: int) -> tuple[int, int]:
    """(height, width) for a dynamic-shape model: the shorter side becomes input_size, the longer one
    keeps the aspect ratio, both rounded to the nearest multiple of the patch size (at least one)."""
    height, width = image_hw
    scale = input_size / min(height, width)

    def rounded(length: float) -> int:
        return max(PATCH_SIZE, round(length / PATCH_SIZE) * PATCH_SIZE)

    return rounded(height * scale), rounded(width * scale)


def relative_to_metric(disparity: np.ndarray, median_depth: float) -> np.ndarray:
    """Metres from an affine-invariant disparity map: depth = s / disparity with s such that the median
    depth over the pixels with positive disparity is median_depth; the others become NaN."""
    if not (np.isfinite(median_depth) and median_depth > 0):
        raise ValueError(f"median_depth must be a positive number of metres, got {median_depth}")
    disparity = np.asarray(disparity, dtype=np.float32)
    valid = np.isfinite(disparity) & (disparity > 0)
    depth = np.full(disparity.shape, np.nan, dtype=np.float32)
    if not valid.any():
        return depth
    inverse = 1.0 / disparity[valid]
    depth[valid] = inverse * np.float32(median_depth / np.median(inverse))
    return depth


class DepthAnythingV2Onnx:
    """Depth Anything V2 through onnxruntime; see the module docstring for the metric/relative rule."""

    def __init__(
        self,
        path: str | Path,
        *,
        kind: str = "metric",
        input_size: int = 518,
        median_depth: float = 3.0,
        device: str = "auto",
        threads: int | None = None,
    ) -> None:
        if kind not in DEPTH_KINDS:
            raise ValueError(f"depth model kind must be one of {DEPTH_KINDS}, got {kind!r}")
        if isinstance(input_size, bool) or not isinstance(input_size, int) or input_size < PATCH_SIZE:
            raise ValueError(f"input_size must be an int >= {PATCH_SIZE}, got {input_size!r}")
        if input_size % PATCH_SIZE:
            raise ValueError(f"input_size must be a multiple of the ViT patch {PATCH_SIZE}, got {input_size}")
        if not (np.isfinite(median_depth) and median_depth > 0):
            raise ValueError(f"median_depth must be a positive number of metres, got {median_depth}")
        self.path = Path(path)
        self.kind = kind
        self.input_size = input_size
        self.median_depth = float(median_depth)
        self._session = open_session(self.path, "depth model", device=device, threads=threads)
        self._fixed_hw = self._check_interface()
        self._input_name = self._session.get_inputs()[0].name

    def _check_interface(self) -> tuple[int, int] | None:
        """The model's fixed (height, width), or None if both are dynamic; ModelLoadError otherwise."""
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelLoadError(
                f"depth model {self.path}: expected 1 input and 1 output, "
                f"got {len(inputs)} inputs and {len(outputs)} outputs"
            )
        shape, out_shape = list(inputs[0].shape), list(outputs[0].shape)
        if inputs[0].type != "tensor(float)" or outputs[0].type != "tensor(float)":
            raise ModelLoadError(
                f"depth model {self.path}: expected float32 input and output, "
                f"got {inputs[0].type} -> {outputs[0].type}"
            )
        if len(shape) != 4 or static_dim(shape[1]) != 3 or len(out_shape) not in (3, 4):
            raise ModelLoadError(
                f"depth model {self.path}: expected input (1, 3, H, W) and output (1, H, W) or "
                f"(1, 1, H, W), got {shape} -> {out_shape}"
            )
        height, width = static_dim(shape[2]), static_dim(shape[3])
        if (height is None) != (width is None):
            raise ModelLoadError(
                f"depth model {self.path}: input height and width must both be fixed or both dynamic, "
                f"got {shape}"
            )
        return (height, width) if height is not None and width is not None else None

    def network_input(self, image_rgb: np.ndarray) -> np.ndarray:
        """(1, 3, h, w) float32: the normalised, resized image the network sees."""
        image = check_rgb_image(image_rgb)
        height, width = self._fixed_hw or network_input_size(image.shape[:2], self.input_size)
        resized = cv2.resize(image, (width, height), interpolation=cv2.INTER_CUBIC)
        normalised = (resized.astype(np.float32) / 255.0 - IMAGENET_MEAN) / IMAGENET_STD
        return np.ascontiguousarray(normalised.transpose(2, 0, 1)[None])

    def estimate(self, image_rgb: np.ndarray) -> np.ndarray:
        """(H, W) float32 metres for the image; NaN where the model gives no usable value."""
        network_input = self.network_input(image_rgb)
        (output,) = self._session.run(None, {self._input_name: network_input})
        output = np.asarray(output, dtype=np.float32)
        if output.ndim not in (3, 4) or output.shape[0] != 1 or (output.ndim == 4 and output.shape[1] != 1):
            raise ValueError(f"depth model {self.path}: unexpected output shape {output.shape}")
        height, width = np.shape(image_rgb)[:2]
        raw = cv2.resize(output.reshape(output.shape[-2:]), (width, height), interpolation=cv2.INTER_LINEAR)
        if self.kind == "relative":
            return relative_to_metric(raw, self.median_depth)
        raw[~(raw > 0)] = np.nan  # non-positive or NaN metric depth: no value
        return raw

    def close(self) -> None:
        """Nothing to release beyond the session, which Python frees; kept for the DepthEstimator protocol."""
