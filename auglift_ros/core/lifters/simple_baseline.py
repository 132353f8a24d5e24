"""The SimpleBaseline lifter (Martinez et al. 2017): a residual MLP from 2D features to 3D joints.

AugLift keeps the network unchanged and only widens its input: each joint carries ``in_channels``
features (xy, confidence, depth statistics). The model never knows what the channels mean, so all
normalisation lives outside it and travels with the exported file as metadata.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from auglift_ros.core.lifters.config import LifterConfig


@dataclass
class SimpleBaselineConfig(LifterConfig):
    """Architecture hyper-parameters; serialisable so a checkpoint can rebuild its own model."""

    hidden: int = 1024
    blocks: int = 2
    dropout: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        self.check_positive("hidden", "blocks")
        self.check_dropout()


def _dense(in_features: int, out_features: int, dropout: float) -> list[nn.Module]:
    """Linear + BN + ReLU + Dropout, the unit every stage of the network repeats."""
    return [
        nn.Linear(in_features, out_features),
        nn.BatchNorm1d(out_features),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),
    ]


class _ResidualBlock(nn.Module):
    """Two dense units with an identity skip, which lets the MLP go deep without degrading."""

    def __init__(self, hidden: int, dropout: float) -> None:
        super().__init__()
        self.layers = nn.Sequential(*_dense(hidden, hidden, dropout), *_dense(hidden, hidden, dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.layers(x)


class SimpleBaseline(nn.Module):
    """Maps (B, K, C) per-joint features to (B, K, 3) root-relative joints."""

    def __init__(self, config: SimpleBaselineConfig | None = None) -> None:
        super().__init__()
        self.config = config if config is not None else SimpleBaselineConfig()
        c = self.config
        self.input = nn.Sequential(*_dense(c.num_joints * c.in_channels, c.hidden, c.dropout))
        self.blocks = nn.Sequential(*(_ResidualBlock(c.hidden, c.dropout) for _ in range(c.blocks)))
        self.output = nn.Linear(c.hidden, c.num_joints * 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, ch = self.config.num_joints, self.config.in_channels
        # The check is skipped while tracing for ONNX: it would be baked in as a constant anyway.
        if not torch.jit.is_tracing() and (x.dim() != 3 or x.shape[1] != k or x.shape[2] != ch):
            raise ValueError(f"expected input of shape (batch, {k}, {ch}), got {tuple(x.shape)}")
        y = self.output(self.blocks(self.input(x.flatten(1))))
        return y.reshape(-1, k, 3)
