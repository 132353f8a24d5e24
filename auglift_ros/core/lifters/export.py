"""Export a trained lifter to ONNX, the only format the ROS node loads (no torch at runtime).

The file carries its own normalisation settings as ONNX ``metadata_props`` (JSON strings), so a
model and the preprocessing it was trained with cannot drift apart on a robot.
"""

from __future__ import annotations

import copy
import itertools
import warnings
from pathlib import Path

import onnx
import torch
from torch import nn

INPUT_NAME = "features"
OUTPUT_NAME = "joints3d"


def fold_batch_norm(model: nn.Module) -> nn.Module:
    """An eval-mode copy of model with every Linear -> BatchNorm1d pair merged into one Linear.

    In eval mode BatchNorm is an affine map, so folding it into the preceding Linear is exact;
    onnxruntime does not fuse Gemm + BatchNormalization itself, and the fused graph is faster.
    """
    folded = copy.deepcopy(model).eval()
    for module in folded.modules():
        children = list(module.named_children())
        for (_, first), (name, second) in itertools.pairwise(children):
            if (
                isinstance(first, nn.Linear)
                and isinstance(second, nn.BatchNorm1d)
                and second.track_running_stats
            ):
                _merge_linear_bn(first, second)
                setattr(module, name, nn.Identity())
    return folded


@torch.no_grad()
def _merge_linear_bn(linear: nn.Linear, norm: nn.BatchNorm1d) -> None:
    scale = torch.rsqrt(norm.running_var + norm.eps)
    if norm.affine:
        scale = scale * norm.weight
    shift = norm.bias if norm.affine else torch.zeros_like(scale)
    bias = linear.bias if linear.bias is not None else torch.zeros_like(scale)
    linear.weight.mul_(scale[:, None])
    linear.bias = nn.Parameter((bias - norm.running_mean) * scale + shift)


def export_onnx(
    model: nn.Module,
    path: str | Path,
    *,
    input_shape: tuple[int, ...],
    metadata: dict[str, str] | None = None,
    opset: int = 17,
) -> Path:
    """Write ``model`` as ONNX with input (batch, *input_shape) and a dynamic batch axis; return the path.

    The model is exported in eval mode (BatchNorm on running statistics, Dropout off), otherwise
    the graph would not match inference behaviour, with BatchNorm folded into the Linear layers; the
    caller's model is left untouched, so an export from inside a training loop has no side effect.
    """
    bad = [k for k, v in (metadata or {}).items() if not isinstance(k, str) or not isinstance(v, str)]
    if bad:
        raise TypeError(f"metadata must map str to str (serialise values as JSON); bad keys: {bad!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    exported = fold_batch_norm(model)
    # Batch 2 rather than 1 so the tracer cannot specialise on a singleton batch dimension.
    dummy = torch.zeros(2, *input_shape, dtype=torch.float32)
    # The TorchScript exporter is used deliberately: these networks need nothing newer, and it avoids
    # the dynamo exporter's onnxscript dependency. Its deprecation notices are only noise here.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            exported,
            (dummy,),
            str(path),
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
            opset_version=opset,
            dynamo=False,
        )
    if metadata:
        proto = onnx.load(str(path))
        merged = {prop.key: prop.value for prop in proto.metadata_props} | metadata
        del proto.metadata_props[:]
        for key, value in merged.items():
            proto.metadata_props.add(key=key, value=value)
        onnx.save(proto, str(path))
    return path
