"""The pipeline graph description: topics, remappings, and parameters that match the nodes."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import rclpy
import yaml

from auglift_ros.graph import GraphError, load_graph

ROOT = Path(__file__).resolve().parent.parent


def test_default_graph_wires_camera_detector_and_lifter() -> None:
    nodes = {n.name: n for n in load_graph()}
    assert list(nodes) == ["detector", "lifter"]
    assert nodes["detector"].remappings == {"image": "camera/color/image_raw"}
    assert nodes["lifter"].remappings["keypoints"] == "detector/keypoints"
    assert nodes["lifter"].remappings["depth"] == "camera/aligned_depth_to_color/image_raw"
    custom = {n.name: n for n in load_graph(camera={"image": "/usb_cam/image_raw", "depth": ""})}
    assert custom["detector"].remappings["image"] == "/usb_cam/image_raw"
    assert custom["lifter"].remappings["depth"] == "camera/aligned_depth_to_color/image_raw"  # "" = keep


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


def test_every_configured_parameter_is_declared_by_its_node_with_that_default() -> None:
    rclpy.init()
    try:
        for spec in load_graph():
            module = importlib.import_module(spec.module)
            node_class = next(
                value
                for name, value in vars(module).items()
                if name.endswith("Node") and value.__module__ == module.__name__
            )
            node = node_class()
            try:
                for name, value in spec.parameters.items():
                    assert node.has_parameter(name), f"{spec.name}: {name} is not declared"
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
