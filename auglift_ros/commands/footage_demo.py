"""`auglift-ros demo` (README command 1): the pipeline on real footage, scored against a 3D reference.

1. Get the pose2sim single-person demo (four calibrated videos; `pip download` of its wheel, cached).
2. Build the reference: MediaPipe 2D in all four views, linear triangulation
   (auglift_ros.footage.reference), moved into camera cam01's optical frame.
3. Write an evaluation bag from cam01 alone: images, camera_info and the reference as ground truth.
4. Replay the bag through the pipeline's own code (auglift_ros.bags.replay: the detector node's
   MediaPipe backend, the lifter node's LiftStage), with Depth Anything V2 depth when its weights are
   present (the AugLift model) and the no-depth model otherwise, said plainly.
5. Write an output bag with the skeletons and RViz markers, an image strip of frames beside their 3D
   skeletons, and metrics.json / metrics.md / plots against the reference. MediaPipe's own 3D (its
   world landmarks from the very detector calls whose 2D the pipeline lifted) is scored beside ours
   by the benchmark's code (auglift_ros.commands.footage_benchmark), as users compare the two.

The reference and the pipeline share the detector, so the figures measure lifting (2D -> 3D, one
view), not 2D detection: a lifter cannot be scored against a reference it fed.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from auglift_ros.bags.io import BagWriter, stamp_of
from auglift_ros.bags.make import write_video_bag_from_file
from auglift_ros.bags.replay import LiftedFrame, graph_lifter, lifter_defaults, replay_bag
from auglift_ros.commands.footage_benchmark import score_row
from auglift_ros.evaluation.scoring import score, summary_line, write_evaluation
from auglift_ros.footage.reference import most_confident_person
from auglift_ros.nodes.lift_stage import lifted_messages
from auglift_ros.perception.detector import Detections, KeypointDetector
from auglift_ros.runtime.graph import pipeline_topics

CAMERA = "cam01"
VIDEO_SCALE = 0.5
"""The bag holds cam01 at 540x960 (half size): a quarter of the bytes, and MediaPipe detects a person
filling a portrait frame as well at that size."""
STRIP_FRAMES = 5


def _depth_estimator(depth_model: str | None) -> tuple[Any, str]:
    """Depth Anything V2 when its weights are here, else None; and a sentence saying which."""
    if not depth_model:
        return None, "no depth model asked for: lifting with the no-depth model (xyc)"
    from auglift_ros.runtime.weights import WeightsError, resolve_entry

    try:
        path, entry = resolve_entry(depth_model, expected_use="depth.model")
    except WeightsError as error:
        return None, f"no depth: {error}. Lifting with the no-depth model (xyc) instead"
    from auglift_ros.perception.depth import DepthAnythingV2Onnx

    kind = entry.model_kind if entry is not None and entry.model_kind else "metric"
    return DepthAnythingV2Onnx(path, kind=kind, input_size=266), f"depth from {path.name} ({kind})"


class _RememberingDetector:
    """A detector that keeps its last Detections, so MediaPipe's world landmarks can be scored from
    the same calls whose 2D the pipeline lifts."""

    def __init__(self, detector: KeypointDetector) -> None:
        self.detector = detector
        self.last = Detections.empty()

    def detect(self, image_rgb: np.ndarray) -> Detections:
        self.last = self.detector.detect(image_rgb)
        return self.last

    def close(self) -> None:
        self.detector.close()


def mediapipe_world_figures(
    world: dict[int, np.ndarray], ground_truth: dict[int, np.ndarray]
) -> dict[str, Any]:
    """MediaPipe's world joints per stamp (17, 3) scored against the bag's ground truth per stamp
    (P, 17, 3), as the benchmark scores them; frames without either are left out and counted."""
    stamps = sorted(ground_truth)
    missing = np.full((17, 3), np.nan)
    truth = np.stack([_first_person(ground_truth[stamp]) for stamp in stamps])
    peer = np.stack([world.get(stamp, missing) for stamp in stamps])
    return score_row([peer], [truth], [CAMERA])["pooled"]


def _first_person(joints: np.ndarray | None) -> np.ndarray:
    """The first person's joints (17, 3), NaN when the frame had nobody."""
    return np.full((17, 3), np.nan) if joints is None or len(joints) == 0 else np.asarray(joints[0])


