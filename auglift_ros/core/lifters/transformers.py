"""Transformer lifters over a window of per-joint features: PoseFormer and a MotionBERT-style DSTformer.

PoseFormer (Zheng et al. 2021): a spatial transformer mixes the joints of each frame, a temporal
transformer mixes frames (one token per frame), and a learned weighted mean over frames gives one
pose (the window's centre, or its last frame when causal). DSTformer (MotionBERT, Zhu et al. 2023):
every block attends over joints and over frames, in both orders (spatial then temporal, and the
reverse), with learned per-token weights fusing the two streams; it predicts every frame of the window.

Attention is written out (matmul + softmax) so the graph exports to plain ONNX operators. AugLift only
widens the input embedding (C = 2 -> 6 channels per joint); nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from auglift_ros.core.lifters.config import LifterConfig
from auglift_ros.core.lifters.temporal import WindowSpec

MAX_FRAMES = 243


class Attention(nn.Module):
    """Multi-head self-attention over the second-to-last axis of (..., tokens, dim)."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"embedding size {dim} is not divisible by {heads} heads")
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        *lead, tokens, dim = x.shape
        qkv = self.qkv(x).reshape(*lead, tokens, 3, self.heads, dim // self.heads)
        q, k, v = (qkv.select(-3, i).transpose(-2, -3) for i in range(3))  # (..., heads, tokens, d)
        weights = self.drop(torch.softmax((q @ k.transpose(-1, -2)) * self.scale, dim=-1))
        out = (weights @ v).transpose(-2, -3).reshape(*lead, tokens, dim)
        return self.drop(self.proj(out))


class Block(nn.Module):
    """Pre-norm transformer block: x + attention(LN(x)), then x + MLP(LN(x))."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float, dropout: float) -> None:
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.norm1 = nn.LayerNorm(dim)
        self.attention = Attention(dim, heads, dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, hidden),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, dim),
            nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def _check_window(x: torch.Tensor, frames: int, joints: int, channels: int) -> None:
    if not torch.jit.is_tracing() and (x.dim() != 4 or tuple(x.shape[1:]) != (frames, joints, channels)):
        raise ValueError(
            f"expected input of shape (batch, {frames}, {joints}, {channels}), got {tuple(x.shape)}"
        )


@dataclass
class TransformerConfig(LifterConfig):
    """Shared transformer settings: window length, depth, heads, MLP width, dropout."""

    frames: int = 27
    depth: int = 4
    heads: int = 8
    mlp_ratio: float = 2.0
    dropout: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        self.check_positive("frames", "depth", "heads")
        self.check_dropout()
        if self.frames > MAX_FRAMES:
            raise ValueError(f"frames must be at most {MAX_FRAMES}, got {self.frames}")
        if not self.mlp_ratio > 0:
            raise ValueError(f"mlp_ratio must be positive, got {self.mlp_ratio!r}")


@dataclass
class PoseFormerConfig(TransformerConfig):
    """PoseFormer: `joint_dim` per joint in the spatial transformer (the paper: 32, depth 4, 27 frames);
    the temporal transformer's tokens are K * joint_dim wide; causal predicts the last frame."""

    joint_dim: int = 32
    causal: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        self.check_positive("joint_dim")
        self.window  # noqa: B018 (a symmetric window must have an odd length: WindowSpec checks)

    @property
    def window(self) -> WindowSpec:
        return WindowSpec(self.frames, "last" if self.causal else "centre", "poseformer")


class PoseFormer(nn.Module):
    """(B, T, K, C) -> (B, 1, K, 3): the pose of the window's centre (or last) frame."""

    def __init__(self, config: PoseFormerConfig | None = None) -> None:
        super().__init__()
        self.config = c = config if config is not None else PoseFormerConfig()
        wide = c.num_joints * c.joint_dim
        self.joint_embed = nn.Linear(c.in_channels, c.joint_dim)
        self.joint_position = nn.Parameter(torch.zeros(1, 1, c.num_joints, c.joint_dim))
        self.frame_position = nn.Parameter(torch.zeros(1, c.frames, wide))
        self.spatial = nn.Sequential(
            *(
                Block(c.joint_dim, _heads(c.joint_dim, c.heads), c.mlp_ratio, c.dropout)
                for _ in range(c.depth)
            )
        )
        self.spatial_norm = nn.LayerNorm(c.joint_dim)
        self.temporal = nn.Sequential(*(Block(wide, c.heads, c.mlp_ratio, c.dropout) for _ in range(c.depth)))
        self.temporal_norm = nn.LayerNorm(wide)
        self.frame_weights = nn.Linear(c.frames, 1)  # the paper's learned weighted mean over frames
        self.head = nn.Sequential(nn.LayerNorm(wide), nn.Linear(wide, c.num_joints * 3))
        nn.init.trunc_normal_(self.joint_position, std=0.02)
        nn.init.trunc_normal_(self.frame_position, std=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = self.config
        _check_window(x, c.frames, c.num_joints, c.in_channels)
        y = self.spatial_norm(self.spatial(self.joint_embed(x) + self.joint_position))  # (B, T, K, e)
        y = y.flatten(2) + self.frame_position  # (B, T, K*e)
        y = self.temporal_norm(self.temporal(y))
        y = self.frame_weights(y.transpose(1, 2)).squeeze(-1)  # (B, K*e)
        return self.head(y).reshape(-1, 1, c.num_joints, 3)


def _heads(dim: int, wanted: int) -> int:
    """The largest head count <= wanted that divides dim (a narrow joint embedding takes fewer heads)."""
    return max(h for h in range(1, wanted + 1) if dim % h == 0)


@dataclass
class DSTformerConfig(TransformerConfig):
    """MotionBERT's DSTformer (the paper: dim 512, depth 5, 243 frames); `representation` is the width
    of the features before the 3D head (MotionBERT's motion representation)."""

    frames: int = 243
    dim: int = 64
    representation: int = 128

    def __post_init__(self) -> None:
        super().__post_init__()
        self.check_positive("dim", "representation")
        if self.dim % self.heads:
            raise ValueError(f"dim {self.dim} is not divisible by heads {self.heads}")

    @property
    def window(self) -> WindowSpec:
        return WindowSpec(self.frames, "all", "motionbert")


class DSTformer(nn.Module):
    """(B, T, K, C) -> (B, T, K, 3): a pose for every frame of the window."""

    def __init__(self, config: DSTformerConfig | None = None) -> None:
        super().__init__()
        self.config = c = config if config is not None else DSTformerConfig()
        self.joint_embed = nn.Linear(c.in_channels, c.dim)
        self.joint_position = nn.Parameter(torch.zeros(1, 1, c.num_joints, c.dim))
        self.frame_position = nn.Parameter(torch.zeros(1, c.frames, 1, c.dim))
        self.drop = nn.Dropout(c.dropout)

        def blocks() -> nn.ModuleList:
            return nn.ModuleList(Block(c.dim, c.heads, c.mlp_ratio, c.dropout) for _ in range(c.depth))

        self.spatial_first, self.temporal_second = blocks(), blocks()
        self.temporal_first, self.spatial_second = blocks(), blocks()
        self.fusion = nn.ModuleList(nn.Linear(2 * c.dim, 2) for _ in range(c.depth))
        self.norm = nn.LayerNorm(c.dim)
        self.representation = nn.Sequential(nn.Linear(c.dim, c.representation), nn.Tanh())
        self.head = nn.Linear(c.representation, 3)
        nn.init.trunc_normal_(self.joint_position, std=0.02)
        nn.init.trunc_normal_(self.frame_position, std=0.02)
        for fusion in self.fusion:  # start as an even mix of the two streams, as MotionBERT does
            nn.init.zeros_(fusion.weight)
            nn.init.constant_(fusion.bias, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = self.config
        _check_window(x, c.frames, c.num_joints, c.in_channels)
        y = self.drop(self.joint_embed(x) + self.joint_position + self.frame_position)  # (B, T, K, D)
        for i in range(c.depth):
            spatial_temporal = _over_frames(self.temporal_second[i], self.spatial_first[i](y))
            temporal_spatial = self.spatial_second[i](_over_frames(self.temporal_first[i], y))
            alpha = torch.softmax(
                self.fusion[i](torch.cat([spatial_temporal, temporal_spatial], dim=-1)), dim=-1
            )
            y = spatial_temporal * alpha[..., :1] + temporal_spatial * alpha[..., 1:]
        return self.head(self.representation(self.norm(y)))


def _over_frames(block: Block, y: torch.Tensor) -> torch.Tensor:
    """Apply a block with frames as tokens: (B, T, K, D) -> (B, K, T, D) -> block -> back."""
    return block(y.transpose(1, 2)).transpose(1, 2)
