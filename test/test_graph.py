"""The pipeline graph description: topics, remappings, and parameters that match the nodes."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import rclpy
import yaml

from auglift_ros.runtime.graph import (
    FASTDDS_PROFILES_VARIABLE,
    GraphError,
    fastdds_profile_environment,
    graph_arguments,
    load_graph,
    pipeline_topics,
)
from depth_models import write_depth_model

ROOT = Path(__file__).resolve().parent.parent


def test_default_graph_wires_camera_detector_and_lifter() -> None:
    nodes = {n.name: n for n in load_graph()}
    assert list(nodes) == ["detector", "lifter"]  # depth from the camera: no depth node
    assert nodes["detector"].remappings == {"image": "camera/color/image_raw"}
    assert nodes["lifter"].remappings["keypoints"] == "detector/keypoints"
    assert nodes["lifter"].remappings["depth"] == "camera/aligned_depth_to_color/image_raw"
    custom = {n.name: n for n in load_graph(camera={"image": "/usb_cam/image_raw", "depth": ""})}
    assert custom["detector"].remappings["image"] == "/usb_cam/image_raw"
    assert custom["lifter"].remappings["depth"] == "camera/aligned_depth_to_color/image_raw"  # "" = keep


def test_depth_from_the_depth_node() -> None:
    nodes = {n.name: n for n in load_graph(camera={"image": "/usb_cam/image_raw"}, depth_source="node")}
    assert list(nodes) == ["detector", "depth", "lifter"]
    assert nodes["depth"].remappings == {"image": "/usb_cam/image_raw"}
    assert nodes["lifter"].remappings["depth"] == "depth/depth"  # the depth node's ~/depth
    with pytest.raises(GraphError, match="depth_source must be one of"):
        load_graph(depth_source="lidar")


def test_pipeline_topics_follow_the_graph_and_the_namespace() -> None:
    topics = pipeline_topics(namespace="robot1", depth_source="node")
    assert topics.image == "/robot1/camera/color/image_raw"
    assert topics.depth == "/robot1/depth/depth"  # the depth node's output for this depth source
    assert topics.keypoints == "/robot1/detector/keypoints"
    assert (topics.skeletons, topics.markers) == ("/robot1/lifter/skeletons", "/robot1/lifter/markers")
    assert topics.ground_truth == "/robot1/ground_truth/skeletons"
    assert pipeline_topics().depth == "/camera/aligned_depth_to_color/image_raw"


def test_arguments_set_node_parameters_with_the_defaults_type() -> None:
    arguments = graph_arguments()
    assert arguments["detector_backend"] == ("detector", "backend")
    assert arguments["depth_model"] == ("depth", "model")
    nodes = {
        n.name: n
        for n in load_graph(
            depth_source="node",
            arguments={
                "depth_model": "/models/da2.onnx",
                "depth_every_n_frames": "3",
                "detector_backend": "",
                "lifter_model": "/models/my_videopose3d.onnx",
            },
        )
    }
    assert nodes["lifter"].parameters["model"] == "/models/my_videopose3d.onnx"
    assert nodes["lifter"].parameters["fallback_model"] == "auglift_xyc"
    assert nodes["depth"].parameters["model"] == "/models/da2.onnx"
    assert nodes["depth"].parameters["every_n_frames"] == 3  # an int, like the config's default
    assert nodes["detector"].parameters["backend"] == "mediapipe"  # "" keeps the config's value
    with pytest.raises(GraphError, match="'three' is not a int"):
        load_graph(arguments={"depth_every_n_frames": "three"})
    with pytest.raises(GraphError, match="unknown argument 'gpu'"):
        load_graph(arguments={"gpu": "1"})


def test_ros_arguments_name_namespace_remap_and_parameters() -> None:
    lifter = next(n for n in load_graph() if n.name == "lifter")
    args = lifter.ros_arguments(namespace="robot1")
    assert args[:5] == ["--ros-args", "-r", "__node:=lifter", "-r", "__ns:=/robot1"]
    assert "keypoints:=detector/keypoints" in args and "max_depth_age:=0.1" in args
    detector = next(n for n in load_graph() if n.name == "detector")
    assert "tracking:=true" in detector.ros_arguments()


def test_broken_graphs_are_named(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    broken = {
        "camera": {"image": "a"},
        "nodes": {"x": {"executable": "detector_node", "remappings": {"image": "{camera.depth}"}}},
    }
    path.write_text(yaml.safe_dump(broken))
    with pytest.raises(GraphError, match=r"\{camera\.depth\} is not in the camera section"):
        load_graph(path)
    path.write_text("nodes:\n  x: {parameters: {}}\n")
    with pytest.raises(GraphError, match="executable"):
        load_graph(path)
    with pytest.raises(GraphError, match="unknown camera topic"):
        load_graph(camera={"thermal": "/t"})
    path.write_text(
        yaml.safe_dump(
            {
                "arguments": {"fast": "x.speed"},
                "nodes": {"x": {"executable": "detector_node", "parameters": {"backend": "mediapipe"}}},
            }
        )
    )
    with pytest.raises(GraphError, match="argument 'fast' names no node parameter"):
        graph_arguments(path)
    path.write_text(
        yaml.safe_dump(
            {"nodes": {"x": {"executable": "lifter_node", "remappings": {"depth": {"camera": "d"}}}}}
        )
    )
    with pytest.raises(GraphError, match="remapping 'depth' has no topic for 'node'"):
        load_graph(path, depth_source="node")


def test_every_configured_parameter_is_declared_by_its_node_with_that_default(tmp_path: Path) -> None:
    from rclpy.parameter import Parameter

    # The depth node cannot start without a model file (its configured default is empty).
    required = {"depth": [Parameter("model", value=str(write_depth_model(tmp_path / "depth.onnx")))]}
    rclpy.init()
    try:
        for spec in load_graph(depth_source="node", evaluate=True):
            module = importlib.import_module(spec.module)
            node_class = next(
                value
                for name, value in vars(module).items()
                if name.endswith("Node") and value.__module__ == module.__name__
            )
            node = node_class(parameter_overrides=required.get(spec.name, []))
            overridden = {p.name for p in required.get(spec.name, [])}
            try:
                for name, value in spec.parameters.items():
                    assert node.has_parameter(name), f"{spec.name}: {name} is not declared"
                    if name not in overridden:
                        assert node.get_parameter(name).value == value, f"{spec.name}: {name} default differs"
            finally:
                node.destroy_node()
    finally:
        rclpy.shutdown()


def test_lifter_parameters_are_validated_on_change() -> None:
    from rclpy.parameter import Parameter

    from auglift_ros.nodes.lifter_node import LifterNode

    rclpy.init()
    try:
        node = LifterNode()
        try:
            (ok,) = node.set_parameters([Parameter("max_depth_age", value=0.2)])
            assert ok.successful and node.get_parameter("max_depth_age").value == 0.2
            (too_big,) = node.set_parameters([Parameter("max_depth_age", value=20.0)])  # range 0-10 s
            assert not too_big.successful and node.get_parameter("max_depth_age").value == 0.2
            (read_only,) = node.set_parameters([Parameter("model", value="other.onnx")])
            assert not read_only.successful and "read-only" in read_only.reason
        finally:
            node.destroy_node()
    finally:
        rclpy.shutdown()


def test_nodes_get_the_projects_fastdds_profile_unless_told_otherwise() -> None:
    profile = ROOT / "config" / "fastdds_large_shm.xml"
    assert profile.is_file()
    assert fastdds_profile_environment({}) == {FASTDDS_PROFILES_VARIABLE: str(profile)}
    assert fastdds_profile_environment({"RMW_IMPLEMENTATION": "rmw_fastrtps_cpp"}) == {
        FASTDDS_PROFILES_VARIABLE: str(profile)
    }
    assert fastdds_profile_environment({"RMW_IMPLEMENTATION": "rmw_cyclonedds_cpp"}) == {}
    assert fastdds_profile_environment({FASTDDS_PROFILES_VARIABLE: "/etc/robot/dds.xml"}) == {}
    assert fastdds_profile_environment({"FASTRTPS_DEFAULT_PROFILES_FILE": "/etc/robot/dds.xml"}) == {}
