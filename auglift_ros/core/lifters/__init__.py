"""2D-to-3D lifters: the torch model for training/export and the ONNX runtime for deployment.

The torch-side names are imported lazily (PEP 562) so that a node which only runs ONNX models
does not pay torch's import time (about a second), or need torch installed at all.
"""

from __future__ import annotations

import importlib
from typing import Any

from auglift_ros.core.lifters.runtime import OnnxLifter
from auglift_ros.core.onnx_session import ModelLoadError, cuda_available, select_providers

_TORCH_NAMES = {
    "SimpleBaseline": "simple_baseline",
    "SimpleBaselineConfig": "simple_baseline",
    "export_onnx": "export",
}

__all__ = [
    "ModelLoadError",
    "OnnxLifter",
    "SimpleBaseline",
    "SimpleBaselineConfig",
    "cuda_available",
    "export_onnx",
    "select_providers",
]


def __getattr__(name: str) -> Any:
    if name in _TORCH_NAMES:
        return getattr(importlib.import_module(f"{__name__}.{_TORCH_NAMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
