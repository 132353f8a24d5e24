"""What a camera, a 2D detector and a monocular depth model would give for known 3D poses.

`simulate_frames` places each pose in front of a random camera, casts the joints' rays for
visibility, draws detector output, renders metric depth and a monocular depth estimate only around
the detected keypoints, and samples the depth inputs the requested feature codecs need (only the
samples are kept).
The same function serves generated poses (demo, tests) and recorded motion. `simulate_sequence` does
the same for a whole take seen by one fixed camera, frame by frame with full depth images (for bags).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, fields
from functools import partial
from typing import Any

import numpy as np
from tqdm import tqdm

from auglift_ros.core.camera import PinholeCamera
from auglift_ros.core.features import FeatureCodec
from auglift_ros.core.skeleton import H36M_ROOT
from auglift_ros.simulation.scene import (
    DEFAULT_CAMERAS,
    CameraRanges,
    floor_plane,
    joint_visibility,
    lift_to_floor,
    place_in_camera,
    ray_cast_visibility,
    render_depth,
    render_depth_windows,
)
from auglift_ros.simulation.sensors import (
    STANDARD_DETECTOR_NOISE_SCALE,
    Detector,
    DetectorMixture,
    keypoint_box_scale,
    simulate_detector,
    simulate_monocular_depth,
)

MAX_VIEW_DRAWS = 20
"""Views are redrawn until the whole person is in the image (a detector reports people in view)."""
TRUNCATED_CONFIDENCE = 0.3
"""Factor on the confidence of a joint outside the image (on top of the occluded factor, so at most
0.15): detectors extrapolate such joints and mark them unsure. An assumption, not yet measured."""
BLUR_SUPPORT_PX = 8
"""Extra window margin so the depth model's edge blur near every sample matches a full-frame blur."""


def _detect(
    pixels: np.ndarray,
    seen: np.ndarray,
    rng: np.random.Generator,
    noise_scale: float,
    model: Detector,
) -> tuple[np.ndarray, np.ndarray]:
    """Detections (P, 17, 2) and confidences of true keypoints (P, 17, 2): the assumed error model, or
    a measured one (see STANDARD_DETECTOR_NOISE_SCALE)."""
    scale = keypoint_box_scale(pixels)
    if model is None:
        return simulate_detector(pixels, seen, scale, rng, noise_scale=noise_scale)
    return model.simulate(pixels, seen, scale, rng, noise_scale=noise_scale / STANDARD_DETECTOR_NOISE_SCALE)


def _draw_detector(
    model: Detector | DetectorMixture, noise_scale: float, rng: np.random.Generator
) -> tuple[Detector, float]:
    """The detector and noise scale of one frame (or take): a mixture draws a component from rng, a
    single model draws nothing (so its random streams are those of earlier releases)."""
    if isinstance(model, DetectorMixture):
        return model.draw(rng, noise_scale)
    return model, noise_scale


