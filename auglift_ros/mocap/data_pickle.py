"""Unpickling dataset files that cannot run code.

VideoPose3D's ``.npz`` files hold pickled dicts and MotionBERT ships plain pickles. A pickle may name
any importable callable (``os.system``) and the loader calls it, so reading a crafted file runs its
code. These readers admit only what data files hold: numpy arrays, dtypes and scalars, and the plain
containers and numbers pickle builds without naming anything; any other name is refused with
:class:`UnsafePickleError` before it is imported.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path
from typing import IO, Any

import numpy as np

ALLOWED_GLOBALS: frozenset[tuple[str, str]] = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        *(
            (f"numpy.{core}.multiarray", name)
            for core in ("core", "_core")
            for name in ("_reconstruct", "scalar")
        ),
        *((f"numpy.{core}.numeric", "_frombuffer") for core in ("core", "_core")),
        ("_codecs", "encode"),  # protocol 2 writes bytes as encode(text, "latin1")
        *(
            (module, name)
            for module in ("builtins", "__builtin__")
            for name in ("set", "frozenset", "complex")
        ),
        ("collections", "OrderedDict"),
    }
)
"""(module, name) pairs a data pickle may name: numpy's array, dtype and scalar reconstructors."""


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle names something other than :data:`ALLOWED_GLOBALS`: it is code, not data."""


class DataUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :data:`ALLOWED_GLOBALS` (and persistent ids never)."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED_GLOBALS:
            raise UnsafePickleError(
                f"refusing to load {module}.{name}: data pickles may hold only numpy arrays and plain "
                "containers, and this one names code that loading would run"
            )
        return super().find_class(module, name)

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(f"refusing a persistent id {pid!r}: data pickles have none")


def load_data_pickle(stream: IO[bytes]) -> Any:
    """The object in a pickle stream, read by :class:`DataUnpickler` (latin1, as numpy's py2 files need)."""
    return DataUnpickler(stream, encoding="latin1").load()


def load_npz_member(path: str | Path, key: str) -> np.ndarray:
    """Array ``key`` of an ``.npz``; an object array is unpickled by :class:`DataUnpickler`.

    Raises KeyError when the archive has no such member; other faults as numpy and zipfile raise them.
    """
    with zipfile.ZipFile(path) as archive:
        member = f"{key}.npy"
        if member not in archive.namelist():
            raise KeyError(key)
        raw = io.BytesIO(archive.read(member))
    version = np.lib.format.read_magic(raw)
    read_header = (
        np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    )
    shape, _, dtype = read_header(raw)
    if not dtype.hasobject:
        raw.seek(0)
        return np.lib.format.read_array(raw, allow_pickle=False)
    value = load_data_pickle(raw)
    if not isinstance(value, np.ndarray) or value.shape != shape:
        raise pickle.UnpicklingError(
            f"member {key!r} holds {type(value).__name__}, not an array of shape {shape}"
        )
    return value
