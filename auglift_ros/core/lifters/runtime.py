"""ONNX Runtime inference for exported lifters: the only model code the ROS node runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from auglift_ros.core.onnx_session import ModelLoadError, open_session, static_dim


class OnnxLifter:
    """Runs an exported lifter: (B, K, C) float features -> (B, K, 3) float32 joints."""

    def __init__(self, path: str | Path, *, device: str = "auto", threads: int | None = None) -> None:
        self.path = Path(path)
        self._session = open_session(self.path, "lifter model", device=device, threads=threads)
        self.num_joints, self.in_channels = self._check_interface()
        self.metadata: dict[str, str] = dict(self._session.get_modelmeta().custom_metadata_map)
        self._input_name = self._session.get_inputs()[0].name
        self._output_name = self._session.get_outputs()[0].name

    def _check_interface(self) -> tuple[int, int]:
        """Read K and C from the graph, rejecting anything but (batch, K, C) -> (batch, K, 3)."""
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelLoadError(
                f"lifter model {self.path}: expected 1 input and 1 output, "
                f"got {len(inputs)} inputs and {len(outputs)} outputs"
            )
        inp, out = inputs[0], outputs[0]
        in_shape, out_shape = list(inp.shape), list(out.shape)
        if inp.type != "tensor(float)" or out.type != "tensor(float)":
            raise ModelLoadError(
                f"lifter model {self.path}: expected float32 input and output, got {inp.type} -> {out.type}"
            )
        if len(in_shape) == 3 and len(out_shape) == 3:
            k, c = static_dim(in_shape[1]), static_dim(in_shape[2])
            if (
                k is not None
                and c is not None
                and static_dim(in_shape[0]) is None
                and static_dim(out_shape[1]) == k
                and static_dim(out_shape[2]) == 3
            ):
                return k, c
        raise ModelLoadError(
            f"lifter model {self.path}: expected input (batch, K, C) with a dynamic batch axis and "
            f"output (batch, K, 3), got {in_shape} -> {out_shape}"
        )

    @property
    def providers(self) -> list[str]:
        """The providers the session actually uses, which may differ from those requested."""
        return list(self._session.get_providers())

    def run(self, features: np.ndarray) -> np.ndarray:
        """Lift a batch; missing values must be filled by the caller, so NaN/inf are rejected."""
        x = np.asarray(features)
        k, c = self.num_joints, self.in_channels
        if x.ndim != 3 or x.shape[1:] != (k, c):
            raise ValueError(f"expected features of shape (batch, K, C) = (batch, {k}, {c}), got {x.shape}")
        if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
            raise ValueError(f"expected real-valued features, got dtype {x.dtype}")
        if x.shape[0] == 0:
            return np.empty((0, k, 3), dtype=np.float32)
        x = np.ascontiguousarray(x, dtype=np.float32)
        if not np.isfinite(x).all():
            raise ValueError("features contain NaN or inf; fill missing values before lifting")
        (y,) = self._session.run([self._output_name], {self._input_name: x})
        return np.asarray(y, dtype=np.float32)