@dataclass
class SimulatedFrames:
    """One person per frame: detections, ground truth and the depth samples for some feature sets."""

    image_sizes: np.ndarray  # (N, 2) width, height of each frame's image
    keypoints: np.ndarray  # (N, 17, 2) detected pixels
    confidence: np.ndarray  # (N, 17)
    visible: np.ndarray  # (N, 17) bool, from the rendered depth
    joints_cam: np.ndarray  # (N, 17, 3) metres, camera optical frame
    camera_matrix: np.ndarray  # (N, 3, 3) K of each frame's camera
    depth_inputs: dict[str, np.ndarray] = field(default_factory=dict)  # feature set -> sample_depth output

    @property
    def true_keypoints(self) -> np.ndarray:
        """(N, 17, 2) pixels: the joints through each frame's K, what a perfect detector would report."""
        pixels = np.einsum("nij,nkj->nki", self.camera_matrix, self.joints_cam)
        return pixels[..., :2] / pixels[..., 2:]

    @property
    def targets(self) -> np.ndarray:
        """Root-relative 3D joints (N, 17, 3) in metres, camera frame: what a lifter is scored on."""
        return self.joints_cam - self.joints_cam[:, H36M_ROOT : H36M_ROOT + 1]

    def features(self, codec: FeatureCodec) -> np.ndarray:
        """Lifter inputs (N, 17, C) for codec, from the stored detections and depth samples."""
        if codec.uses_depth and codec.feature_set not in self.depth_inputs:
            raise KeyError(
                f"no depth samples for feature set {codec.feature_set!r}; simulate with that codec"
            )
        return codec.encode(
            self.keypoints,
            self.confidence,
            self.image_sizes,
            self.depth_inputs.get(codec.feature_set),
            self.camera_matrix,
        )

    def view_rotation(self, codec: FeatureCodec) -> np.ndarray:
        """(N, 3, 3) rotations from the camera frame into the frame codec's lifter predicts in."""
        return codec.view_rotation(self.keypoints, self.camera_matrix)

    @classmethod
    def concatenate(cls, parts: Sequence[SimulatedFrames]) -> SimulatedFrames:
        """One set of frames from several, in order (their depth samples must be for the same codecs)."""
        names = [set(part.depth_inputs) for part in parts]
        if any(n != names[0] for n in names):
            raise ValueError(f"frames sampled for different feature sets cannot be joined: {names}")
        arrays = {
            f.name: np.concatenate([getattr(part, f.name) for part in parts])
            for f in fields(cls)
            if f.name != "depth_inputs"
        }
        depth = {name: np.concatenate([part.depth_inputs[name] for part in parts]) for name in names[0]}
        return cls(**arrays, depth_inputs=depth)

    def lifter_targets(self, codec: FeatureCodec) -> np.ndarray:
        """The targets (N, 17, 3) as codec's lifter is trained to predict them."""
        return codec.encode_pose(self.targets, self.view_rotation(codec))


def simulate_frames(
    poses: np.ndarray,
    rng: np.random.Generator,
    codecs: Sequence[FeatureCodec],
    *,
    cameras: CameraRanges = DEFAULT_CAMERAS,
    depth_error_scale: float = 1.0,
    detector_noise_scale: float = STANDARD_DETECTOR_NOISE_SCALE,
    detector_model: Detector | DetectorMixture = None,
    progress: bool = False,
) -> SimulatedFrames:
    """Simulate one frame per pose (N, 17, 3) (metres, y up, any root position).

    Every frame draws from its own random streams spawned from rng (one for camera, view and
    detector, one for the depth model), so frame i is the same whichever codecs are requested: an
    `xy` model and a `uadd` model evaluated with the same seed see the same cameras and detections.
    Each frame draws a camera from `cameras`, then views until one shows the person as `cameras`
    asks (at most MAX_VIEW_DRAWS; the last is kept).

    depth_error_scale multiplies every error of the monocular depth model (0 gives the clean
    rendering, only blurred), for curves of lifter error against depth quality. detector_noise_scale
    is simulate_detector's noise_scale; the default 0.5 accounts for its person scale (the keypoint
    box, about 0.7 x person height) being larger than COCO's sqrt(segment area) (about 0.4 x height)
    and gives a mean 2D error of about 3.5 % of person height, the level of a good detector in the
    wild (measured: 7 % at noise_scale 1). detector_model: a measured error model instead of those
    assumptions (sensors.DETECTOR_MODELS; None: the assumed one every shipped model was trained with),
    or a sensors.DetectorMixture, which draws one of its models per frame.
    """
    if depth_error_scale < 0 or detector_noise_scale < 0:
        raise ValueError(
            f"depth_error_scale and detector_noise_scale must be non-negative, "
            f"got {depth_error_scale} and {detector_noise_scale}"
        )
    sampler = _DepthSampler(codecs, depth_error_scale)
    count = len(poses)
    keypoints = np.empty((count, 17, 2))
    camera_matrix = np.empty((count, 3, 3))
    image_sizes = np.empty((count, 2), dtype=int)
    confidence = np.empty((count, 17))
    visible = np.empty((count, 17), bool)
    joints_cam = np.empty((count, 17, 3))
    frame_rngs = rng.spawn(count)
    for i in tqdm(range(count), desc="simulate", unit="frame", disable=not progress):
        scene_rng, depth_rng = frame_rngs[i].spawn(2)
        camera = cameras.camera(scene_rng)
        standing = lift_to_floor(poses[i])
        for _ in range(MAX_VIEW_DRAWS):
            rotation, translation = cameras.view(scene_rng)
            joints = place_in_camera(standing, rotation, translation)
            if cameras.accepts(camera, rotation, joints):
                break
        model, noise_scale = _draw_detector(detector_model, detector_noise_scale, scene_rng)
        keypoints[i], confidence[i], visible[i] = sampler.observe(
            camera, joints, floor_plane(rotation, translation), scene_rng, depth_rng, noise_scale, model
        )
        joints_cam[i] = joints
        camera_matrix[i] = camera.K
        image_sizes[i] = (camera.width, camera.height)
    return SimulatedFrames(
        image_sizes=image_sizes,
        keypoints=keypoints,
        confidence=confidence,
        visible=visible,
        joints_cam=joints_cam,
        camera_matrix=camera_matrix,
        depth_inputs=sampler.stacked(),
    )


