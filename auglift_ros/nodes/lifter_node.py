"""The UADD + lifter node: keypoints + depth + camera_info in, 3D skeletons and RViz markers out.

Subscribes:
  `keypoints` (sensor_msgs/PointCloud2: u v confidence person_id joint_id, H36M-17; reliable, a
  queue of a few: a lifter that keeps up loses no frame),
  `depth` (sensor_msgs/Image, 32FC1 metres or 16UC1 millimetres, REP 118; best effort, a few kept),
  `camera_info` (sensor_msgs/CameraInfo of the image the keypoints came from; the newest only).
Publishes:
  `~/skeletons` (PointCloud2: x y z confidence person_id joint_id, metres, the keypoints' frame_id;
  reliable, a queue of a few),
  `~/markers` (visualization_msgs/MarkerArray; built only while something subscribes),
  `/diagnostics` (diagnostic_msgs/DiagnosticArray).

Persons are tracked across frames (nearest skeleton by keypoint distance, `track_max_distance` box
sizes, ending after `track_timeout` s unseen) and the track id is published as person_id. The model
file says whether the lifter is temporal; a causal temporal lifter keeps a window of each person's
past feature frames (a new person's window starts filled with its first frame) and publishes the
newest frame's pose; a symmetric one (which needs future frames) is refused at start.

Each keypoints message is lifted once, with the depth image of its own stamp (waiting for it at most
`depth_wait` seconds), else the one nearest in stamp within `max_depth_age` seconds (the AugLift
model), else with the no-depth fallback model: a missing or stalled depth stream degrades the output
and says so in the diagnostics, it never stalls the node (auglift_ros.nodes.depth_pairing, the same
rule offline replay applies; message_filters.Cache where installed). The keypoints' stamp and
frame go on every output. A malformed message, or keypoints older than the last lifted frame (out of
order), is logged, dropped and counted; the node keeps running.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

import numpy as np
import rclpy.timer
from rcl_interfaces.msg import IntegerRange, ParameterDescriptor, SetParametersResult
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.parameter import Parameter
from sensor_msgs.msg import CameraInfo, Image, PointCloud2
from visualization_msgs.msg import MarkerArray

from auglift_ros.core.tracking import KeypointTracker
from auglift_ros.nodes.depth_pairing import DepthSubscription, PairedFrame, StampPairing
from auglift_ros.nodes.diagnostics import NodeDiagnostics, float_range
from auglift_ros.nodes.lift_stage import LiftStage, lifted_messages
from auglift_ros.nodes.messages import MessageError
from auglift_ros.nodes.qos import EVERY_FRAME, NEWEST_FRAME_ONLY, RECENT_DEPTH_IMAGES
from auglift_ros.nodes.spin import spin_node
from auglift_ros.runtime.lifting import FrameLifter
from auglift_ros.runtime.models import LoadedLifter, load_lifter

DEPTH_BUFFER = 5
"""Depth images kept for stamp matching: a few frames at 30 fps, enough for detector latency."""
WAIT_CHECKS = 5
"""Waiting frames are checked this many times per `depth_wait`: one released without its own depth
goes at most a fifth of the wait late."""


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
            "depth_wait",
            0.05,
            ParameterDescriptor(
                description="longest time (s) keypoints wait for the depth image of their own stamp before "
                "they are lifted with the nearest one within max_depth_age, or without (0 = never wait)",
                floating_point_range=float_range(0.0, 1.0),
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
        self._skeletons = self.create_publisher(PointCloud2, "~/skeletons", EVERY_FRAME)
        self._markers = self.create_publisher(MarkerArray, "~/markers", 1)
        self._clock = Clock(clock_type=ClockType.STEADY_TIME)
        self.create_subscription(PointCloud2, "keypoints", self._on_keypoints, EVERY_FRAME)
        depth = DepthSubscription(self, "depth", RECENT_DEPTH_IMAGES, DEPTH_BUFFER, self._on_depth)
        self._pairing = StampPairing(
            depth.within,
            max_age_ns=seconds_to_ns(self.get_parameter("max_depth_age").value),
            wait_ns=seconds_to_ns(self.get_parameter("depth_wait").value),
        )
        self._wait_timer = self._make_wait_timer(self._pairing.wait_ns)
        self.create_subscription(CameraInfo, "camera_info", self._stage.set_camera_info, NEWEST_FRAME_ONLY)
        lifter = self._stage.lifter
        self.get_logger().info(
            f"lifting with {describe(lifter.model)}"
            + (f", fallback {describe(lifter.fallback)}" if lifter.fallback else ", no fallback")
            + f"; depth paired by stamp ({depth.backend})"
        )

    def _make_wait_timer(self, wait_ns: int) -> rclpy.timer.Timer:
        """A steady-clock timer that releases waiting frames; running only while a frame waits."""
        timer = self.create_timer(
            max(wait_ns / WAIT_CHECKS, 1e6) / 1e9, self._on_wait_timer, clock=self._clock
        )
        timer.cancel()
        return timer

    def _on_set_parameters(self, parameters: list[Parameter]) -> SetParametersResult:
        """Ranges are enforced by the descriptors; this rejects what a range cannot express."""
        for parameter in parameters:
            if parameter.name in ("max_depth_age", "depth_wait") and not np.isfinite(parameter.value):
                return SetParametersResult(successful=False, reason=f"{parameter.name} must be finite")
        for parameter in parameters:  # all valid: apply
            if parameter.name == "max_depth_age":
                self._pairing.max_age_ns = seconds_to_ns(parameter.value)
            elif parameter.name == "depth_wait":
                self._pairing.wait_ns = seconds_to_ns(parameter.value)
                self.destroy_timer(self._wait_timer)
                self._wait_timer = self._make_wait_timer(self._pairing.wait_ns)
                self._lift(self._pairing.expire(self._clock.now().nanoseconds))
        return SetParametersResult(successful=True)

    def _on_keypoints(self, msg: PointCloud2) -> None:
        self._lift(self._pairing.add_keypoints(msg, self._clock.now().nanoseconds))

    def _on_depth(self, msg: Image) -> None:
        self._lift(self._pairing.add_depth(msg, self._clock.now().nanoseconds))

    def _on_wait_timer(self) -> None:
        self._lift(self._pairing.expire(self._clock.now().nanoseconds))

    def _lift(self, frames: list[PairedFrame]) -> None:
        """Lift and publish released frames; keep the wait timer running while a frame still waits."""
        for frame in frames:
            self._lift_frame(frame.keypoints, frame.depth)
        if self._pairing.waiting and self._wait_timer.is_canceled():
            self._wait_timer.reset()
        elif not self._pairing.waiting and not self._wait_timer.is_canceled():
            self._wait_timer.cancel()

    def _lift_frame(self, msg: PointCloud2, depth: Image | None) -> None:
        started = time.perf_counter()
        try:
            result, confidence = self._stage.lift(msg, depth)
        except (MessageError, ValueError) as error:
            self._diagnostics.drop("a keypoints frame", error)
            return
        skeletons, markers = lifted_messages(
            msg.header,
            result,
            confidence,
            self.get_parameter("marker_lifetime").value,
            markers=self._markers.get_subscription_count() > 0,  # a third of the node's time, for RViz only
        )
        self._skeletons.publish(skeletons)
        if markers is not None:
            self._markers.publish(markers)
        depth_use = "with depth" if result.used_depth else "without depth"
        self._diagnostics.message = f"last frame: {result.feature_set} ({depth_use})"
        self._diagnostics.warn = not result.used_depth
        self._diagnostics.stats.processed(f"lifted {depth_use}", 1000.0 * (time.perf_counter() - started))


def seconds_to_ns(seconds: float) -> int:
    return round(1e9 * seconds)


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
