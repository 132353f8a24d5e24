"""The UADD + lifter node: keypoints + depth + camera_info in, 3D skeletons and RViz markers out.

Subscribes (sensor-data QoS, shallow queues):
  `keypoints` (sensor_msgs/PointCloud2: u v confidence person_id joint_id, H36M-17),
  `depth` (sensor_msgs/Image, 32FC1 metres or 16UC1 millimetres, REP 118),
  `camera_info` (sensor_msgs/CameraInfo of the image the keypoints came from).
Publishes:
  `~/skeletons` (PointCloud2: x y z confidence person_id joint_id, metres, the keypoints' frame_id),
  `~/markers` (visualization_msgs/MarkerArray), `/diagnostics` (diagnostic_msgs/DiagnosticArray).

Persons are tracked across frames (nearest skeleton by keypoint distance, `track_max_distance` box
sizes, ending after `track_timeout` s unseen) and the track id is published as person_id. The model
file says whether the lifter is temporal; a causal temporal lifter keeps a window of each person's
past feature frames (a new person's window starts filled with its first frame) and publishes the
newest frame's pose; a symmetric one (which needs future frames) is refused at start.

Each keypoints message is lifted once, with the depth image nearest in stamp if one lies within
`max_depth_age` seconds (the AugLift model), otherwise with the no-depth fallback model: a missing or
stalled depth stream degrades the output and says so in the diagnostics, it never stalls the node
(auglift_ros.nodes.depth_pairing: message_filters.Cache where installed). The keypoints' stamp and
frame go on every output. A malformed message, or keypoints older than the last lifted frame (out of
order), is logged, dropped and counted; the node keeps running.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

import numpy as np
from rcl_interfaces.msg import IntegerRange, ParameterDescriptor, SetParametersResult
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, Image, PointCloud2
from visualization_msgs.msg import MarkerArray

from auglift_ros.core.tracking import KeypointTracker
from auglift_ros.nodes.depth_pairing import DepthPairing
from auglift_ros.nodes.diagnostics import NodeDiagnostics, float_range
from auglift_ros.nodes.lift_stage import LiftStage, lifted_messages
from auglift_ros.nodes.messages import MessageError
from auglift_ros.nodes.qos import NEWEST_FRAME_ONLY
from auglift_ros.nodes.spin import spin_node
from auglift_ros.runtime.lifting import FrameLifter
from auglift_ros.runtime.models import LoadedLifter, load_lifter

DEPTH_BUFFER = 5
"""Depth images kept for stamp matching: a few frames at 30 fps, enough for detector latency."""


class LifterNode(Node):
    """See the module docstring; parameters are declared with descriptors and ranges."""

    def __init__(self, node_name: str = "lifter", **kwargs: object) -> None:
        super().__init__(node_name, **kwargs)
        self.declare_parameter(
            "model",
            "auglift_uadd",
            ParameterDescriptor(description="lifter using depth: model name or .onnx path", read_only=True),
        )
        self.declare_parameter(
            "fallback_model",
            "auglift_xyc",
            ParameterDescriptor(
                description="no-depth lifter ('' = none: the depth model without depth)", read_only=True
            ),
        )
        self.declare_parameter(
            "device", "auto", ParameterDescriptor(description="auto, cpu or cuda", read_only=True)
        )
        self.declare_parameter(
            "threads",
            1,
            ParameterDescriptor(
                description="onnxruntime threads per lifter (1: a small network gains nothing from more, and "
                "spinning worker threads take cores from the detector)",
                integer_range=[IntegerRange(from_value=1, to_value=64, step=1)],
                read_only=True,
            ),
        )
        self.declare_parameter(
            "max_depth_age",
            0.1,
            ParameterDescriptor(
                description="largest stamp difference (s) between keypoints and the depth used with them",
                floating_point_range=float_range(0.0, 10.0),
            ),
        )
        self.declare_parameter(
            "track_max_distance",
            0.5,
            ParameterDescriptor(
                description="largest mean keypoint distance, in box sizes, at which a detection continues a "
                "person's track (otherwise it starts a new person_id)",
                floating_point_range=float_range(0.01, 10.0),
                read_only=True,
            ),
        )
        self.declare_parameter(
            "track_timeout",
            1.0,
            ParameterDescriptor(
                description="seconds a person may go undetected before its track (and temporal window) ends",
                floating_point_range=float_range(0.01, 60.0),
                read_only=True,
            ),
        )
        self.declare_parameter(
            "marker_lifetime",
            0.5,
            ParameterDescriptor(
                description="RViz marker lifetime (s)", floating_point_range=float_range(0.01, 60.0)
            ),
        )
        self._diagnostics = NodeDiagnostics(self, "lifter", "last frame: waiting for keypoints")
        self.add_on_set_parameters_callback(self._on_set_parameters)
        device = self.get_parameter("device").value
        if device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"parameter device must be auto, cpu or cuda, got {device!r}")
        fallback_name = self.get_parameter("fallback_model").value
        threads = self.get_parameter("threads").value
        self._stage = LiftStage(
            FrameLifter(
                load_lifter(self.get_parameter("model").value, device=device, threads=threads),
                load_lifter(fallback_name, device=device, threads=threads) if fallback_name else None,
            ),
            KeypointTracker(
                max_distance=self.get_parameter("track_max_distance").value,
                timeout_s=self.get_parameter("track_timeout").value,
            ),
        )
        self._skeletons = self.create_publisher(PointCloud2, "~/skeletons", qos_profile_sensor_data)
        self._markers = self.create_publisher(MarkerArray, "~/markers", 1)
        self.create_subscription(PointCloud2, "keypoints", self._on_keypoints, NEWEST_FRAME_ONLY)
        self._depth = DepthPairing(self, "depth", NEWEST_FRAME_ONLY, DEPTH_BUFFER)
        self.create_subscription(CameraInfo, "camera_info", self._stage.set_camera_info, NEWEST_FRAME_ONLY)
        lifter = self._stage.lifter
        self.get_logger().info(
            f"lifting with {describe(lifter.model)}"
            + (f", fallback {describe(lifter.fallback)}" if lifter.fallback else ", no fallback")
            + f"; depth paired by {self._depth.backend}"
        )

    def _on_set_parameters(self, parameters: list[Parameter]) -> SetParametersResult:
        """Ranges are enforced by the descriptors; this rejects what a range cannot express."""
        for parameter in parameters:
            if parameter.name == "max_depth_age" and not np.isfinite(parameter.value):
                return SetParametersResult(successful=False, reason="max_depth_age must be finite")
        return SetParametersResult(successful=True)

    def _matching_depth(self, stamp: int) -> Image | None:
        """The depth image nearest to stamp (ns) if within max_depth_age."""
        return self._depth.nearest(stamp, round(1e9 * self.get_parameter("max_depth_age").value))

    def _on_keypoints(self, msg: PointCloud2) -> None:
        started = time.perf_counter()
        try:
            result, confidence = self._stage.lift(msg, self._matching_depth)
        except (MessageError, ValueError) as error:
            self._diagnostics.drop("a keypoints frame", error)
            return
        skeletons, markers = lifted_messages(
            msg.header, result, confidence, self.get_parameter("marker_lifetime").value
        )
        self._skeletons.publish(skeletons)
        self._markers.publish(markers)
        depth_use = "with depth" if result.used_depth else "without depth"
        self._diagnostics.message = f"last frame: {result.feature_set} ({depth_use})"
        self._diagnostics.warn = not result.used_depth
        self._diagnostics.stats.processed(f"lifted {depth_use}", 1000.0 * (time.perf_counter() - started))


def describe(model: LoadedLifter) -> str:
    """The model file and, for a temporal lifter, its family and window (from the file itself)."""
    window = model.window
    if not model.lifter.temporal:
        return model.path.name
    published = "the newest of the frames it predicts" if window.target == "all" else "its last frame"
    return f"{model.path.name} ({window.family}, {window.frames}-frame window, publishes {published})"


def main(args: Sequence[str] | None = None) -> int:
    return spin_node(LifterNode, "lifter", args)


if __name__ == "__main__":
    sys.exit(main())
