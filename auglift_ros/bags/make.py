"""Evaluation bags: camera_info and ground truth beside images, depth and/or 2D keypoints.

Every frame's messages share one header (stamp and the camera's optical frame id); topic names come
from config/pipeline.yaml (auglift_ros.runtime.graph.pipeline_topics), so a bag replays straight into the
pipeline and `evaluate-bag` finds what it needs. A bag may hold several takes; each starts with a
`std_msgs/String` on the sequences topic, a JSON label {name, action, source, start_ns, end_ns}, so
frames are assigned to takes by stamp whatever order a replay delivers them in.

Log times: a frame's camera_info, image, depth and ground truth are logged at its stamp, its
keypoints DETECTOR_DELAY_NS later (a detector's output follows its image by tens of milliseconds), so
a replay delivers the depth before the keypoints that need it, as an RGB-D camera does. A monocular
depth model is slower than the detector: ``depth_delays_ms`` logs each frame's depth that much after
its stamp (cycling through the values frame by frame), so depth can also arrive after its keypoints,
which the lifter waits for (``depth_wait``).

Sources: mocap takes (any format auglift_ros.mocap.datasets reads) through the scene simulation of
one fixed camera per take (keypoints + depth, no images), and real video frames with calibration
(images; ground truth when a reference is given).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from std_msgs.msg import Header, String
from tqdm import tqdm

from auglift_ros.bags.io import BagWriter
from auglift_ros.evaluation.scoring import SequenceLabel
from auglift_ros.footage.calibration import CalibratedCamera
from auglift_ros.mocap.datasets import PoseSequence
from auglift_ros.nodes.messages import (
    camera_info_message,
    keypoints_to_cloud,
    metres_to_depth_image,
    rgb_to_image,
    skeletons_to_cloud,
    stamp_from_ns,
)
from auglift_ros.runtime.graph import PipelineTopics, pipeline_topics
from auglift_ros.simulation.scene import CameraRanges
from auglift_ros.simulation.simulate import sequence_view, simulate_sequence

FRAME_ID = "camera_color_optical_frame"
START_NS = 1_000_000_000 * 1_000_000_000
"""Stamp of a bag's first frame (a fixed epoch, so the same command writes the same bag)."""
SEQUENCE_GAP_NS = 1_000_000_000
"""Time between takes: longer than any depth pairing window, so no take borrows another's depth."""
DETECTOR_DELAY_NS = 10_000_000
DEPTH_ENCODING = "16UC1"
"""Millimetres, as RGB-D cameras publish depth: half the size of 32FC1, and 1 mm steps are far below
any depth error that matters here."""


@dataclass
class BagSummary:
    path: Path
    sequences: int = 0
    frames: int = 0
    frames_with_person: int = 0
    topics: list[str] = field(default_factory=list)


