"""ros2 launch auglift_ros pipeline.launch.py [image_topic:=...] [camera_info_topic:=...]
[depth_topic:=...] [depth_source:=camera|node] [namespace:=...] [rviz:=auto|true|false]
[fixed_frame:=...]
[evaluate:=true evaluation_out:=DIR] [detector_backend:=...] [depth_model:=...] ... (the `arguments`
of config/pipeline.yaml)

Starts the nodes of config/pipeline.yaml (the graph `auglift-ros pipeline` also starts, read through
auglift_ros.runtime.graph: one description, two ways to start it) and, optionally, RViz with
config/auglift.rviz: by default only where the rviz2 package is installed (a headless robot with
ros-base has none, and the pipeline runs without it; rviz:=true on such a machine logs a warning and
starts the rest). The nodes get the project's Fast DDS profile (config/fastdds_large_shm.xml, a
shared-memory segment that holds camera-sized images) unless the environment names a profile of its
own, as `auglift-ros pipeline` does. Depth comes from an RGB-D camera's registered depth topic
(depth_source:=camera, depth_topic) or from the depth node (depth_source:=node
depth_model:=/path/depth_anything_v2.onnx).
An empty argument keeps the config's value.
"""

from __future__ import annotations

import os
from pathlib import Path

from ament_index_python.packages import PackageNotFoundError, get_package_share_directory
from launch import LaunchContext, LaunchDescription
from launch.actions import DeclareLaunchArgument, LogInfo, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from auglift_ros.runtime.graph import fastdds_profile_environment, graph_arguments, load_graph

SHARE = Path(get_package_share_directory("auglift_ros"))
CONFIG = SHARE / "config" / "pipeline.yaml"
RVIZ_TOPICS = ("/lifter/markers", "/lifter/skeletons")
"""Topics config/auglift.rviz shows, remapped into the launch namespace."""
RVIZ_IMAGE_TOPIC = "/camera/color/image_raw"
"""The image topic named in config/auglift.rviz, remapped to the configured camera image."""


def _arguments() -> list[DeclareLaunchArgument]:
    return [
        DeclareLaunchArgument("image_topic", default_value="", description="camera image (default: config)"),
        DeclareLaunchArgument(
            "camera_info_topic", default_value="", description="camera_info (default: config)"
        ),
        DeclareLaunchArgument(
            "depth_topic", default_value="", description="metric depth image (default: config)"
        ),
        DeclareLaunchArgument(
            "depth_source", default_value="", description="camera (depth_topic) or node (default: config)"
        ),
        DeclareLaunchArgument("namespace", default_value="", description="namespace for every node"),
        DeclareLaunchArgument(
            "rviz",
            default_value="auto",
            description="start RViz with config/auglift.rviz: auto (where rviz2 is installed), true, false",
        ),
        DeclareLaunchArgument(
            "fixed_frame",
            default_value="",
            description="RViz's fixed frame, e.g. the camera's optical frame (default: auglift.rviz's)",
        ),
        DeclareLaunchArgument(
            "evaluate",
            default_value="false",
            description="start the evaluator (scores skeletons against a played bag's ground truth)",
        ),
        *(
            DeclareLaunchArgument(name, default_value="", description=f"{node}.{parameter} (default: config)")
            for name, (node, parameter) in graph_arguments(CONFIG).items()
        ),
    ]


def _has_package(name: str) -> bool:
    try:
        get_package_share_directory(name)
    except PackageNotFoundError:
        return False
    return True


def _nodes(context: LaunchContext) -> list[Node | LogInfo]:
    def value(name: str) -> str:
        return LaunchConfiguration(name).perform(context)

    camera = {key: value(f"{key}_topic") for key in ("image", "camera_info", "depth")}
    namespace = value("namespace").strip("/")
    specs = load_graph(
        CONFIG,
        camera,
        depth_source=value("depth_source") or None,
        arguments={name: value(name) for name in graph_arguments(CONFIG)},
        evaluate=_true(value("evaluate")),
    )
    environment = fastdds_profile_environment(os.environ)
    actions: list[Node | LogInfo] = []
    for spec in specs:
        actions.append(
            Node(
                package="auglift_ros",
                executable=spec.executable,
                name=spec.name,
                namespace=namespace,
                parameters=[spec.parameters],
                remappings=list(spec.remappings.items()),
                additional_env=environment,
                output="screen",
            )
        )
    rviz = value("rviz").lower()
    if rviz not in ("auto", "true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"rviz:={value('rviz')}: expected auto, true or false")
    if rviz != "auto" and not _true(rviz):
        return actions
    if not _has_package("rviz2"):
        if rviz != "auto":
            actions.append(
                LogInfo(
                    msg="rviz:=true but the rviz2 package is not installed: the pipeline runs without RViz"
                )
            )
        return actions
    prefix = f"/{namespace}" if namespace else ""
    remaps = [(topic, prefix + topic) for topic in RVIZ_TOPICS]
    image_topic = next(s.remappings["image"] for s in specs if s.name == "detector")
    remaps.append((RVIZ_IMAGE_TOPIC, _absolute(image_topic, namespace)))
    frame = value("fixed_frame")
    actions.append(
        Node(
            package="rviz2",
            executable="rviz2",
            arguments=["-d", str(SHARE / "config" / "auglift.rviz"), *(["-f", frame] if frame else [])],
            remappings=remaps,
            output="screen",
        )
    )
    return actions


def _true(text: str) -> bool:
    return text.lower() in ("true", "1", "yes")


def _absolute(topic: str, namespace: str) -> str:
    if topic.startswith("/"):
        return topic
    return f"/{namespace}/{topic}" if namespace else f"/{topic}"


def generate_launch_description() -> LaunchDescription:
    return LaunchDescription([*_arguments(), OpaqueFunction(function=_nodes)])
