"""`auglift-ros pipeline`: the nodes of config/pipeline.yaml, each in its own process (no ros2 launch)."""

from __future__ import annotations

import argparse

from auglift_ros.runtime.graph import DEPTH_SOURCES, graph_arguments


def _pipeline(args: argparse.Namespace) -> int:
    from auglift_ros.runtime.runner import run_pipeline

    camera = {"image": args.image_topic, "camera_info": args.camera_info_topic, "depth": args.depth_topic}
    arguments = {name: getattr(args, name) for name in graph_arguments() if getattr(args, name) is not None}
    return run_pipeline(
        args.config,
        namespace=args.namespace,
        camera=camera,
        depth_source=args.depth_source,
        arguments=arguments,
        evaluate=args.evaluate,
    )


def register(sub: argparse._SubParsersAction) -> None:
    """Add `pipeline` to the `auglift-ros` subcommands; its options follow the graph's arguments."""
    pipeline = sub.add_parser(
        "pipeline", help="start the ROS 2 nodes of config/pipeline.yaml (for machines without ros2 launch)"
    )
    pipeline.add_argument("--config", help="pipeline graph (default: the package's config/pipeline.yaml)")
    pipeline.add_argument("--namespace", default="", help="ROS namespace for every node")
    pipeline.add_argument("--image-topic", help="camera image topic (overrides the config)")
    pipeline.add_argument("--camera-info-topic", help="camera_info topic (overrides the config)")
    pipeline.add_argument("--depth-topic", help="metric depth image topic (overrides the config)")
    pipeline.add_argument(
        "--depth-source",
        choices=DEPTH_SOURCES,
        help="camera: the depth topic; node: estimate depth from the image (overrides the config)",
    )
    pipeline.add_argument(
        "--evaluate", action="store_true", help="also start the evaluator (score against a played bag)"
    )
    for name, (node, parameter) in graph_arguments().items():
        option = f"--{name.replace('_', '-')}"
        pipeline.add_argument(option, help=f"{node}.{parameter} (overrides the config)")
    pipeline.set_defaults(handler=_pipeline)