class EvaluationBagWriter:
    """Writes takes frame by frame with consistent stamps, frame ids and topic names."""

    def __init__(
        self,
        path: str | Path,
        *,
        topics: PipelineTopics | None = None,
        storage: str = "mcap",
        frame_id: str = FRAME_ID,
        depth_delays_ms: Sequence[float] = (0.0,),
    ) -> None:
        if not depth_delays_ms or not all(np.isfinite(d) and d >= 0 for d in depth_delays_ms):
            raise ValueError(
                f"depth delays must be one or more non-negative milliseconds, got {depth_delays_ms}"
            )
        self.depth_delays_ns = [round(1e6 * d) for d in depth_delays_ms]
        self.topics = topics or pipeline_topics()
        self.frame_id = frame_id
        self.summary = BagSummary(Path(path))
        self._bag = BagWriter(path, storage)
        self._next_start_ns = START_NS
        self._written: set[str] = set()

    def begin_sequence(self, name: str, action: str, source: str, frames: int, fps: float) -> list[int]:
        """Label the next take and return its frames' stamps (ns), fps apart."""
        stamps = [self._next_start_ns + round(i * 1e9 / fps) for i in range(frames)]
        label = SequenceLabel(name, action, source, stamps[0], stamps[-1])
        self._write(self.topics.sequences, String(data=label.to_json()), stamps[0] - DETECTOR_DELAY_NS)
        self._next_start_ns = stamps[-1] + SEQUENCE_GAP_NS
        self.summary.sequences += 1
        return stamps

    def frame(
        self,
        stamp: int,
        camera: CalibratedCamera,
        *,
        rgb: np.ndarray | None = None,
        depth: np.ndarray | None = None,
        keypoints: tuple[np.ndarray, np.ndarray] | None = None,
        ground_truth: np.ndarray | None = None,
    ) -> None:
        """One frame: camera_info always; an rgb8 image (H, W, 3), depth (H, W) metres, keypoints
        ((P, 17, 2) px, (P, 17) confidence) and ground-truth joints (P, 17, 3) metres when given."""
        header = Header(stamp=stamp_from_ns(stamp), frame_id=self.frame_id)
        self._write(
            self.topics.camera_info,
            camera_info_message(header, camera.K, camera.width, camera.height, camera.dist),
            stamp,
        )
        if rgb is not None:
            self._write(self.topics.image, rgb_to_image(header, rgb), stamp)
        if depth is not None:
            delay = self.depth_delays_ns[self.summary.frames % len(self.depth_delays_ns)]
            self._write(
                self.topics.depth, metres_to_depth_image(header, depth, DEPTH_ENCODING), stamp + delay
            )
        if ground_truth is not None:
            joints = np.asarray(ground_truth, dtype=np.float64)
            confidence = np.isfinite(joints).all(axis=-1).astype(np.float32)
            self._write(self.topics.ground_truth, skeletons_to_cloud(header, joints, confidence), stamp)
        if keypoints is not None:
            self._write(
                self.topics.keypoints, keypoints_to_cloud(header, *keypoints), stamp + DETECTOR_DELAY_NS
            )
            self.summary.frames_with_person += int(len(keypoints[0]) > 0)
        self.summary.frames += 1

    def _write(self, topic: str, msg: Any, log_time_ns: int) -> None:
        self._bag.write(topic, msg, log_time_ns)
        self._written.add(topic)

    def close(self) -> BagSummary:
        self._bag.close()
        self.summary.topics = sorted(self._written)
        return self.summary

    def __enter__(self) -> EvaluationBagWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def frame_stride(source_fps: float, fps: float | None) -> int:
    """Every n-th frame of a take recorded at source_fps, for about fps (None: every frame)."""
    if fps is None:
        return 1
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be positive, got {fps}")
    return max(1, round(source_fps / fps))


def write_simulated_bag(
    sequences: Sequence[PoseSequence],
    out: str | Path,
    *,
    seed: int = 0,
    fps: float | None = 30.0,
    image_size: tuple[int, int] = (640, 480),
    max_frames: int | None = None,
    depth_error_scale: float = 1.0,
    detector_noise_scale: float = 0.5,
    storage: str = "mcap",
    topics: PipelineTopics | None = None,
    depth_delays_ms: Sequence[float] = (0.0,),
    progress: bool = True,
) -> BagSummary:
    """Mocap takes seen by a simulated camera: keypoints, monocular depth, camera_info, ground truth.

    Each take gets one fixed camera (auglift_ros.simulation.simulate.sequence_view) drawn from its own
    random stream, so a take's bag content does not depend on the takes before it. Frames where the
    person is not wholly in view carry no detections (an empty keypoints cloud) but keep their
    ground truth, so evaluation counts them as missed.
    """
    if not sequences:
        raise ValueError("no sequences to write")
    rngs = np.random.default_rng(seed).spawn(len(sequences))
    with EvaluationBagWriter(out, topics=topics, storage=storage, depth_delays_ms=depth_delays_ms) as bag:
        for seq, rng in zip(sequences, rngs, strict=True):
            joints = seq.joints3d[:: frame_stride(seq.fps, fps)][:max_frames]
            view_rng, frames_rng = rng.spawn(2)
            view = sequence_view(joints, view_rng, CameraRanges(image_sizes=(tuple(image_size),)))
            camera = CalibratedCamera(
                seq.name, *image_size, view.camera.K, np.zeros(5), view.rotation, view.translation
            )
            stamps = bag.begin_sequence(
                seq.name, seq.action, seq.source, len(joints), seq.fps / frame_stride(seq.fps, fps)
            )
            frames = simulate_sequence(
                view,
                frames_rng,
                depth_error_scale=depth_error_scale,
                detector_noise_scale=detector_noise_scale,
            )
            for stamp, frame in tqdm(
                zip(stamps, frames, strict=True),
                total=len(stamps),
                desc=f"make-bag {seq.name}",
                unit="frame",
                disable=not progress,
            ):
                bag.frame(
                    stamp,
                    camera,
                    depth=frame.depth,
                    keypoints=(frame.keypoints, frame.confidence),
                    ground_truth=frame.joints_cam[None],
                )
    return bag.summary


