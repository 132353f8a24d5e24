"""ONNX Runtime inference for exported lifters: the only model code the ROS node runs.

Provider choice is probed rather than trusted: onnxruntime-gpu lists ``CUDAExecutionProvider`` even
on machines without a GPU, and a session that asks for it there logs errors on every start. The
probe asks the CUDA driver directly, so a CPU-only robot starts silently on the CPU.
"""

from __future__ import annotations

import ctypes
import functools
from pathlib import Path

import numpy as np
import onnxruntime as ort

CUDA_PROVIDER = "CUDAExecutionProvider"
CPU_PROVIDER = "CPUExecutionProvider"
DEVICES = ("auto", "cpu", "cuda")


@functools.cache
def cuda_available() -> bool:
    """True only if onnxruntime has a CUDA provider and the driver sees at least one device.

    Uses the driver API through ctypes (``cuInit`` + ``cuDeviceGetCount``): cheap, prints
    nothing, and needs no torch. Cached because the answer cannot change within a process.
    """
    if CUDA_PROVIDER not in ort.get_available_providers():
        return False
    try:
        libcuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    if libcuda.cuInit(0) != 0:
        return False
    count = ctypes.c_int(0)
    if libcuda.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return False
    return count.value >= 1


def select_providers(device: str = "auto") -> list[str]:
    """Execution providers for ``device`` ("auto", "cpu" or "cuda"), CUDA only when usable."""
    if device not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, got {device!r}")
    if device == "cpu":
        return [CPU_PROVIDER]
    if cuda_available():
        return [CUDA_PROVIDER, CPU_PROVIDER]
    if device == "cuda":
        raise RuntimeError(
            "device='cuda' requested but CUDA is not usable: onnxruntime lacks the CUDA provider, "
            "or the CUDA driver (libcuda.so.1) is missing or reports no device; use device='auto' "
            "or 'cpu'"
        )
    return [CPU_PROVIDER]


class ModelLoadError(RuntimeError):
    """A lifter model file is missing, unreadable, or does not have the lifter's interface."""


def _static_dim(dim: object) -> int | None:
    """A fixed positive axis length, or None for a symbolic/unknown one."""
    return dim if isinstance(dim, int) and not isinstance(dim, bool) and dim > 0 else None


class OnnxLifter:
    """Runs an exported lifter: (B, K, C) float features -> (B, K, 3) float32 joints."""

    def __init__(self, path: str | Path, *, device: str = "auto", threads: int | None = None) -> None:
        self.path = Path(path)
        providers = select_providers(device)
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
            raise ValueError(f"threads must be a positive int or None, got {threads!r}")
        if not self.path.is_file():
            raise ModelLoadError(f"lifter model {self.path}: file not found")

        options = ort.SessionOptions()
        options.log_severity_level = 3  # errors only: warnings about graph rewrites are noise here
        if threads is not None:
            options.intra_op_num_threads = threads
        try:
            self._session = ort.InferenceSession(str(self.path), sess_options=options, providers=providers)
        except Exception as exc:  # onnxruntime raises several unrelated types for bad files
            raise ModelLoadError(f"lifter model {self.path}: cannot load ({exc})") from exc
        if device == "cuda" and CUDA_PROVIDER not in self._session.get_providers():
            raise ModelLoadError(
                f"lifter model {self.path}: CUDA was requested but the session fell back to "
                f"{self._session.get_providers()} (check the CUDA/cuDNN runtime libraries)"
            )

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
            k, c = _static_dim(in_shape[1]), _static_dim(in_shape[2])
            if (
                k is not None
                and c is not None
                and _static_dim(in_shape[0]) is None
                and _static_dim(out_shape[1]) == k
                and _static_dim(out_shape[2]) == 3
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
