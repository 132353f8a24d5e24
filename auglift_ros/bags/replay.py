"""Offline replay of a bag through the pipeline's stages, without DDS, and its evaluation.

The bag's topics decide where replay starts: with a keypoints topic, at the lifter (keypoints + depth
+ camera_info, as recorded); with only images, at the detector (MediaPipe, the detector node's
default backend), with depth from the bag's depth topic or, given a Depth Anything V2 model, estimated
from each image as the depth node does. Messages are taken in log-time order, as `ros2 bag play`
delivers them, and every keypoints message goes through `LiftStage` (the lifter node's own code) with
the depth the node pairs it with: its own stamp's, waited for up to depth_wait in log time, else the
nearest within max_depth_age (auglift_ros.nodes.depth_pairing, the node's rule and buffer size).

A malformed frame is dropped and counted by reason, as a node would; a bag without ground truth,
camera_info or any input stage, or whose stamps match no ground truth, raises an error naming it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sensor_msgs.msg import Image, PointCloud2
from tqdm import tqdm

from auglift_ros.bags.io import BagError, bag_message_counts, read_messages, stamp_of
from auglift_ros.core.tracking import KeypointTracker
from auglift_ros.evaluation.scoring import SequenceLabel, score, summary_line, write_evaluation
from auglift_ros.nodes.depth_pairing import PairedFrame, RecentImages, StampPairing
from auglift_ros.nodes.lift_stage import LiftStage
from auglift_ros.nodes.lifter_node import DEPTH_BUFFER
from auglift_ros.nodes.messages import (
    MessageError,
    cloud_to_skeletons,
    image_to_rgb,
    keypoints_to_cloud,
    metres_to_depth_image,
)
from auglift_ros.perception.depth import DepthEstimator
from auglift_ros.perception.detector import KeypointDetector
from auglift_ros.runtime.graph import PipelineTopics, load_graph, pipeline_topics
from auglift_ros.runtime.lifting import FrameLifter, LiftResult
from auglift_ros.runtime.models import load_lifter

STAGES = ("lifter", "detector")


@dataclass
class LiftedFrame:
    """One lifted frame of a replay: the keypoints message's header and the lifter's result."""

    keypoints_msg: PointCloud2
    result: LiftResult
    confidence: np.ndarray


@dataclass
class Replay:
    """Everything a replay collected: predictions and ground truth per stamp, take labels, drops."""

    stage: str
    predictions: dict[int, np.ndarray] = field(default_factory=dict)  # stamp -> (P, 17, 3) camera frame
    ground_truth: dict[int, np.ndarray] = field(default_factory=dict)
    labels: list[SequenceLabel] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    frames_with_depth: int = 0


def replay_stage(present: Collection[str], topics: PipelineTopics) -> str:
    """'lifter' when the bag has keypoints, 'detector' when it has images only; BagError otherwise."""
    if topics.keypoints in present:
        return "lifter"
    if topics.image in present:
        return "detector"
    raise BagError(
        f"the bag has neither keypoints ({topics.keypoints}) nor images ({topics.image}) to replay; "
        f"its topics: {sorted(present)}"
    )


def replay_bag(
    path: str | Path,
    lifter: FrameLifter,
    *,
    topics: PipelineTopics | None = None,
    max_depth_age: float = 0.1,
    depth_wait: float = 0.05,
    detector: KeypointDetector | None = None,
    depth_estimator: DepthEstimator | None = None,
    on_frame: Callable[[LiftedFrame], None] | None = None,
    progress: bool = True,
) -> Replay:
    """Replay the bag at path (see the module docstring); on_frame sees every lifted frame.

    A detector is needed only for a bag without keypoints; depth_estimator replaces the bag's depth.
    """
    topics = topics or pipeline_topics()
    counts = bag_message_counts(path)
    stage = replay_stage(counts, topics)
    if topics.camera_info not in counts:
        raise BagError(f"bag {path}: no camera_info topic {topics.camera_info}; its topics: {sorted(counts)}")
    if stage == "detector" and detector is None:
        raise BagError(f"bag {path} has images but no keypoints: replaying it needs a detector")
    wanted = [topics.camera_info, topics.ground_truth, topics.sequences]
    wanted += [topics.keypoints] if stage == "lifter" else [topics.image]
    if depth_estimator is None:
        wanted.append(topics.depth)
    replay = Replay(stage)
    lift = LiftStage(lifter, graph_tracker())
    recent = RecentImages(DEPTH_BUFFER)
    pairing = StampPairing(
        recent.within, max_age_ns=round(1e9 * max_depth_age), wait_ns=round(1e9 * depth_wait)
    )
    now_ns = 0  # the log time of the message being handled: the pairing's clock, as the node's is live

    def lift_frames(frames: list[PairedFrame]) -> None:
        for frame in frames:
            try:
                result, confidence = lift.lift(frame.keypoints, frame.depth)
            except (MessageError, ValueError) as error:
                replay.dropped[f"{topics.keypoints}: {type(error).__name__}: {error}"] += 1
                continue
            replay.predictions[stamp_of(frame.keypoints)] = result.joints_cam
            replay.frames_with_depth += int(result.used_depth)
            if on_frame is not None:
                on_frame(LiftedFrame(frame.keypoints, result, confidence))

    def on_keypoints(msg: PointCloud2) -> None:
        lift_frames(pairing.add_keypoints(msg, now_ns))

    def on_depth(msg: Image) -> None:
        recent.add(msg)
        lift_frames(pairing.add_depth(msg, now_ns))

    def on_image(msg: Image) -> None:
        rgb = image_to_rgb(msg)
        if depth_estimator is not None:
            on_depth(metres_to_depth_image(msg.header, depth_estimator.estimate(rgb)))
        found = detector.detect(rgb)
        on_keypoints(keypoints_to_cloud(msg.header, found.keypoints, found.confidence))

    def on_ground_truth(msg: PointCloud2) -> None:
        replay.ground_truth[stamp_of(msg)] = cloud_to_skeletons(msg)[0]

    handlers: dict[str, Callable[[Any], None]] = {
        topics.camera_info: lift.set_camera_info,
        topics.depth: on_depth,
        topics.keypoints: on_keypoints,
        topics.image: on_image,
        topics.ground_truth: on_ground_truth,
        topics.sequences: lambda msg: replay.labels.append(SequenceLabel.from_json(msg.data)),
    }
    total = sum(counts.get(topic, 0) for topic in wanted)
    for message in tqdm(
        read_messages(path, wanted), total=total, desc="replay", unit="msg", disable=not progress
    ):
        now_ns = message.log_time_ns
        lift_frames(pairing.expire(now_ns))  # frames whose wait ran out before this message came
        try:
            handlers[message.topic](message.msg)
        except (MessageError, ValueError) as error:
            replay.dropped[f"{message.topic}: {type(error).__name__}: {error}"] += 1
    lift_frames(pairing.flush())
    return replay


def lifter_defaults(config: str | Path | None = None) -> dict[str, Any]:
    """The lifter node's parameters in the pipeline graph: offline replay uses the node's defaults."""
    specs = {spec.name: spec for spec in load_graph(config)}
    return specs["lifter"].parameters


def graph_tracker() -> KeypointTracker:
    """The person tracker the lifter node builds from its parameters in the graph."""
    defaults = lifter_defaults()
    return KeypointTracker(max_distance=defaults["track_max_distance"], timeout_s=defaults["track_timeout"])


def graph_lifter(model: str | None = None, fallback_model: str | None = None) -> FrameLifter:
    """The FrameLifter the lifter node builds from its parameters in the graph (model, fallback
    model, threads); model / fallback_model override them ('' fallback = none)."""
    defaults = lifter_defaults()
    fallback = defaults["fallback_model"] if fallback_model is None else fallback_model
    return FrameLifter(
        load_lifter(model or defaults["model"], threads=defaults["threads"]),
        load_lifter(fallback, threads=defaults["threads"]) if fallback else None,
    )


def evaluate_bag(
    path: str | Path,
    out_dir: str | Path,
    *,
    model: str | None = None,
    fallback_model: str | None = None,
    depth_model: str | None = None,
    depth_model_kind: str = "metric",
    progress: bool = True,
) -> dict[str, Any]:
    """`auglift-ros evaluate-bag`: replay, score against the bag's ground truth, write the report.

    Models default to the lifter node's parameters in config/pipeline.yaml (fallback '' = none).
    """
    topics = pipeline_topics()
    counts = bag_message_counts(path)
    if topics.ground_truth not in counts:
        raise BagError(
            f"bag {path}: no ground truth on {topics.ground_truth} (write one with auglift-ros make-bag); "
            f"its topics: {sorted(counts)}"
        )
    lifter = graph_lifter(model, fallback_model)
    defaults = lifter_defaults()
    detector = depth_estimator = None
    if replay_stage(counts, topics) == "detector":
        from auglift_ros.perception.detector import MediaPipePoseDetector

        detector = MediaPipePoseDetector(tracking=True)
    if depth_model:
        from auglift_ros.perception.depth import DepthAnythingV2Onnx

        depth_estimator = DepthAnythingV2Onnx(depth_model, kind=depth_model_kind)
    try:
        replay = replay_bag(
            path,
            lifter,
            topics=topics,
            max_depth_age=defaults["max_depth_age"],
            depth_wait=defaults["depth_wait"],
            detector=detector,
            depth_estimator=depth_estimator,
            progress=progress,
        )
    finally:
        for backend in (detector, depth_estimator):
            if backend is not None:
                backend.close()
    report, matched = score(replay.predictions, replay.ground_truth, replay.labels)
    report |= {
        "bag": str(path),
        "stage": replay.stage,
        "model": str(lifter.model.path),
        "fallback_model": str(lifter.fallback.path) if lifter.fallback else None,
        "depth": "bag" if depth_estimator is None else str(depth_model),
        "frames_lifted": len(replay.predictions),
        "frames_with_depth": replay.frames_with_depth,
        "dropped": dict(replay.dropped),
    }
    write_evaluation(report, out_dir, f"{Path(path).name} ({lifter.model.path.stem})", matched)
    if progress:
        print(f"[evaluate-bag] {summary_line(report)}")
        if replay.dropped:
            print(f"[evaluate-bag] dropped frames: {sum(replay.dropped.values())} ({dict(replay.dropped)})")
        print(f"[evaluate-bag] metrics.json, metrics.md and plots in {out_dir}")
    return report
