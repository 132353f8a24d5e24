"""The 2D keypoint detector node: camera images in, H36M-17 keypoints with confidence out.

Subscribes `image` (sensor_msgs/Image: rgb8, bgr8 or mono8; sensor-data QoS, depth 1, so a slow detector
skips frames instead of queueing them). Publishes `~/keypoints` (sensor_msgs/PointCloud2: u v confidence
person_id joint_id, pixels of the input image; reliable, a queue of a few, so the lifter loses none)
with the image's header, and /diagnostics. Backends: `mediapipe` (BlazePose, shipped with mediapipe
0.10.21; one person) and `rtmpose_onnx` (RTMDet + RTMPose ONNX files given by path or by their names in
the weights manifest, `auglift-ros models list`, once fetched; every person, see
auglift_ros.perception.rtmpose). Each backend ignores the other's parameters. A malformed image is
logged, dropped and counted; the node keeps running.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from rcl_interfaces.msg import IntegerRange, ParameterDescriptor
from rclpy.node import Node
from sensor_msgs.msg import Image, PointCloud2

from auglift_ros.nodes.diagnostics import NodeDiagnostics, float_range
from auglift_ros.nodes.messages import MessageError, image_to_rgb, keypoints_to_cloud
from auglift_ros.nodes.qos import EVERY_FRAME, NEWEST_FRAME_ONLY
from auglift_ros.nodes.spin import spin_node
from auglift_ros.perception.detector import KeypointDetector, MediaPipePoseDetector
from auglift_ros.perception.rtmpose import RtmPoseDetector
from auglift_ros.runtime.weights import resolve_weights

BACKENDS = ("mediapipe", "rtmpose_onnx")
RTMPOSE_MODELS = {"det_model": "an RTMDet person detector", "pose_model": "an RTMPose COCO-17"}
"""The rtmpose_onnx backend's model path parameters and what each must name (an .onnx file)."""
WEIGHTS_USES = {"det_model": "detector.det_model", "pose_model": "detector.pose_model"}
"""The weights manifest's `use` of the files each model parameter takes."""


class DetectorNode(Node):
    """See the module docstring; the backend and its thresholds are fixed at start (read-only)."""

    def __init__(self, node_name: str = "detector", **kwargs: object) -> None:
        super().__init__(node_name, **kwargs)
        self.declare_parameter(
            "backend", "mediapipe", ParameterDescriptor(description=f"one of {BACKENDS}", read_only=True)
        )
        self.declare_parameter(
            "tracking",
            True,
            ParameterDescriptor(
                description="mediapipe only: reuse the previous frame's person (video)", read_only=True
            ),
        )
        self.declare_parameter(
            "min_detection_confidence",
            0.5,
            ParameterDescriptor(
                description="mediapipe only: person detection threshold",
                floating_point_range=float_range(0.0, 1.0),
                read_only=True,
            ),
        )
        for name, model in RTMPOSE_MODELS.items():
            self.declare_parameter(
                name,
                "",
                ParameterDescriptor(
                    description=f"rtmpose_onnx only: {model} .onnx file, or its name in "
                    "`auglift-ros models list`",
                    read_only=True,
                ),
            )
        self.declare_parameter(
            "device",
            "auto",
            ParameterDescriptor(description="rtmpose_onnx only: auto, cpu or cuda", read_only=True),
        )
        self.declare_parameter(
            "min_person_score",
            0.5,
            ParameterDescriptor(
                description="rtmpose_onnx only: lowest person detector score kept",
                floating_point_range=float_range(0.0, 1.0),
                read_only=True,
            ),
        )
        self.declare_parameter(
            "max_persons",
            10,
            ParameterDescriptor(
                description="rtmpose_onnx only: most persons per image (the highest scores)",
                integer_range=[IntegerRange(from_value=1, to_value=100, step=1)],
                read_only=True,
            ),
        )
        self._diagnostics = NodeDiagnostics(self, "detector")
        backend = self.get_parameter("backend").value
        if backend not in BACKENDS:
            raise ValueError(f"parameter backend must be one of {BACKENDS}, got {backend!r}")
        self._detector = self._create_detector(backend)
        self._keypoints = self.create_publisher(PointCloud2, "~/keypoints", EVERY_FRAME)
        self.create_subscription(Image, "image", self._on_image, NEWEST_FRAME_ONLY)
        self.get_logger().info(f"detecting with {backend}")

    def _create_detector(self, backend: str) -> KeypointDetector:
        """The backend's detector from its parameters; ValueError or ModelLoadError if it cannot run."""
        if backend == "mediapipe":
            return MediaPipePoseDetector(
                tracking=self.get_parameter("tracking").value,
                min_detection_confidence=self.get_parameter("min_detection_confidence").value,
            )
        values = {name: self.get_parameter(name).value for name in RTMPOSE_MODELS}
        for name, value in values.items():
            if not value:
                raise ValueError(
                    f"parameter {name} is empty: backend {backend} needs the path of "
                    f"{RTMPOSE_MODELS[name]} .onnx file or its name in `auglift-ros models list`"
                )
        paths = {name: resolve_weights(values[name], expected_use=use) for name, use in WEIGHTS_USES.items()}
        return RtmPoseDetector(
            paths["det_model"],
            paths["pose_model"],
            device=self.get_parameter("device").value,
            min_person_score=self.get_parameter("min_person_score").value,
            max_persons=self.get_parameter("max_persons").value,
        )

    def _on_image(self, msg: Image) -> None:
        started = time.perf_counter()
        try:
            found = self._detector.detect(image_to_rgb(msg))
        except (MessageError, ValueError) as error:
            self._diagnostics.drop("an image", error)
            return
        self._keypoints.publish(keypoints_to_cloud(msg.header, found.keypoints, found.confidence))
        outcome = "frames with a person" if len(found.keypoints) else "frames without a person"
        self._diagnostics.stats.processed(outcome, 1000.0 * (time.perf_counter() - started))

    def destroy_node(self) -> None:
        # rclpy also destroys a node whose __init__ failed (at shutdown), before it had a detector.
        detector: KeypointDetector | None = getattr(self, "_detector", None)
        if detector is not None:
            detector.close()
        super().destroy_node()


def main(args: Sequence[str] | None = None) -> int:
    return spin_node(DetectorNode, "detector", args)


if __name__ == "__main__":
    sys.exit(main())
