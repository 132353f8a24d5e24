"""Check that a requirements file installs from wheels on another machine type (e.g. an ARM robot).

    .venv/bin/python scripts/check_wheels.py requirements-ros.txt --machine aarch64 --python 3.12

pip evaluates environment markers (``; platform_machine == "x86_64"``) for the machine it runs on,
even with ``--platform``, so this script evaluates them for the target machine first (with
``packaging.markers``), then asks ``pip download --only-binary=:all:`` for wheels of the target's
manylinux tags and Python version, into a scratch folder. Prints the requirements kept for the target
and the wheels found, or pip's error. Needs network access to the package index.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from packaging.requirements import Requirement

MANYLINUX_TAGS = ("manylinux2014", *(f"manylinux_2_{minor}" for minor in (17, 24, 26, 27, 28, 31, 34, 35)))
"""Wheel tags a glibc 2.35 machine (Ubuntu 22.04 and newer, JetPack 6) accepts."""


def requirements_for(path: Path, machine: str, python: str) -> list[str]:
    """The requirement lines of path (comments dropped) whose markers hold on the target machine."""
    environment = {
        "platform_machine": machine,
        "python_version": python,
        "sys_platform": "linux",
        "platform_system": "Linux",
    }
    kept = []
    for line in path.read_text().splitlines():
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate(environment):
            requirement.marker = None
            kept.append(str(requirement))
    return kept


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("requirements", type=Path)
    parser.add_argument(
        "--machine", default="aarch64", help="platform_machine of the target (default aarch64)"
    )
    parser.add_argument("--python", default="3.12", help="Python version of the target (default 3.12)")
    args = parser.parse_args(argv)
    kept = requirements_for(args.requirements, args.machine, args.python)
    print(f"{args.requirements} on {args.machine}, Python {args.python}: {', '.join(kept)}")
    with tempfile.TemporaryDirectory(prefix="check_wheels_") as scratch:
        wanted = Path(scratch) / "requirements.txt"
        wanted.write_text("\n".join(kept) + "\n")
        platforms = [arg for tag in MANYLINUX_TAGS for arg in ("--platform", f"{tag}_{args.machine}")]
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--only-binary=:all:",
            "-r",
            str(wanted),
        ]
        command += [*platforms, "--python-version", args.python, "-d", str(Path(scratch) / "wheels")]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
            print("no complete set of wheels:\n" + "\n".join(errors or [result.stderr.strip()]))
            return 1
        wheels = sorted(p.name for p in (Path(scratch) / "wheels").iterdir())
        print(f"all {len(wheels)} wheels found:\n  " + "\n  ".join(wheels))
    return 0


if __name__ == "__main__":
    sys.exit(main())
