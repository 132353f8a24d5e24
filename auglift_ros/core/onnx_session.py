"""ONNX Runtime sessions for every model the package runs (lifters, depth, 2D pose).

Provider choice is probed rather than trusted: onnxruntime-gpu lists ``CUDAExecutionProvider`` even
on machines without a GPU, and a session that asks for it there logs errors on every start. The
probe asks the CUDA driver directly, so a CPU-only robot starts silently on the CPU.
"""

from __future__ import annotations

import ctypes
import functools
from pathlib import Path

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
    """A model file is missing, unreadable, or does not have the interface its user expects."""


def open_session(
    path: Path, kind: str, *, device: str = "auto", threads: int | None = None
) -> ort.InferenceSession:
    """An inference session for the ONNX file at path; errors name the file and its kind
    ("lifter model", "depth model", ...) so a robot's log says which model is broken."""
    providers = select_providers(device)
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads must be a positive int or None, got {threads!r}")
    if not path.is_file():
        raise ModelLoadError(f"{kind} {path}: file not found")
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only: warnings about graph rewrites are noise here
    if threads is not None:
        options.intra_op_num_threads = threads
    try:
        session = ort.InferenceSession(str(path), sess_options=options, providers=providers)
    except Exception as exc:  # onnxruntime raises several unrelated types for bad files
        raise ModelLoadError(f"{kind} {path}: cannot load ({exc})") from exc
    if device == "cuda" and CUDA_PROVIDER not in session.get_providers():
        raise ModelLoadError(
            f"{kind} {path}: CUDA was requested but the session fell back to "
            f"{session.get_providers()} (check the CUDA/cuDNN runtime libraries)"
        )
    return session


def static_dim(dim: object) -> int | None:
    """A fixed positive axis length, or None for a symbolic/unknown one."""
    return dim if isinstance(dim, int) and not isinstance(dim, bool) and dim > 0 else None
