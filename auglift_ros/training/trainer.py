"""Supervised training of a SimpleBaseline lifter on (features, root-relative 3D joints).

Features come from `FeatureCodec.encode` and targets are root-relative joints in metres in the
camera frame; the loss is MPJPE itself. Confidence and depth channel dropout (method.md, 2.7) is
applied per person and batch with `drop_channels`, so the model learns what "no information" means.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from tqdm import tqdm

from auglift_ros.core.features import DEPTH_CHANNELS, FeatureCodec, drop_channels
from auglift_ros.core.lifters import SimpleBaseline, SimpleBaselineConfig


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings; defaults follow Martinez et al. (Adam, 1e-3, exponential decay)."""

    epochs: int = 30
    batch_size: int = 256
    learning_rate: float = 1e-3
    lr_decay_per_epoch: float = 0.96
    confidence_dropout: float = 0.0
    depth_dropout: float = 0.0
    seed: int = 0
    threads: int = 2

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.threads < 1:
            raise ValueError("epochs, batch_size and threads must be at least 1")
        if not (self.learning_rate > 0 and 0 < self.lr_decay_per_epoch <= 1):
            raise ValueError("learning_rate must be positive and lr_decay_per_epoch in (0, 1]")
        for name in ("confidence_dropout", "depth_dropout"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")

    def to_dict(self) -> dict:
        return asdict(self)


def mpjpe_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean per-joint Euclidean error, the metric the lifter is judged by."""
    return torch.linalg.vector_norm(prediction - target, dim=-1).mean()


def train_lifter(
    features: np.ndarray,
    targets: np.ndarray,
    codec: FeatureCodec,
    model_config: SimpleBaselineConfig,
    config: TrainConfig,
    *,
    progress: bool = True,
) -> tuple[SimpleBaseline, list[float]]:
    """Train a SimpleBaseline; returns the model in eval mode and the mean loss of each epoch."""
    if features.shape[:2] != targets.shape[:2] or targets.shape[-1] != 3:
        raise ValueError(f"features {features.shape} and targets {targets.shape} do not pair up")
    if features.shape[-1] != len(codec.channels):
        raise ValueError(
            f"features have {features.shape[-1]} channels, codec {codec.feature_set!r} expects "
            f"{len(codec.channels)}"
        )
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    rng = np.random.default_rng(config.seed)
    model = SimpleBaseline(model_config)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    schedule = torch.optim.lr_scheduler.ExponentialLR(optimiser, gamma=config.lr_decay_per_epoch)
    dropouts = [
        (codec.channel_mask(("c",)), config.confidence_dropout),
        (codec.channel_mask(DEPTH_CHANNELS), config.depth_dropout),
    ]
    dropouts = [(mask, p) for mask, p in dropouts if mask.any() and p > 0]
    target_tensor = torch.as_tensor(targets, dtype=torch.float32)
    history: list[float] = []
    epochs = tqdm(range(config.epochs), desc=f"train {codec.feature_set}", disable=not progress, unit="epoch")
    for _ in epochs:
        model.train()
        order = rng.permutation(len(features))
        total, seen = 0.0, 0
        for start in range(0, len(order), config.batch_size):
            index = order[start : start + config.batch_size]
            if len(index) < 2:  # BatchNorm needs two samples
                continue
            batch = features[index]
            for mask, probability in dropouts:
                batch = drop_channels(batch, mask, probability, rng)
            loss = mpjpe_loss(model(torch.as_tensor(batch, dtype=torch.float32)), target_tensor[index])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * len(index)
            seen += len(index)
        schedule.step()
        history.append(total / max(seen, 1))
        epochs.set_postfix(loss_mm=f"{1000 * history[-1]:.1f}")
    model.eval()
    return model, history