def write_video_bag(
    frames: Iterable[np.ndarray],
    camera: CalibratedCamera,
    out: str | Path,
    *,
    fps: float,
    name: str,
    action: str = "",
    source: str = "",
    frame_count: int,
    reference: np.ndarray | None = None,
    storage: str = "mcap",
    topics: PipelineTopics | None = None,
    progress: bool = True,
) -> BagSummary:
    """Real video frames (RGB uint8, camera's size) as images with camera_info; reference joints
    (frame_count, P, 17, 3) in the camera's optical frame become the ground truth when given."""
    if reference is not None and len(reference) != frame_count:
        raise ValueError(f"reference has {len(reference)} frames, the video {frame_count}")
    with EvaluationBagWriter(out, topics=topics, storage=storage) as bag:
        stamps = bag.begin_sequence(name, action, source, frame_count, fps)
        written = 0
        for i, rgb in enumerate(
            tqdm(frames, total=frame_count, desc=f"make-bag {name}", unit="frame", disable=not progress)
        ):
            if i == frame_count:
                break
            if rgb.shape[:2] != (camera.height, camera.width):
                raise ValueError(
                    f"frame {i} is {rgb.shape[1]}x{rgb.shape[0]} pixels, "
                    f"the calibration {camera.width}x{camera.height}"
                )
            bag.frame(stamps[i], camera, rgb=rgb, ground_truth=None if reference is None else reference[i])
            written += 1
        if written != frame_count:
            raise ValueError(f"the video ended after {written} of {frame_count} frames")
    return bag.summary


def choose_camera(
    cameras: Sequence[CalibratedCamera], name: str | None, where: str | Path
) -> CalibratedCamera:
    """The camera called name, or the only one; ValueError naming the choices otherwise."""
    names = [camera.name for camera in cameras]
    if name is None and len(cameras) == 1:
        return cameras[0]
    if name is None or name not in names:
        raise ValueError(f"{where}: choose a camera with --camera; it has {names}")
    return cameras[names.index(name)]


def write_video_bag_from_file(
    video: str | Path,
    calibration: str | Path,
    out: str | Path,
    *,
    camera: str | None = None,
    stride: int = 1,
    max_frames: int | None = None,
    scale: float = 1.0,
    reference: np.ndarray | None = None,
    storage: str = "mcap",
    topics: PipelineTopics | None = None,
    progress: bool = True,
) -> BagSummary:
    """A video file and its camera's calibration (auglift_ros.footage.calibration.load_cameras) as an
    image bag; frames resized by scale with K to match, every stride-th frame, at most max_frames."""
    from auglift_ros.footage.calibration import load_cameras, match_frame_size
    from auglift_ros.footage.video import VideoFrames

    chosen = choose_camera(load_cameras(calibration), camera, calibration)
    frames = VideoFrames(video, stride=stride, max_frames=max_frames, scale=scale)
    recorded = match_frame_size(chosen, frames.native_width, frames.native_height)
    return write_video_bag(
        frames,
        recorded.resized(frames.width, frames.height),
        out,
        fps=frames.fps / stride,
        name=Path(video).stem,
        source=str(video),
        frame_count=len(frames),
        reference=reference,
        storage=storage,
        topics=topics,
        progress=progress,
    )
