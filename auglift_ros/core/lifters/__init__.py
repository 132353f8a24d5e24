"""2D-to-3D lifters: the torch model for training/export and the ONNX runtime for deployment.

The torch-side names are imported lazily (PEP 562) so that a node which only runs ONNX models
does not pay torch's import time (about a second), or need torch installed at all.
"""

from __future__ import annotations

import importlib
from typing import Any

from auglift_ros.core.lifters.runtime import OnnxLifter
from auglift_ros.core.lifters.temporal import (
    TEMPORAL_METADATA_KEY,
    PersonWindows,
    WindowSpec,
    predict_sequence,
    stream_sequence,
)
from auglift_ros.core.onnx_session import ModelLoadError, cuda_available, select_providers

_TORCH_NAMES = {
    "DSTformer": "transformers",
    "DSTformerConfig": "transformers",
    "FAMILIES": "families",
    "PoseFormer": "transformers",
    "PoseFormerConfig": "transformers",
    "SimpleBaseline": "simple_baseline",
    "SimpleBaselineConfig": "simple_baseline",
    "VideoPose3D": "videopose3d",
    "VideoPose3DConfig": "videopose3d",
    "build_lifter": "families",
    "export_lifter": "families",
    "export_onnx": "export",
    "lifter_config": "families",
    "sample_shape": "families",
}

__all__ = [
    "TEMPORAL_METADATA_KEY",
    "ModelLoadError",
    "OnnxLifter",
    "PersonWindows",
    "WindowSpec",
    "cuda_available",
    "predict_sequence",
    "select_providers",
    "stream_sequence",
    *_TORCH_NAMES,
]


def __getattr__(name: str) -> Any:
    if name in _TORCH_NAMES:
        return getattr(importlib.import_module(f"{__name__}.{_TORCH_NAMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
