"""launch/pipeline.launch.py: what it starts, checked everywhere; launching it, where ROS launch exists."""

from __future__ import annotations

import importlib.util
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest
import yaml

from auglift_ros.runtime.graph import FASTDDS_PROFILE_VARIABLES, graph_arguments, load_graph

ROOT = Path(__file__).resolve().parent.parent
LAUNCH_FILE = ROOT / "launch" / "pipeline.launch.py"


class _Recorded:
    """Stands in for a launch action: remembers its arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs


class _PackageNotFoundError(KeyError):
    """Stands in for ament_index_python's PackageNotFoundError."""


class _LogInfo(_Recorded):
    """Stands in for launch.actions.LogInfo (a message, no node)."""


def _load_with_stand_ins(
    monkeypatch: pytest.MonkeyPatch, share: Path, *, installed: tuple[str, ...] = ("auglift_ros", "rviz2")
) -> types.ModuleType:
    """Import the launch file with recording stand-ins for launch and launch_ros (absent here); the
    ament index knows the packages ``installed``."""

    def share_directory(package: str) -> str:
        if package not in installed:
            raise _PackageNotFoundError(package)
        return str(share)

    fakes = {
        "launch": {"LaunchContext": object, "LaunchDescription": _Recorded},
        "launch.actions": {
            "DeclareLaunchArgument": _Recorded,
            "LogInfo": _LogInfo,
            "OpaqueFunction": _Recorded,
        },
        "launch.substitutions": {"LaunchConfiguration": _Recorded},
        "launch_ros.actions": {"Node": _Recorded},
        "ament_index_python.packages": {
            "get_package_share_directory": share_directory,
            "PackageNotFoundError": _PackageNotFoundError,
        },
    }
    for name, attributes in fakes.items():
        module = types.ModuleType(name)
        module.__dict__.update(attributes)
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setitem(sys.modules, "launch_ros", types.ModuleType("launch_ros"))
    spec = importlib.util.spec_from_file_location("pipeline_launch", LAUNCH_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(module: types.ModuleType, values: dict[str, str]) -> list[_Recorded]:
    defaults = {a.args[0]: a.kwargs["default_value"] for a in module._arguments()}
    settings = defaults | values

    class Configuration(_Recorded):
        def perform(self, context: object) -> str:
            return settings[self.args[0]]

    module.LaunchConfiguration = Configuration
    return module._nodes(context=None)


def test_launch_file_starts_the_graph_with_its_parameters_and_rviz(monkeypatch: pytest.MonkeyPatch) -> None:
    module = _load_with_stand_ins(monkeypatch, share=ROOT)  # the source tree has the share layout
    arguments = {a.args[0] for a in module._arguments()}
    assert {
        "image_topic",
        "camera_info_topic",
        "depth_topic",
        "depth_source",
        "namespace",
        "rviz",
        "fixed_frame",
        "evaluate",
    } | set(graph_arguments()) == arguments
    actions = _run(module, {"namespace": "robot1", "image_topic": "/usb_cam/image_raw"})
    graph = {spec.name: spec for spec in load_graph(camera={"image": "/usb_cam/image_raw"})}
    nodes = {a.kwargs["name"]: a.kwargs for a in actions if a.kwargs["package"] == "auglift_ros"}
    assert set(nodes) == set(graph)
    for name, node in nodes.items():
        assert node["executable"] == graph[name].executable and node["namespace"] == "robot1"
        assert node["parameters"] == [graph[name].parameters]  # the config's values, nothing else
        assert dict(node["remappings"]) == graph[name].remappings
    (rviz,) = [a.kwargs for a in actions if a.kwargs["package"] == "rviz2"]
    rviz_file = Path(rviz["arguments"][1])
    assert rviz_file.is_file() and rviz_file.name == "auglift.rviz"
    # Every topic RViz shows is remapped to one the pipeline publishes in the namespace.
    shown = {
        d["Topic"]["Value"]
        for d in yaml.safe_load(rviz_file.read_text())["Visualization Manager"]["Displays"]
        if "Topic" in d
    }
    remaps = dict(rviz["remappings"])
    assert set(remaps) == shown
    assert remaps["/lifter/skeletons"] == "/robot1/lifter/skeletons"
    assert remaps["/camera/color/image_raw"] == "/usb_cam/image_raw"
    assert not [a for a in _run(module, {"rviz": "false"}) if a.kwargs["package"] == "rviz2"]
    assert "-f" not in rviz["arguments"]  # the config's fixed frame unless one is given
    (framed,) = [a for a in _run(module, {"fixed_frame": "head_camera"}) if a.kwargs["package"] == "rviz2"]
    assert framed.kwargs["arguments"][2:] == ["-f", "head_camera"]


def test_a_headless_robot_without_rviz2_runs_the_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    """ros-base has no rviz2: by default RViz is left out silently; asked for, a message says why."""
    module = _load_with_stand_ins(monkeypatch, share=ROOT, installed=("auglift_ros",))
    graph = {spec.name for spec in load_graph()}
    for setting, messages in (("auto", 0), ("true", 1)):
        actions = _run(module, {"rviz": setting})
        nodes = [a for a in actions if not isinstance(a, _LogInfo)]
        assert {a.kwargs["name"] for a in nodes} == graph
        logged = [a.kwargs["msg"] for a in actions if isinstance(a, _LogInfo)]
        assert len(logged) == messages and all("rviz2 package is not installed" in m for m in logged)
    with pytest.raises(ValueError, match="rviz:=maybe"):
        _run(module, {"rviz": "maybe"})


def test_nodes_get_the_projects_dds_profile_unless_the_user_names_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = _load_with_stand_ins(monkeypatch, share=ROOT)
    monkeypatch.delenv("RMW_IMPLEMENTATION", raising=False)
    for variable in FASTDDS_PROFILE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    for action in _run(module, {"rviz": "false"}):
        (profile,) = action.kwargs["additional_env"].values()
        assert Path(profile) == ROOT / "config" / "fastdds_large_shm.xml" and Path(profile).is_file()
    monkeypatch.setenv("FASTRTPS_DEFAULT_PROFILES_FILE", "/etc/robot/dds.xml")
    assert all(a.kwargs["additional_env"] == {} for a in _run(module, {"rviz": "false"}))


def test_launch_file_starts_the_depth_node_with_its_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    module = _load_with_stand_ins(monkeypatch, share=ROOT)
    settings = {"depth_source": "node", "depth_model": "/models/da2.onnx", "rviz": "false"}
    nodes = {a.kwargs["name"]: a.kwargs for a in _run(module, settings)}
    assert set(nodes) == {"detector", "depth", "lifter"}
    (parameters,) = nodes["depth"]["parameters"]
    assert parameters["model"] == "/models/da2.onnx" and parameters["every_n_frames"] == 1
    assert dict(nodes["lifter"]["remappings"])["depth"] == "depth/depth"


def test_launch_file_starts_the_evaluator_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    module = _load_with_stand_ins(monkeypatch, share=ROOT)
    settings = {"evaluate": "true", "evaluation_out": "/tmp/run1", "rviz": "false"}
    nodes = {a.kwargs["name"]: a.kwargs for a in _run(module, settings)}
    assert set(nodes) == {"detector", "lifter", "evaluator"}
    assert nodes["evaluator"]["parameters"][0]["out_dir"] == "/tmp/run1"
    assert dict(nodes["evaluator"]["remappings"]) == {
        "ground_truth": "ground_truth/skeletons",
        "sequences": "ground_truth/sequences",
        "skeletons": "lifter/skeletons",
    }


def test_every_executable_the_graph_names_is_a_node_module() -> None:
    for spec in [*load_graph(depth_source="node"), *load_graph(evaluate=True)]:
        assert (ROOT / "auglift_ros" / "nodes" / f"{spec.executable}.py").is_file(), spec.executable


def test_launch_with_ros_launch() -> None:
    """Where launch_ros is installed (a ROS 2 install): launch the graph without RViz, check that every
    node of the graph is up on the ROS graph after a few seconds, then that all stop cleanly."""
    pytest.importorskip("launch_ros", reason="launch_ros is not installed (no ROS 2 install here)")
    launch = pytest.importorskip("launch")
    from ament_index_python.packages import PackageNotFoundError, get_package_share_directory

    try:
        get_package_share_directory("auglift_ros")
    except (PackageNotFoundError, OSError):
        pytest.skip("auglift_ros is not installed in an ament prefix (colcon build and source it)")
    import rclpy

    spec = importlib.util.spec_from_file_location("pipeline_launch", LAUNCH_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    seen: set[str] = set()
    exits: list[tuple[str, int]] = []

    def look(context: object) -> list:
        rclpy.init()
        observer = rclpy.create_node("launch_test_observer")
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and not {"detector", "lifter"} <= seen:
            rclpy.spin_once(observer, timeout_sec=0.2)
            seen.update(observer.get_node_names())
        observer.destroy_node()
        rclpy.shutdown()
        return [launch.actions.Shutdown()]

    def record_exit(event: object, context: object) -> None:
        exits.append((event.action.name, event.returncode))

    # As `ros2 launch auglift_ros pipeline.launch.py rviz:=false` does: arguments go to the include.
    included = launch.actions.IncludeLaunchDescription(
        launch.LaunchDescriptionSource(module.generate_launch_description()),
        launch_arguments=[("rviz", "false")],
    )
    service = launch.LaunchService()
    service.include_launch_description(
        launch.LaunchDescription(
            [
                launch.actions.RegisterEventHandler(launch.event_handlers.OnProcessExit(on_exit=record_exit)),
                included,
                launch.actions.TimerAction(
                    period=5.0, actions=[launch.actions.OpaqueFunction(function=look)]
                ),
            ]
        )
    )
    assert service.run() == 0
    assert {spec.name for spec in load_graph()} <= seen, seen
    assert len(exits) == len(load_graph()) and all(code == 0 for _, code in exits), exits
