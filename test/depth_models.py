"""Small ONNX files with Depth Anything V2's interface, built by the tests (real weights cannot be
downloaded here): input "image" (1, 3, H, W) ImageNet-normalised RGB, output "depth" (1, H, W).

The network undoes the normalisation of the red channel and outputs 1 + 4 * red / 255, so a test
knows the exact value a pixel must get: metres for a metric model, disparity for a relative one.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn


def red_to_output(red: float) -> float:
    """The tiny network's output for a pixel of this red value (0-255)."""
    return 1.0 + 4.0 * red / 255.0


class _RedChannelDepth(nn.Module):
    def forward(self, image: torch.Tensor) -> torch.Tensor:
        red = image[:, 0] * 0.229 + 0.485  # undo the ImageNet normalisation: red / 255
        return 1.0 + 4.0 * red


class ConstantDepth(nn.Module):
    """A metric depth network that sees a wall at a fixed distance everywhere."""

    def __init__(self, metres: float) -> None:
        super().__init__()
        self.metres = metres

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return image[:, 0] * 0.0 + self.metres


def write_depth_model(
    path: Path, *, fixed_size: tuple[int, int] | None = None, network: nn.Module | None = None
) -> Path:
    """Export a depth network (default: the red-channel one) to path: dynamic height and width, or a
    fixed (H, W)."""
    height, width = fixed_size or (28, 42)
    dynamic = None if fixed_size else {"image": {2: "height", 3: "width"}, "depth": {1: "height", 2: "width"}}
    torch.onnx.export(
        network or _RedChannelDepth(),
        (torch.zeros(1, 3, height, width),),
        str(path),
        input_names=["image"],
        output_names=["depth"],
        dynamic_axes=dynamic,
        dynamo=False,
    )
    return path
