"""Package metadata that colcon and ament rely on, checked without a ROS install."""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from installed_commands import installed_command

ROOT = Path(__file__).resolve().parents[1]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def test_package_xml_is_format_3_ament_python_with_required_dependencies() -> None:
    package = ET.parse(ROOT / "package.xml").getroot()
    assert package.tag == "package" and package.get("format") == "3"
    assert package.findtext("name") == "auglift_ros"
    maintainers = package.findall("maintainer")
    assert maintainers and all(EMAIL.match(m.get("email", "")) for m in maintainers)
    assert package.findtext("export/build_type") == "ament_python"
    exec_depends = {e.text for e in package.findall("exec_depend")}
    assert {
        "rclpy",
        "sensor_msgs",
        "visualization_msgs",
        "geometry_msgs",
        "std_msgs",
        "diagnostic_msgs",
        "message_filters",
        "launch_ros",
        "python3-numpy",
        "python3-yaml",
        "python3-scipy",
        "python3-matplotlib",
        "python3-tqdm",
    } <= exec_depends
    assert "cv_bridge" not in exec_depends  # images are converted without it (nodes/messages.py)
    assert {e.text for e in package.findall("test_depend")} == {"python3-pytest"}


def test_versions_agree() -> None:
    import auglift_ros

    package_version = ET.parse(ROOT / "package.xml").getroot().findtext("version")
    setup_version = re.search(r'version="([^"]+)"', (ROOT / "setup.py").read_text()).group(1)
    assert package_version == setup_version == auglift_ros.__version__


def test_wheel_installs_ament_marker_and_share_files(tmp_path: Path) -> None:
    """The files colcon installs come from setup.py's data_files: build a wheel and look inside."""
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if build.returncode != 0:
        pytest.fail(f"wheel build failed:\n{build.stderr[-2000:]}")
    (wheel,) = tmp_path.glob("auglift_ros-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data = "auglift_ros-0.1.0.data/data/share"
    assert f"{data}/ament_index/resource_index/packages/auglift_ros" in names
    assert f"{data}/auglift_ros/package.xml" in names
    for folder in ("launch", "config", "models"):
        shipped = {p.name for p in (ROOT / folder).glob("*") if p.suffix != ".md"}
        assert {
            n.rsplit("/", 1)[1] for n in names if n.startswith(f"{data}/auglift_ros/{folder}/")
        } == shipped
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    scripts = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "auglift-ros = auglift_ros.commands.main:main" in scripts
    for node in sorted((ROOT / "auglift_ros" / "nodes").glob("*_node.py")):  # `ros2 run auglift_ros <node>`
        assert f"{node.stem} = auglift_ros.nodes.start:{node.stem}" in scripts  # Ctrl-C-safe start


def test_installed_command_is_found_in_an_ament_prefix_as_colcon_installs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "install" / "lib" / "auglift_ros" / "auglift-ros-test-only"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    monkeypatch.setenv("AMENT_PREFIX_PATH", f"/nonexistent{os.pathsep}{tmp_path / 'install'}")
    with pytest.raises(AssertionError, match="not installed"):
        installed_command("auglift-ros-test-only")  # not executable yet
    script.chmod(0o755)
    assert installed_command("auglift-ros-test-only") == str(script)


def test_the_robot_install_picks_wheels_that_exist_on_x86_64_and_on_arm() -> None:
    """requirements-ros.txt's markers, evaluated for each machine as scripts/check_wheels.py does
    (which also asks the index for the wheels: no x86_64-only package may reach an ARM robot)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_wheels", ROOT / "scripts" / "check_wheels.py")
    assert spec is not None and spec.loader is not None
    check_wheels = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check_wheels)

    def names(machine: str) -> set[str]:
        kept = check_wheels.requirements_for(ROOT / "requirements-ros.txt", machine, "3.12")
        return {re.split(r"[<>=!~ ]", line, maxsplit=1)[0] for line in kept}

    x86, arm = names("x86_64"), names("aarch64")
    assert {"mediapipe", "onnxruntime-gpu"} <= x86 and not {"onnxruntime", "opencv-python-headless"} & x86
    assert {"onnxruntime", "opencv-python-headless"} <= arm and not {"mediapipe", "onnxruntime-gpu"} & arm
    assert not {"torch", "onnx"} & (x86 | arm)  # training only: requirements-train.txt


def test_the_installed_distributions_are_the_locked_versions() -> None:
    """scripts/setup_env.sh installs requirements.lock with --require-hashes; a venv that drifted from
    it (a hand-installed upgrade, a lock edited without reinstalling) fails here."""
    import importlib.metadata

    locked = dict(
        re.findall(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", (ROOT / "requirements.lock").read_text(), re.M)
    )
    assert len(locked) > 100 and "mediapipe" in locked and "opencv-python-headless" not in locked

    def canonical(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    installed = {canonical(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}
    differing = {
        name: (version, installed.get(canonical(name)))
        for name, version in locked.items()
        if installed.get(canonical(name)) != version
    }
    assert not differing, f"installed differs from requirements.lock (locked, installed): {differing}"
