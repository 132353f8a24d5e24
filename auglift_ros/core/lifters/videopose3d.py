"""VideoPose3D (Pavllo et al. 2019): dilated temporal convolutions over a window of 2D features.

Filter widths (3, 3, 3) give a 27-frame receptive field, (3, 3, 3, 3) 81 and (3, 3, 3, 3, 3) 243.
The same weights run two ways, as in the authors' code: dilated convolutions over a long sequence
(one pose per position, what training on chunks uses) and, when the input is exactly one receptive
field, strided convolutions that compute only the one output (the authors' "optimized" model, 10x
fewer operations for the 243-frame model, what a live node needs). `causal` only moves which frame
of the window a pose belongs to (its last instead of its centre) and, with it, the residual taps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F  # noqa: N812 (the conventional alias)
from torch import nn

from auglift_ros.core.lifters.config import LifterConfig
from auglift_ros.core.lifters.temporal import WindowSpec


@dataclass
class VideoPose3DConfig(LifterConfig):
    """Architecture hyper-parameters (the paper: 1024 channels, dropout 0.25)."""

    filter_widths: list[int] = field(default_factory=lambda: [3, 3, 3])
    channels: int = 256
    dropout: float = 0.25
    causal: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        self.filter_widths = list(self.filter_widths)
        if not self.filter_widths or any(
            isinstance(w, bool) or not isinstance(w, int) or w < 1 or w % 2 == 0 for w in self.filter_widths
        ):
            raise ValueError(f"filter_widths must be odd positive ints, got {self.filter_widths!r}")
        self.check_positive("channels")
        self.check_dropout()

    @property
    def window(self) -> WindowSpec:
        return WindowSpec(math.prod(self.filter_widths), "last" if self.causal else "centre", "videopose3d")


class VideoPose3D(nn.Module):
    """(B, T, K, C) -> (B, T - frames + 1, K, 3): one pose per full receptive field in the input."""

    def __init__(self, config: VideoPose3DConfig | None = None) -> None:
        super().__init__()
        self.config = config if config is not None else VideoPose3DConfig()
        c = self.config
        widths = c.filter_widths
        self.expand = nn.Conv1d(c.num_joints * c.in_channels, c.channels, widths[0], bias=False)
        self.expand_norm = nn.BatchNorm1d(c.channels, momentum=0.1)
        self.convs = nn.ModuleList(nn.Conv1d(c.channels, c.channels, w, bias=False) for w in widths[1:])
        self.pointwise = nn.ModuleList(nn.Conv1d(c.channels, c.channels, 1, bias=False) for _ in widths[1:])
        self.conv_norms = nn.ModuleList(nn.BatchNorm1d(c.channels) for _ in widths[1:])
        self.pointwise_norms = nn.ModuleList(nn.BatchNorm1d(c.channels) for _ in widths[1:])
        self.drop = nn.Dropout(c.dropout)
        self.shrink = nn.Conv1d(c.channels, c.num_joints * 3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = self.config
        frames = c.window.frames
        if not torch.jit.is_tracing() and (
            x.dim() != 4 or x.shape[1] < frames or x.shape[2] != c.num_joints or x.shape[3] != c.in_channels
        ):
            raise ValueError(
                f"expected input of shape (batch, >= {frames}, {c.num_joints}, {c.in_channels}), "
                f"got {tuple(x.shape)}"
            )
        # One output (always so in an exported file): compute only what it depends on.
        strided = torch.jit.is_tracing() or x.shape[1] == frames
        y = x.flatten(2).transpose(1, 2)  # (B, K*C, T)
        widths = c.filter_widths
        y = self._unit(y, self.expand, self.expand_norm, widths[0], 1, strided)
        dilation = widths[0]
        for i, width in enumerate(widths[1:]):
            if strided:
                tap = width // 2 + (width // 2 if c.causal else 0)
                residual = y[:, :, tap::width]
            else:
                pad = (width - 1) * dilation // 2
                shift = pad if c.causal else 0
                residual = y[:, :, pad + shift : y.shape[2] - pad + shift]
            y = self._unit(y, self.convs[i], self.conv_norms[i], width, dilation, strided)
            y = residual + self._unit(y, self.pointwise[i], self.pointwise_norms[i], 1, 1, strided)
            dilation *= width
        y = self.shrink(y)  # (B, K*3, T_out)
        return y.transpose(1, 2).reshape(-1, 1 if strided else y.shape[2], c.num_joints, 3)

    def _unit(
        self, y: torch.Tensor, conv: nn.Conv1d, norm: nn.BatchNorm1d, width: int, dilation: int, strided: bool
    ) -> torch.Tensor:
        """Conv (strided or dilated, same weights) + BN + ReLU + dropout."""
        if strided:
            y = F.conv1d(y, conv.weight, stride=width)
        else:
            y = F.conv1d(y, conv.weight, dilation=dilation)
        return self.drop(F.relu(norm(y)))