def simulate_frames_in_chunks(
    poses: np.ndarray,
    rng: np.random.Generator,
    codecs: Sequence[FeatureCodec],
    *,
    chunk_frames: int,
    workers: int = 1,
    progress: bool = False,
    **settings: Any,
) -> SimulatedFrames:
    """`simulate_frames` over chunks of `chunk_frames` poses, each chunk with its own stream spawned
    from rng, in `workers` processes: a million training frames in minutes on a multi-core machine.
    The frames depend on `chunk_frames` (and the seed), never on `workers`."""
    if chunk_frames < 1 or workers < 1:
        raise ValueError(f"chunk_frames and workers must be positive, got {chunk_frames} and {workers}")
    starts = range(0, len(poses), chunk_frames)
    # Seed sequences, not generators, cross to the workers: an unpickled generator loses its seed
    # sequence, and with it the streams simulate_frames spawns per frame.
    seeds = [chunk_rng.bit_generator.seed_seq for chunk_rng in rng.spawn(len(starts))]
    simulate = partial(_simulate_chunk, codecs=list(codecs), settings=settings)
    chunks = [poses[s : s + chunk_frames] for s in starts]
    if workers == 1:
        parts = [
            simulate(c, seed)
            for c, seed in tqdm(
                zip(chunks, seeds, strict=True), "simulate", len(chunks), disable=not progress
            )
        ]
    else:
        with ProcessPoolExecutor(workers) as pool:
            jobs = pool.map(simulate, chunks, seeds)
            parts = list(tqdm(jobs, "simulate", total=len(chunks), unit="chunk", disable=not progress))
    return SimulatedFrames.concatenate(parts)


def _simulate_chunk(
    poses: np.ndarray, seed: np.random.SeedSequence, codecs: list[FeatureCodec], settings: dict[str, Any]
) -> SimulatedFrames:
    return simulate_frames(poses, np.random.default_rng(seed), codecs, **settings)