def image_strip(
    frames: list[np.ndarray], predicted: list[np.ndarray], truth: list[np.ndarray], path: Path
) -> None:
    """Each chosen frame above its 3D skeletons (prediction red, reference green, root-relative)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from auglift_ros.evaluation.scoring import draw_skeleton, root_relative, skeleton_axis

    fig = plt.figure(figsize=(2.6 * len(frames), 7.0))
    for i, (rgb, pred, gt) in enumerate(zip(frames, predicted, truth, strict=True)):
        ax = fig.add_subplot(2, len(frames), i + 1)
        ax.imshow(rgb)
        ax.axis("off")
        ax3d = fig.add_subplot(2, len(frames), len(frames) + i + 1, projection="3d")
        if np.isfinite(gt).all():
            draw_skeleton(ax3d, root_relative(gt[None])[0], "tab:green", "reference")
        if np.isfinite(pred).all():
            draw_skeleton(ax3d, root_relative(pred[None])[0], "tab:red", "prediction")
        ax3d.view_init(elev=10, azim=-80)
        skeleton_axis(ax3d, legend=i == 0)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def run_demo(out_dir: str | Path, *, depth_model: str | None = None, max_frames: int | None = None) -> int:
    """The demo (module docstring); 0 when it ran to the end."""
    from auglift_ros.footage.pose2sim import fetch_pose2sim_demo
    from auglift_ros.footage.reference import joints_in_camera, triangulated_reference
    from auglift_ros.footage.video import VideoFrames

    started = time.monotonic()
    out = Path(out_dir)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    print("[demo] 1/5 pose2sim demo videos and calibration (cached after the first run)", flush=True)
    demo = fetch_pose2sim_demo()
    cameras = demo.cameras()
    view = [camera.name for camera in cameras].index(CAMERA)

    print("[demo] 2/5 reference: MediaPipe 2D in 4 views, linear triangulation", flush=True)
    reference = triangulated_reference(demo.videos, cameras, reference_view=view, max_frames=max_frames)
    print(f"[demo]     {reference.summary()}", flush=True)
    truth = joints_in_camera(reference.joints_world, cameras[view])[:, None]  # (T, 1 person, 17, 3)

    print(f"[demo] 3/5 evaluation bag from {CAMERA} alone", flush=True)
    bag = out / "input_bag"
    write_video_bag_from_file(
        demo.videos[view],
        demo.calibration,
        bag,
        camera=CAMERA,
        max_frames=len(truth),
        scale=VIDEO_SCALE,
        reference=truth,
    )

    depth_estimator, depth_note = _depth_estimator(depth_model)
    print(f"[demo] 4/5 the pipeline on the bag; {depth_note}", flush=True)
    lifter = graph_lifter()
    node_defaults = lifter_defaults()
    topics = pipeline_topics()
    chosen = set(np.linspace(0, len(truth) - 1, STRIP_FRAMES).round().astype(int).tolist())
    from auglift_ros.perception.detector import MediaPipePoseDetector

    world: dict[int, np.ndarray] = {}  # stamp -> MediaPipe's world joints (17, 3)
    with BagWriter(out / "output_bag") as output, MediaPipePoseDetector(tracking=True) as mediapipe:
        lifted = 0
        detector = _RememberingDetector(mediapipe)

        def keep(frame: LiftedFrame) -> None:
            nonlocal lifted
            header = frame.keypoints_msg.header
            stamp = stamp_of(frame.keypoints_msg)  # every message of a frame is logged at its stamp
            world[stamp] = most_confident_person(detector.last)[2]
            output.write(topics.keypoints, frame.keypoints_msg, stamp)
            skeletons, markers = lifted_messages(
                header, frame.result, frame.confidence, node_defaults["marker_lifetime"]
            )
            output.write(topics.skeletons, skeletons, stamp)
            output.write(topics.markers, markers, stamp)  # a MarkerArray has no header of its own
            lifted += 1

        try:
            replay = replay_bag(
                bag,
                lifter,
                topics=topics,
                max_depth_age=node_defaults["max_depth_age"],
                depth_wait=node_defaults["depth_wait"],
                detector=detector,
                depth_estimator=depth_estimator,
                on_frame=keep,
            )
        finally:
            if depth_estimator is not None:
                depth_estimator.close()

    print("[demo] 5/5 scoring against the reference, image strip", flush=True)
    report, matched = score(replay.predictions, replay.ground_truth, replay.labels)
    report |= {
        "footage": "pose2sim Demo_SinglePerson, camera cam01 (BSD-3-Clause)",
        "depth": depth_note,
        "frames_with_depth": replay.frames_with_depth,
        "reference": reference.error_stats(),
        "dropped": dict(replay.dropped),
        "mediapipe_world": mediapipe_world_figures(world, replay.ground_truth),
    }
    write_evaluation(report, out, f"pose2sim {CAMERA}: pipeline vs 4-view triangulation", matched)
    stamps = sorted(replay.ground_truth)
    shown = sorted(chosen)
    video = VideoFrames(demo.videos[view], max_frames=len(truth), scale=VIDEO_SCALE)
    image_strip(
        [rgb for i, rgb in enumerate(video) if i in chosen],
        [_first_person(replay.predictions.get(stamps[i])) for i in shown],
        [truth[i, 0] for i in shown],
        out / "strip.png",
    )
    print(f"[demo] {summary_line(report)}")
    peer = report["mediapipe_world"]
    peer_figures = (
        "no frame to score"
        if peer["mpjpe"] is None
        else f"MPJPE {peer['mpjpe']:.1f} mm, P-MPJPE {peer['p_mpjpe']:.1f} mm, PCK@150 {peer['pck']:.1f} %"
    )
    print(
        f"[demo] MediaPipe's own 3D (pose_world_landmarks, same detections) on {peer['frames_scored']} of "
        f"{peer['frames']} frames: {peer_figures}"
    )
    print(f"[demo] {lifted} frames lifted ({replay.frames_with_depth} with depth); {depth_note}")
    print(
        f"[demo] output bag {out / 'output_bag'} (skeletons, markers, keypoints), strip.png, metrics in {out}"
    )
    print(f"[demo] done in {time.monotonic() - started:.0f} s")
    return 0
