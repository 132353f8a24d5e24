"""ONNX Runtime inference for exported lifters: the only model code the ROS node runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from auglift_ros.core.onnx_session import ModelLoadError, open_session, static_dim


class OnnxLifter:
    """Runs an exported lifter: (B, K, C) -> (B, K, 3) for a single-frame lifter, (B, T, K, C) ->
    (B, T_out, K, 3) for a temporal one; float32 out."""

    def __init__(self, path: str | Path, *, device: str = "auto", threads: int | None = None) -> None:
        self.path = Path(path)
        self._session = open_session(self.path, "lifter model", device=device, threads=threads)
        self.frames, self.output_frames, self.num_joints, self.in_channels = self._check_interface()
        self.metadata: dict[str, str] = dict(self._session.get_modelmeta().custom_metadata_map)
        self._input_name = self._session.get_inputs()[0].name
        self._output_name = self._session.get_outputs()[0].name

    def _check_interface(self) -> tuple[int | None, int | None, int, int]:
        """(T, T_out, K, C) from the graph (T and T_out None for a single-frame lifter), rejecting
        anything but (batch, [T,] K, C) -> (batch, [T_out,] K, 3) with a dynamic batch axis."""
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
        if len(in_shape) in (3, 4) and len(out_shape) == len(in_shape):
            static_in = [static_dim(d) for d in in_shape[1:]]
            static_out = [static_dim(d) for d in out_shape[1:]]
            if (
                None not in static_in
                and None not in static_out
                and static_dim(in_shape[0]) is None
                and static_out[-2:] == [static_in[-2], 3]
            ):
                if len(in_shape) == 3:
                    return None, None, static_in[0], static_in[1]
                return static_in[0], static_out[0], static_in[1], static_in[2]
        raise ModelLoadError(
            f"lifter model {self.path}: expected input (batch, [T,] K, C) with a dynamic batch axis and "
            f"output (batch, [T_out,] K, 3), got {in_shape} -> {out_shape}"
        )

    @property
    def temporal(self) -> bool:
        return self.frames is not None

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """One sample's input shape: (K, C), or (T, K, C) for a temporal lifter."""
        per_frame = (self.num_joints, self.in_channels)
        return per_frame if self.frames is None else (self.frames, *per_frame)

    @property
    def providers(self) -> list[str]:
        """The providers the session actually uses, which may differ from those requested."""
        return list(self._session.get_providers())

    def run(self, features: np.ndarray) -> np.ndarray:
        """Lift a batch; missing values must be filled by the caller, so NaN/inf are rejected."""
        x = np.asarray(features)
        shape = self.sample_shape
        if x.ndim != len(shape) + 1 or x.shape[1:] != shape:
            names = "(batch, K, C)" if self.frames is None else "(batch, T, K, C)"
            raise ValueError(
                f"expected features of shape {names} = (batch, {', '.join(map(str, shape))}), got {x.shape}"
            )
        if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
            raise ValueError(f"expected real-valued features, got dtype {x.dtype}")
        if x.shape[0] == 0:
            out_shape = (
                (self.num_joints, 3) if self.frames is None else (self.output_frames, self.num_joints, 3)
            )
            return np.empty((0, *out_shape), dtype=np.float32)
        x = np.ascontiguousarray(x, dtype=np.float32)
        if not np.isfinite(x).all():
            raise ValueError("features contain NaN or inf; fill missing values before lifting")
        (y,) = self._session.run([self._output_name], {self._input_name: x})
        return np.asarray(y, dtype=np.float32)
