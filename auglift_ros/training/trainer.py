"""Supervised training of a lifter (any family) on (features, root-relative 3D joints).

Features come from `FeatureCodec.encode` and targets are root-relative joints in metres in the
camera frame; the loss is MPJPE itself. Confidence and depth channel dropout (method.md, 2.7) is
applied per person and batch with `drop_channels`, so the model learns what "no information" means.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

import numpy as np
import torch
from tqdm import tqdm

from auglift_ros.core.features import DEPTH_CHANNELS, FeatureCodec, drop_channels
from auglift_ros.core.lifters import SimpleBaseline, SimpleBaselineConfig, build_lifter
from auglift_ros.core.lifters.config import LifterConfig


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


Batches = Callable[[np.random.Generator], Iterator[tuple[np.ndarray, np.ndarray]]]
"""One epoch of (features, targets) batches, drawn with the given generator."""


def train_lifter(
    features: np.ndarray,
    targets: np.ndarray,
    codec: FeatureCodec,
    model_config: SimpleBaselineConfig,
    config: TrainConfig,
    *,
    progress: bool = True,
) -> tuple[SimpleBaseline, list[float]]:
    """Train a SimpleBaseline on per-frame samples; returns the model in eval mode and the mean loss
    of each epoch."""
    if features.shape[:2] != targets.shape[:2] or targets.shape[-1] != 3:
        raise ValueError(f"features {features.shape} and targets {targets.shape} do not pair up")

    return fit(
        model_config, frame_batches(features, targets, config.batch_size), codec, config, progress=progress
    )


def frame_batches(features: np.ndarray, targets: np.ndarray, batch_size: int) -> Batches:
    """An epoch over per-frame samples: every sample once, in a new random order each epoch."""

    def epoch(rng: np.random.Generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        order = rng.permutation(len(features))
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            yield features[index], targets[index]

    return epoch


def fit(
    model_config: LifterConfig,
    epoch: Batches,
    codec: FeatureCodec,
    config: TrainConfig,
    *,
    progress: bool = True,
) -> tuple[torch.nn.Module, list[float]]:
    """Build and train a lifter of any family on the batches `epoch` draws (features (B, ..., C),
    targets (B, ..., 3)): channel dropout per sample, MPJPE loss, Adam with exponential decay. The
    seed fixes the initial weights too. The model ends in eval mode."""
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    rng = np.random.default_rng(config.seed)
    model = build_lifter(model_config)
    channels = model_config.in_channels
    if channels != len(codec.channels):
        raise ValueError(
            f"the model takes {channels} channels, codec {codec.feature_set!r} makes {len(codec.channels)}"
        )
    batch_norm = any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules())
    if batch_norm and config.batch_size < 2:
        raise ValueError(
            f"a {model_config.window.family} lifter has BatchNorm layers, which need batch_size >= 2 "
            f"(got {config.batch_size})"
        )
    optimiser = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    schedule = torch.optim.lr_scheduler.ExponentialLR(optimiser, gamma=config.lr_decay_per_epoch)
    dropouts = [
        (codec.channel_mask(("c",)), config.confidence_dropout),
        (codec.channel_mask(DEPTH_CHANNELS), config.depth_dropout),
    ]
    dropouts = [(mask, p) for mask, p in dropouts if mask.any() and p > 0]
    history: list[float] = []
    name = f"train {model.config.window.family} {codec.feature_set}"
    epochs = tqdm(range(config.epochs), desc=name, disable=not progress, unit="epoch")
    for _ in epochs:
        model.train()
        total, seen = 0.0, 0
        for batch, target in epoch(rng):
            if batch_norm and len(batch) < 2:  # an epoch's last, single-sample batch
                continue
            if batch.shape[-1] != channels:
                raise ValueError(
                    f"features have {batch.shape[-1]} channels, codec {codec.feature_set!r} "
                    f"expects {channels}"
                )
            for mask, probability in dropouts:
                batch = drop_channels(batch, mask, probability, rng)
            prediction = model(torch.as_tensor(batch, dtype=torch.float32))
            loss = mpjpe_loss(prediction, torch.as_tensor(target, dtype=torch.float32))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * len(batch)
            seen += len(batch)
        if seen == 0:
            raise ValueError("an epoch drew no batch the lifter could train on; draw more samples per epoch")
        schedule.step()
        history.append(total / seen)
        epochs.set_postfix(loss_mm=f"{1000 * history[-1]:.1f}")
    model.eval()
    return model, history
