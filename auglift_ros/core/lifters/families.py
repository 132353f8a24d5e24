"""The lifter families by name: how a training config or checkpoint builds its network, and how a
network is exported so the node can tell from the file alone what window it needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch import nn

from auglift_ros.core.lifters.config import LifterConfig
from auglift_ros.core.lifters.export import export_onnx
from auglift_ros.core.lifters.simple_baseline import SimpleBaseline, SimpleBaselineConfig
from auglift_ros.core.lifters.temporal import TEMPORAL_METADATA_KEY
from auglift_ros.core.lifters.transformers import DSTformer, DSTformerConfig, PoseFormer, PoseFormerConfig
from auglift_ros.core.lifters.videopose3d import VideoPose3D, VideoPose3DConfig

FAMILIES: dict[str, tuple[type[nn.Module], type[LifterConfig]]] = {
    "simple_baseline": (SimpleBaseline, SimpleBaselineConfig),
    "videopose3d": (VideoPose3D, VideoPose3DConfig),
    "poseformer": (PoseFormer, PoseFormerConfig),
    "motionbert": (DSTformer, DSTformerConfig),
}


def lifter_config(family: str, values: dict[str, Any]) -> LifterConfig:
    """The family's config from plain values (a YAML section or a checkpoint); names what is wrong."""
    if family not in FAMILIES:
        raise ValueError(f"unknown lifter family {family!r}; choose one of {sorted(FAMILIES)}")
    return FAMILIES[family][1].from_dict(values)


def build_lifter(config: LifterConfig) -> nn.Module:
    """A fresh network for a config made by `lifter_config`."""
    for model_class, config_class in FAMILIES.values():
        if type(config) is config_class:
            return model_class(config)
    raise TypeError(f"no lifter family uses {type(config).__name__}")


def sample_shape(config: LifterConfig) -> tuple[int, ...]:
    """One sample's input shape: (K, C) for a single-frame lifter, (T, K, C) for a temporal one."""
    if isinstance(config, SimpleBaselineConfig):
        return (config.num_joints, config.in_channels)
    return (config.window.frames, config.num_joints, config.in_channels)


def export_lifter(model: nn.Module, path: str | Path, metadata: dict[str, str] | None = None) -> Path:
    """Export any family's network; temporal ones carry their WindowSpec in the file's metadata."""
    config: LifterConfig = model.config
    extra = (
        {} if isinstance(config, SimpleBaselineConfig) else {TEMPORAL_METADATA_KEY: config.window.to_json()}
    )
    return export_onnx(model, path, input_shape=sample_shape(config), metadata={**(metadata or {}), **extra})
