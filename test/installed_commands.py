"""Finding a console script of this package the way each install puts it."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def installed_command(name: str) -> str:
    """The path of console script `name`: on PATH (pip, an activated venv), in `lib/auglift_ros` of an
    AMENT_PREFIX_PATH prefix (colcon, where ament_python puts scripts for `ros2 run`: the package under
    test there), or beside the Python interpreter (a venv not activated). AssertionError naming every
    place looked at if it is in none."""
    found = shutil.which(name)
    if found:
        return found
    prefixes = os.environ.get("AMENT_PREFIX_PATH", "")
    places = [Path(prefix) / "lib" / "auglift_ros" / name for prefix in prefixes.split(os.pathsep) if prefix]
    places.append(Path(sys.executable).with_name(name))
    for place in places:
        if place.is_file() and os.access(place, os.X_OK):
            return str(place)
    raise AssertionError(f"{name} is not installed: not on PATH, nor at {', '.join(map(str, places))}")
