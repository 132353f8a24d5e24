"""The monocular depth node: camera images in, metric depth images out (REP 118).

Subscribes `image` (sensor_msgs/Image: rgb8, bgr8 or mono8; sensor-data QoS, depth 1: a slow model
skips frames instead of queueing them). Publishes `~/depth` (sensor_msgs/Image, `32FC1`, metres,
NaN = no value, the input image's size and header) and /diagnostics. Backend
`depth_anything_v2_onnx`: a Depth Anything V2 ONNX file given by path or by a name from the weights
manifest (`auglift-ros models list`; fetched into the user cache by `auglift-ros models fetch NAME`),
metric or relative (relative disparity is scaled to metres by the rule in
auglift_ros.perception.depth). A manifest entry that records its kind must match `model_kind`.

`every_n_frames` > 1 estimates depth on every n-th image only (the paper's reuse of depth maps in
streaming). Each depth image keeps the stamp of the image it was computed from; the lifter reuses it
for the following frames as long as it lies within the lifter's `max_depth_age`. A malformed image or
a failed inference is logged, dropped and counted; the node keeps running.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from rcl_interfaces.msg import IntegerRange, ParameterDescriptor
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image

from auglift_ros.nodes.diagnostics import NodeDiagnostics, float_range
from auglift_ros.nodes.messages import MessageError, image_to_rgb, metres_to_depth_image
from auglift_ros.nodes.qos import NEWEST_FRAME_ONLY
from auglift_ros.nodes.spin import spin_node
from auglift_ros.perception.depth import DEPTH_KINDS, PATCH_SIZE, DepthAnythingV2Onnx
from auglift_ros.runtime.weights import resolve_entry

BACKENDS = ("depth_anything_v2_onnx",)
SKIPPED = "images skipped (every_n_frames)"
DEPTH_USE = "depth.model"
"""The weights manifest's `use` of the files the `model` parameter takes."""


class DepthNode(Node):
    """See the module docstring; the model settings are fixed at start, every_n_frames is not."""

    def __init__(self, node_name: str = "depth", **kwargs: object) -> None:
        super().__init__(node_name, **kwargs)
        self.declare_parameter(
            "backend",
            "depth_anything_v2_onnx",
            ParameterDescriptor(description=f"one of {BACKENDS}", read_only=True),
        )
        self.declare_parameter(
            "model",
            "",
            ParameterDescriptor(
                description="Depth Anything V2 .onnx file, or its name in `auglift-ros models list`",
                read_only=True,
            ),
        )
        self.declare_parameter(
            "model_kind",
            "metric",
            ParameterDescriptor(
                description="metric (outputs metres) or relative (disparity, scaled by median_depth)",
                read_only=True,
            ),
        )
        self.declare_parameter(
            "input_size",
            518,
            ParameterDescriptor(
                description="shorter image side fed to a dynamic-shape model (multiple of 14)",
                integer_range=[IntegerRange(from_value=PATCH_SIZE, to_value=2058, step=PATCH_SIZE)],
                read_only=True,
            ),
        )
        self.declare_parameter(
            "median_depth",
            3.0,
            ParameterDescriptor(
                description="relative models only: the scene's median depth (m) their output is scaled to",
                floating_point_range=float_range(0.1, 100.0),
            ),
        )
        self.declare_parameter(
            "every_n_frames",
            1,
            ParameterDescriptor(
                description="estimate depth on every n-th image only",
                integer_range=[IntegerRange(from_value=1, to_value=100, step=1)],
            ),
        )
        self.declare_parameter(
            "device", "auto", ParameterDescriptor(description="auto, cpu or cuda", read_only=True)
        )
        self._diagnostics = NodeDiagnostics(self, "depth")
        backend = self.get_parameter("backend").value
        if backend not in BACKENDS:
            raise ValueError(f"parameter backend must be one of {BACKENDS}, got {backend!r}")
        model = self.get_parameter("model").value
        if not model:
            raise ValueError(
                "parameter model is empty: give the path of a Depth Anything V2 .onnx file or a name "
                "of `auglift-ros models list`"
            )
        kind = self.get_parameter("model_kind").value
        if kind not in DEPTH_KINDS:
            raise ValueError(f"parameter model_kind must be one of {DEPTH_KINDS}, got {kind!r}")
        path, entry = resolve_entry(model, expected_use=DEPTH_USE)
        if entry is not None and entry.model_kind not in (None, kind):
            raise ValueError(
                f"parameter model_kind is {kind} but {entry.name} is a {entry.model_kind} depth model: "
                f"set model_kind:={entry.model_kind}"
            )
        self._estimator = DepthAnythingV2Onnx(
            path,
            kind=kind,
            input_size=self.get_parameter("input_size").value,
            median_depth=self.get_parameter("median_depth").value,
            device=self.get_parameter("device").value,
        )
        self._images_seen = 0
        self._depth = self.create_publisher(Image, "~/depth", qos_profile_sensor_data)
        self.create_subscription(Image, "image", self._on_image, NEWEST_FRAME_ONLY)
        self.get_logger().info(f"estimating {kind} depth with {self._estimator.path.name}")

    def _on_image(self, msg: Image) -> None:
        self._images_seen += 1
        if (self._images_seen - 1) % self.get_parameter("every_n_frames").value:
            self._diagnostics.stats.counts[SKIPPED] += 1
            return
        started = time.perf_counter()
        self._estimator.median_depth = self.get_parameter("median_depth").value
        try:
            depth = self._estimator.estimate(image_to_rgb(msg))
            out = metres_to_depth_image(msg.header, depth)
        except (MessageError, ValueError) as error:
            self._diagnostics.drop("an image", error)
            return
        self._depth.publish(out)
        self._diagnostics.stats.processed("depth images published", 1000.0 * (time.perf_counter() - started))


def main(args: Sequence[str] | None = None) -> int:
    return spin_node(DepthNode, "depth", args)


if __name__ == "__main__":
    sys.exit(main())
