"""Demo data shipped inside PyPI wheels (pose2sim, sports2d): fetched with pip, unpacked file by file.

Their demo videos and calibrations are small parts of large wheels, and the registry is the one
download channel every set-up already has, so ``pip download --no-deps`` (the running interpreter's
pip) fetches the wheel and only the needed members are unpacked. Writes are atomic (a temporary name,
then a rename), so an interrupted fetch never leaves a truncated file that looks cached.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

_OFFLINE_SIGNS = (
    "NewConnectionError",
    "Failed to establish",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ConnectTimeout",
    "ProxyError",
)
"""Phrases of pip's (urllib3's) messages when the registry cannot be reached at all."""


class FetchError(RuntimeError):
    """pip could not get a wheel (no registry, unknown version), or the wheel lacks a file."""


def _say(log: Callable[[str], None] | None, message: str) -> None:
    if log is not None:
        log(message)


def download_wheel(
    package: str,
    directory: Path,
    *,
    version: str | None = None,
    retries: int = 2,
    log: Callable[[str], None] | None = print,
) -> Path:
    """The wheel of ``package`` (``==version`` when given) in ``directory``, downloaded unless there.

    A wheel already in the directory is reused without asking the registry (so a copied-in wheel
    works offline). FetchError carries pip's own last lines (an unreachable registry, an unknown
    version) instead of a traceback.
    """
    name = package.replace("-", "_")
    pattern = f"{name}-{version}-*.whl" if version else f"{name}-*.whl"
    found = sorted(directory.glob(pattern))
    if found:
        return found[-1]
    directory.mkdir(parents=True, exist_ok=True)
    requirement = f"{package}=={version}" if version else package
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet",
            "--disable-pip-version-check", f"--retries={retries}", "-d", tmp, requirement,
        ]  # fmt: skip
        _say(log, f"fetching the {requirement} wheel: {' '.join(command[1:])}")
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        wheels = sorted(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            output = done.stderr or done.stdout
            said = [line for line in output.strip().splitlines() if line.strip()]
            offline = any(sign in output for sign in _OFFLINE_SIGNS)
            raise FetchError(
                f"cannot fetch the {requirement} wheel with pip"
                f"{' (the package registry cannot be reached)' if offline else ''} "
                f"(status {done.returncode}: {' / '.join(said[-3:]) or 'no output'})"
            )
        target = directory / wheels[0].name
        shutil.move(str(wheels[0]), target)
    return target


def extract_member(wheel: Path, member_suffix: str, target: Path) -> Path:
    """Unpack the one member of ``wheel`` whose path ends with ``/member_suffix`` to ``target``."""
    with zipfile.ZipFile(wheel) as archive:
        members = [n for n in archive.namelist() if n.endswith("/" + member_suffix) or n == member_suffix]
        if not members:
            raise FetchError(f"{wheel.name} has no {member_suffix}")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        with archive.open(members[0]) as src, partial.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    partial.replace(target)
    return target


def fetch_wheel_file(
    package: str,
    member_suffix: str,
    target: Path,
    *,
    version: str | None = None,
    log: Callable[[str], None] | None = print,
) -> Path:
    """``target``, unpacked from the package's wheel on first use (the wheel itself is not kept)."""
    if target.is_file() and target.stat().st_size > 0:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        wheel = download_wheel(package, Path(tmp), version=version, log=log)
        return extract_member(wheel, member_suffix, target)
