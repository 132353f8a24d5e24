"""The evaluator node: scores the lifter's skeletons against ground truth while a bag plays.

Subscribes to `ground_truth` (PointCloud2 skeletons, as `auglift-ros make-bag` writes them),
`skeletons` (the lifter's ~/skeletons) and `sequences` (std_msgs/String take labels), and writes the
same metrics.json, metrics.md and plots as `auglift-ros evaluate-bag` (auglift_ros.evaluation.scoring) into
`out_dir`: every `write_period` seconds while new frames arrive, and once more on shutdown. Play the
bag with `ros2 bag play` on a ROS 2 install, or `auglift-ros play` anywhere. A malformed message is
logged, dropped and counted in /diagnostics.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

import numpy as np
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import PointCloud2
from std_msgs.msg import String

from auglift_ros.evaluation.scoring import (
    EvaluationError,
    SequenceLabel,
    score,
    summary_line,
    write_evaluation,
)
from auglift_ros.nodes.diagnostics import NodeDiagnostics, float_range
from auglift_ros.nodes.messages import MessageError, cloud_to_skeletons, stamp_ns
from auglift_ros.nodes.spin import spin_node

KEEP_EVERYTHING = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
"""Ground truth and labels: a bag player publishes them reliably, and evaluation must not lose any."""
SKELETON_QOS = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
"""The lifter publishes skeletons reliably; a deep queue so a slow report write loses nothing."""


class EvaluatorNode(Node):
    """See the module docstring."""

    def __init__(self, node_name: str = "evaluator", **kwargs: object) -> None:
        super().__init__(node_name, **kwargs)
        self.declare_parameter(
            "out_dir",
            "evaluation",
            ParameterDescriptor(description="folder for metrics.json, metrics.md and plots", read_only=True),
        )
        self.declare_parameter(
            "write_period",
            5.0,
            ParameterDescriptor(
                description="seconds between report writes while frames arrive",
                floating_point_range=float_range(0.1, 3600.0),
                read_only=True,
            ),
        )
        if not self.get_parameter("out_dir").value:
            raise ValueError("parameter out_dir must name a folder")
        self._diagnostics = NodeDiagnostics(self, "evaluator", "waiting for ground truth")
        self.predictions: dict[int, np.ndarray] = {}
        self.ground_truth: dict[int, np.ndarray] = {}
        self.labels: list[SequenceLabel] = []
        self.report: dict | None = None
        self._changed = False
        self.create_subscription(PointCloud2, "ground_truth", self._on_ground_truth, KEEP_EVERYTHING)
        self.create_subscription(PointCloud2, "skeletons", self._on_skeletons, SKELETON_QOS)
        self.create_subscription(String, "sequences", self._on_label, KEEP_EVERYTHING)
        self.create_timer(self.get_parameter("write_period").value, self._write_if_changed)

    def _on_ground_truth(self, msg: PointCloud2) -> None:
        self._store(msg, self.ground_truth, "ground-truth frame")

    def _on_skeletons(self, msg: PointCloud2) -> None:
        self._store(msg, self.predictions, "skeletons frame")

    def _store(self, msg: PointCloud2, into: dict[int, np.ndarray], kind: str) -> None:
        started = time.perf_counter()
        try:
            into[stamp_ns(msg.header)] = cloud_to_skeletons(msg)[0]
        except MessageError as error:
            self._diagnostics.drop(f"a {kind}", error)
            return
        self._changed = True
        self._diagnostics.stats.processed(kind, 1000.0 * (time.perf_counter() - started))

    def _on_label(self, msg: String) -> None:
        try:
            self.labels.append(SequenceLabel.from_json(msg.data))
        except ValueError as error:
            self._diagnostics.drop("a sequence label", error)

    def _write_if_changed(self) -> None:
        if self._changed:
            self.write_report()

    def write_report(self) -> dict | None:
        """Score what has arrived and write the report; None (logged) if nothing can be scored yet.

        Frames count as reported only once the write is done: a Ctrl-C that lands during a periodic
        write (plots take a second or two) leaves them to the final write in destroy_node."""
        try:
            report, matched = score(self.predictions, self.ground_truth, self.labels)
        except EvaluationError as error:
            self._changed = False
            self._diagnostics.message = f"nothing to score yet: {error}"
            self.get_logger().info(self._diagnostics.message, throttle_duration_sec=10.0)
            return None
        out = self.get_parameter("out_dir").value
        write_evaluation(report, out, f"live evaluation ({self.get_name()})", matched)
        self._changed = False
        self._diagnostics.message = summary_line(report)
        self.get_logger().info(f"{summary_line(report)}; written to {out}")
        self.report = report
        return report

    def destroy_node(self) -> None:
        if getattr(self, "_changed", False):  # the last frames since the previous write
            self.write_report()
        super().destroy_node()


def main(args: Sequence[str] | None = None) -> int:
    return spin_node(EvaluatorNode, "evaluator", args)


if __name__ == "__main__":
    sys.exit(main())