class _DepthSampler:
    """Detects one person and keeps only the depth samples the codecs need. The depth and its
    monocular estimate are simulated only in a square around each detected keypoint, as wide as the
    widest sampling disk plus the estimate's blur support: at 4K the whole image took about a second
    per frame; the windows cost the same at any image size. Visibility comes from 17 rays."""

    def __init__(self, codecs: Sequence[FeatureCodec], error_scale: float) -> None:
        self.codecs = {codec.feature_set: codec for codec in codecs if codec.uses_depth}
        self.error_scale = error_scale
        self.samples: dict[str, list[np.ndarray]] = {name: [] for name in self.codecs}

    def observe(
        self,
        camera: PinholeCamera,
        joints: np.ndarray,
        floor: tuple[np.ndarray, float],
        scene_rng: np.random.Generator,
        depth_rng: np.random.Generator,
        noise_scale: float,
        model: Detector,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(detected keypoints (17, 2), confidence (17,), visible (17,)) for joints in the camera."""
        pixels = camera.project(joints)
        seen = ray_cast_visibility(joints[None], camera, floor=floor)
        detected, conf = _detect(pixels[None], seen, scene_rng, noise_scale, model)
        size = (camera.width, camera.height)
        conf = np.where(np.all((pixels >= 0) & (pixels < size), axis=-1), conf, conf * TRUNCATED_CONFIDENCE)
        if self.codecs:
            points = detected[0]
            centres = np.floor(np.where(np.isfinite(points), points, 0.0) + 0.5)
            reach = np.max(
                [codec.sampling_reach(detected, conf)[0] for codec in self.codecs.values()], axis=0
            )
            halves = np.ceil(reach).astype(int) + BLUR_SUPPORT_PX
            windows = render_depth_windows(camera, joints, centres, halves, floor=floor)
            estimate = simulate_monocular_depth(
                windows.depth,
                depth_rng,
                error_scale=self.error_scale,
                windows=windows,
                image_shape=(camera.height, camera.width),
            )
            for name, codec in self.codecs.items():
                samples = codec.sample_depth(estimate, detected, conf, windows.origins[None])
                self.samples[name].append(samples[0])
        return detected[0], conf[0], seen[0]

    def stacked(self) -> dict[str, np.ndarray]:
        return {name: np.stack(v) if v else np.empty((0, 17)) for name, v in self.samples.items()}


SEQUENCE_VIEW_DRAWS = 40
"""Views tried per take; each draw moves the distance range 0.5 m further back."""
IN_VIEW_SHARE = 0.98
"""A take's view is accepted once the whole person is in the image in this share of its frames."""


@dataclass(frozen=True)
class SequenceFrame:
    """One frame of a simulated take: what the camera, detector and depth model give, and the truth."""

    keypoints: np.ndarray  # (P, 17, 2) pixels; P = 0 when the person is not wholly in view
    confidence: np.ndarray  # (P, 17)
    joints_cam: np.ndarray  # (17, 3) metres, camera optical frame
    visible: np.ndarray  # (17,) bool, from the rendered depth
    depth: np.ndarray  # (H, W) float32 metres: the simulated monocular depth estimate


@dataclass(frozen=True)
class SequenceView:
    """One fixed camera for a whole take (a robot or a wall camera watching a person move)."""

    camera: PinholeCamera
    rotation: np.ndarray
    translation: np.ndarray
    joints_cam: np.ndarray  # (T, 17, 3) metres

    @property
    def in_view(self) -> np.ndarray:
        """(T,) whether every joint projects inside the image."""
        pixels = self.camera.project(self.joints_cam)
        size = (self.camera.width, self.camera.height)
        return np.all((pixels >= 0) & (pixels < size), axis=(-1, -2))


def sequence_view(
    joints_world: np.ndarray, rng: np.random.Generator, cameras: CameraRanges = DEFAULT_CAMERAS
) -> SequenceView:
    """A camera from `cameras` watching a whole take (y up world, metres), centred on the take's mean
    position and backed off 0.5 m per draw until `cameras` sees the person in IN_VIEW_SHARE of the
    frames (or the best of SEQUENCE_VIEW_DRAWS views)."""
    joints = np.asarray(joints_world, dtype=np.float64)
    centred = joints - np.array([1.0, 0.0, 1.0]) * joints[:, H36M_ROOT].mean(axis=0)
    standing = lift_to_floor(centred.reshape(1, -1, 3)).reshape(joints.shape)  # one shift for the take
    camera = cameras.camera(rng)
    best, best_share = None, -1.0
    for draw in range(SEQUENCE_VIEW_DRAWS):
        rotation, translation = cameras.backed_off(0.5 * draw).view(rng)
        view = SequenceView(camera, rotation, translation, place_in_camera(standing, rotation, translation))
        share = float(cameras.shows(camera, rotation, view.joints_cam).mean())
        if share > best_share:
            best, best_share = view, share
        if best_share >= IN_VIEW_SHARE:
            break
    return best


def simulate_sequence(
    view: SequenceView,
    rng: np.random.Generator,
    *,
    depth_error_scale: float = 1.0,
    detector_noise_scale: float = STANDARD_DETECTOR_NOISE_SCALE,
    detector_model: Detector = None,
) -> Iterator[SequenceFrame]:
    """Frame by frame (full depth images are large): render, detect and estimate depth as
    simulate_frames does, for a take seen by one fixed camera."""
    camera = view.camera
    floor = floor_plane(view.rotation, view.translation)
    in_view = view.in_view
    for joints, frame_rng, whole in zip(
        view.joints_cam, rng.spawn(len(view.joints_cam)), in_view, strict=True
    ):
        scene_rng, depth_rng = frame_rng.spawn(2)
        depth = render_depth(camera, joints[None], floor=floor)
        seen = joint_visibility(depth, joints[None], camera)
        pixels = camera.project(joints)[None]
        detected, conf = _detect(pixels, seen, scene_rng, detector_noise_scale, detector_model)
        persons = slice(None) if whole else slice(0)
        yield SequenceFrame(
            keypoints=detected[persons],
            confidence=conf[persons],
            joints_cam=joints,
            visible=seen[0],
            depth=simulate_monocular_depth(depth, depth_rng, error_scale=depth_error_scale),
        )


@dataclass
class SimulatedClips:
    """Whole takes, each seen by one fixed camera, frame after frame: what a temporal lifter trains on.

    `frames` holds all clips back to back; `lengths` says where each clip ends.
    """

    frames: SimulatedFrames
    lengths: np.ndarray  # (clips,) frames per clip
    views: list[SequenceView]

    @property
    def starts(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(int)

    def clip_slices(self) -> list[slice]:
        return [slice(int(a), int(a + n)) for a, n in zip(self.starts, self.lengths, strict=True)]


def simulate_views(
    views: Sequence[SequenceView],
    rng: np.random.Generator,
    codecs: Sequence[FeatureCodec],
    *,
    depth_error_scale: float = 1.0,
    detector_noise_scale: float = STANDARD_DETECTOR_NOISE_SCALE,
    detector_model: Detector | DetectorMixture = None,
    progress: bool = False,
) -> SimulatedClips:
    """Detections and depth samples for every frame of every view, as simulate_frames makes them
    per frame (fresh detector noise and depth-model error each frame), but with the view's camera;
    a detector mixture draws one model per view: a take is seen by one detector."""
    if not views:
        raise ValueError("no views to simulate")
    sampler = _DepthSampler(codecs, depth_error_scale)
    observed: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    bar = tqdm(
        total=sum(len(v.joints_cam) for v in views), desc="simulate clips", unit="frame", disable=not progress
    )
    for view, view_rng in zip(views, rng.spawn(len(views)), strict=True):
        floor = floor_plane(view.rotation, view.translation)
        frame_rngs = view_rng.spawn(len(view.joints_cam))
        model, noise_scale = _draw_detector(detector_model, detector_noise_scale, view_rng)
        for joints, frame_rng in zip(view.joints_cam, frame_rngs, strict=True):
            scene_rng, depth_rng = frame_rng.spawn(2)
            observed.append(
                sampler.observe(view.camera, joints, floor, scene_rng, depth_rng, noise_scale, model)
            )
            bar.update()
    bar.close()
    keypoints, confidence, visible = (np.stack(column) for column in zip(*observed, strict=True))
    return SimulatedClips(
        frames=SimulatedFrames(
            image_sizes=np.concatenate(
                [[(v.camera.width, v.camera.height)] * len(v.joints_cam) for v in views]
            ),
            keypoints=keypoints,
            confidence=confidence,
            visible=visible,
            joints_cam=np.concatenate([v.joints_cam for v in views]),
            camera_matrix=np.concatenate(
                [np.broadcast_to(v.camera.K, (len(v.joints_cam), 3, 3)) for v in views]
            ),
            depth_inputs=sampler.stacked(),
        ),
        lengths=np.array([len(v.joints_cam) for v in views]),
        views=list(views),
    )


def change_speed(view: SequenceView, factor: float) -> SequenceView:
    """The same take played `factor` times faster (0.5: half speed), by linear interpolation of the
    camera-frame joints: the motion-brittleness test of the AugLift paper (its Table 9)."""
    if not factor > 0:
        raise ValueError(f"speed factor must be positive, got {factor}")
    return SequenceView(
        view.camera, view.rotation, view.translation, interpolate_frames(view.joints_cam, factor)
    )


def interpolate_frames(values: np.ndarray, step: float) -> np.ndarray:
    """Frames (T, ...) sampled at times 0, step, 2 step, ... up to T - 1 (in frames), each linearly
    interpolated between its two neighbours: a take re-timed (step > 1 faster, < 1 slower)."""
    count = len(values)
    times = np.arange(0.0, count - 1 + 1e-9, step)
    low = np.floor(times).astype(int)
    high = np.minimum(low + 1, count - 1)
    weight = (times - low).reshape(-1, *[1] * (np.ndim(values) - 1))
    return (1.0 - weight) * values[low] + weight * values[high]
