"""`auglift-ros train`: a YAML config in, an ONNX lifter, its model card and a checkpoint out.

One config names the data (mocap takes), the scene simulation, the feature codec, the network and the
optimiser. The run: load takes -> hold out every n-th take -> draw frames -> simulate cameras,
detector and depth -> encode -> train -> export ONNX (codec in its metadata) -> card (JSON) beside it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from auglift_ros import __version__
from auglift_ros.core.features import FeatureCodec, mean_box_size
from auglift_ros.core.skeleton import H36M_JOINT_NAMES
from auglift_ros.runtime.models import CARD_SUFFIX, CODEC_METADATA_KEY
from auglift_ros.simulation.scene import CameraRanges
from auglift_ros.simulation.sensors import Detector, DetectorMixture, detector_error_model
from auglift_ros.simulation.simulate import (
    SequenceView,
    SimulatedClips,
    SimulatedFrames,
    simulate_frames,
    simulate_frames_in_chunks,
    simulate_views,
)
from auglift_ros.training.frames import split_takes

if TYPE_CHECKING:  # the trainer imports torch, which inference-only users need not have
    from auglift_ros.core.lifters.config import LifterConfig
    from auglift_ros.training.trainer import TrainConfig

LICENCES = {
    "bandai_namco": "CC BY-NC 4.0 (Bandai-Namco-Research-Motiondataset): weights trained on it are for "
    "non-commercial use only",
    "cmu": "CMU Graphics Lab Motion Capture Database: free for research and commercial use. The data used "
    "in this project was obtained from mocap.cs.cmu.edu. The database was created with funding from NSF "
    "EIA-0196217.",
    "cmu_full": "CMU Graphics Lab Motion Capture Database (joint positions converted from the Huge FBX Mocap "
    "Library): free for all uses; may be included in commercial products but not resold as data, even "
    "converted. The data used in this project was obtained from mocap.cs.cmu.edu. The database was created "
    "with funding from NSF EIA-0196217.",
    "iclone": "CMU Graphics Lab Motion Capture Database (retargeted to the Character Creator skeleton): "
    "free for research and commercial use. The data used in this project was obtained from "
    "mocap.cs.cmu.edu. The database was created with funding from NSF EIA-0196217.",
}


class ConfigError(ValueError):
    """A training config file is unreadable or has a wrong, missing or unknown setting."""


@dataclass(frozen=True)
class DataConfig:
    """Which takes train the model and how many simulated frames are drawn from them."""

    sequences: tuple[str, ...] = ()
    frames: int = 12000
    hold_out_every: int = 5
    fps: float = 30.0  # temporal lifters: takes are resampled to this rate ...
    max_clip_frames: int = 300  # ... cut into clips of at most this many frames, one camera each ...
    samples_per_epoch: int = 3000  # ... and this many target frames are drawn per epoch
    balance: float = 0.0  # single-frame: action categories' shares ~ frames ** (1 - balance)
    mirror: bool = False  # single-frame: each drawn pose is mirrored left-right with probability 1/2
    body_size_std: float = 0.0  # single-frame: log-normal body size factor per drawn pose ...
    bone_std: float = 0.0  # ... and per left/right bone pair (mocap.augment.vary_body)

    def __post_init__(self) -> None:
        if not 0.0 <= self.balance <= 1.0 or self.body_size_std < 0 or self.bone_std < 0:
            raise ValueError("data.balance must lie in [0, 1] and data.body_size_std, data.bone_std be >= 0")
        if not self.sequences:
            raise ValueError("data.sequences must name at least one folder, list file or sequence file")
        if self.frames < 1:
            raise ValueError(f"data.frames must be positive, got {self.frames}")
        if self.hold_out_every < 0 or self.hold_out_every == 1:
            raise ValueError(f"data.hold_out_every must be 0 or at least 2, got {self.hold_out_every}")
        if not (self.fps > 0 and self.max_clip_frames >= 1 and self.samples_per_epoch >= 1):
            raise ValueError("data.fps, data.max_clip_frames and data.samples_per_epoch must be positive")


MIXTURE_KEYS = {"model", "noise_scale", "weight"}


@dataclass(frozen=True)
class SimulationConfig:
    """Scene simulation settings (see auglift_ros.simulation.simulate.simulate_frames)."""

    image_size: tuple[int, int] = (640, 480)
    detector_noise_scale: float = 0.5
    depth_error_scale: float = 1.0
    cameras: dict[str, Any] = field(default_factory=dict)
    """CameraRanges settings (image_sizes defaults to [image_size]); empty: the original indoor-robot
    ranges. Single frames draw a camera each; a temporal model's clips one camera per clip."""
    chunk_frames: int = 0
    """0: one stream of frames (as always); N: chunks of N frames, each with its own stream, which
    `workers` processes can simulate in parallel (the frames depend on N, not on the workers)."""
    workers: int = 1
    detector_model: str | list[dict[str, Any]] = "assumed"
    """The 2D detector's error model (simulation.sensors.DETECTOR_MODELS): "assumed" (literature
    values, docs/simulation.md), "assumed_offsets" (the same with the face keypoints where detectors
    put them), "mediapipe" / "mediapipe_offsets" (measured on MediaPipe); or a mixture, one drawn per
    frame: a list of {model: NAME, noise_scale: S, weight: W} (S in detector_noise_scale's units, times
    detector_noise_scale / 0.5)."""

    def __post_init__(self) -> None:
        self.detector()  # an unknown name or a bad mixture fails when the config is read
        if len(self.image_size) != 2 or min(self.image_size) < 16:
            raise ValueError(f"simulation.image_size must be [width, height] >= 16 px, got {self.image_size}")
        if self.detector_noise_scale < 0 or self.depth_error_scale < 0:
            raise ValueError("simulation noise scales must be non-negative")
        if self.chunk_frames < 0 or self.workers < 1 or (self.workers > 1 and not self.chunk_frames):
            raise ValueError("simulation.workers > 1 needs simulation.chunk_frames > 0 (frames per chunk)")
        self.camera_ranges()  # a bad camera setting fails when the config is read

    def detector(self) -> Detector | DetectorMixture:
        if isinstance(self.detector_model, str):
            return detector_error_model(self.detector_model)
        components = []
        for entry in self.detector_model:
            if not isinstance(entry, dict) or "model" not in entry or set(entry) - MIXTURE_KEYS:
                raise ValueError(
                    f"simulation.detector_model: a mixture entry has the keys {sorted(MIXTURE_KEYS)} "
                    f"('model' required), got {entry!r}"
                )
            components.append(
                (str(entry["model"]), float(entry.get("noise_scale", 0.5)), float(entry.get("weight", 1.0)))
            )
        return DetectorMixture(tuple(components))

    def camera_ranges(self) -> CameraRanges:
        values = {"image_sizes": [self.image_size], **self.cameras}
        unknown = sorted(set(values) - {f.name for f in fields(CameraRanges)})
        if unknown:
            raise ValueError(f"simulation.cameras: unknown settings {unknown}")
        ranges = {k: v if v is None or k == "min_joints_in_view" else tuple(v) for k, v in values.items()}
        ranges["image_sizes"] = tuple(tuple(int(x) for x in size) for size in values["image_sizes"])
        return CameraRanges(**ranges)

    def simulate_views(
        self,
        views: Sequence[SequenceView],
        rng: np.random.Generator,
        codecs: Sequence[FeatureCodec],
        progress: bool = True,
    ) -> SimulatedClips:
        return simulate_views(
            views,
            rng,
            codecs,
            depth_error_scale=self.depth_error_scale,
            detector_noise_scale=self.detector_noise_scale,
            detector_model=self.detector(),
            progress=progress,
        )

    def simulate(
        self,
        poses: np.ndarray,
        rng: np.random.Generator,
        codecs: Sequence[FeatureCodec],
        progress: bool = True,
    ) -> SimulatedFrames:
        settings = {
            "cameras": self.camera_ranges(),
            "depth_error_scale": self.depth_error_scale,
            "detector_noise_scale": self.detector_noise_scale,
            "detector_model": self.detector(),
            "progress": progress,
        }
        if self.chunk_frames:
            return simulate_frames_in_chunks(
                poses, rng, codecs, chunk_frames=self.chunk_frames, workers=self.workers, **settings
            )
        return simulate_frames(poses, rng, codecs, **settings)


SIMPLE_BASELINE_DEFAULTS = {"hidden": 512, "blocks": 3, "dropout": 0.25}


@dataclass(frozen=True)
class ModelConfig:
    """The lifter family (auglift_ros.core.lifters.FAMILIES) and its settings; the input width follows
    from the feature set. In YAML: `model: {family: videopose3d, filter_widths: [3, 3, 3], ...}`."""

    family: str = "simple_baseline"
    settings: dict[str, Any] = field(default_factory=lambda: dict(SIMPLE_BASELINE_DEFAULTS))

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> ModelConfig:
        settings = dict(values)
        family = str(settings.pop("family", "simple_baseline"))
        defaults = SIMPLE_BASELINE_DEFAULTS if family == "simple_baseline" else {}
        return cls(family=family, settings={**defaults, **settings})

    @property
    def temporal(self) -> bool:
        return self.family != "simple_baseline"

    def lifter_config(self, in_channels: int) -> LifterConfig:
        from auglift_ros.core.lifters import lifter_config

        return lifter_config(self.family, {**self.settings, "in_channels": in_channels})

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.family, **self.settings}


@dataclass(frozen=True)
class TrainJob:
    """Everything one training run needs; `from_yaml` reads it, `to_dict` records it in the card."""

    name: str
    data: DataConfig
    simulation: SimulationConfig = field(default_factory=SimulationConfig)
    features: dict[str, Any] = field(default_factory=lambda: {"feature_set": "uadd"})
    model: ModelConfig = field(default_factory=ModelConfig)
    training: dict[str, Any] = field(default_factory=dict)

    @property
    def model_name(self) -> str:
        """The file stem: `name` with "{feature_set}" filled in."""
        return self.name.replace("{feature_set}", str(self.features.get("feature_set", "uadd")))

    def codec(self, train_box_size: float | None = None) -> FeatureCodec:
        extra = {} if train_box_size is None else {"train_box_size": train_box_size}
        return FeatureCodec.from_settings({**self.features, **extra})

    def train_config(self) -> TrainConfig:
        from auglift_ros.training.trainer import TrainConfig

        return TrainConfig(**self.training)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["model"] = self.model.to_dict()
        out["data"]["sequences"] = list(self.data.sequences)
        out["simulation"]["image_size"] = list(self.simulation.image_size)
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any], base_dir: Path | None = None) -> TrainJob:
        """Build from a mapping; relative data paths resolve against base_dir (the config's folder)."""
        sections = {"data": DataConfig, "simulation": SimulationConfig}
        _check_keys(values, {"name", "model", "features", "training", *sections}, "top level")
        if "name" not in values or "data" not in values:
            raise ConfigError("a training config needs 'name' and 'data' entries")
        built: dict[str, Any] = {"name": str(values["name"])}
        for key, kind in sections.items():
            section = values.get(key) or {}
            if not isinstance(section, dict):
                raise ConfigError(f"section {key!r} must be a mapping")
            _check_keys(section, {f.name for f in fields(kind)}, key)
            section = dict(section)
            if key == "data":
                paths = section.get("sequences", [])
                paths = [paths] if isinstance(paths, str) else list(paths)
                section["sequences"] = tuple(_resolve(p, base_dir) for p in paths)
            if key == "simulation" and "image_size" in section:
                section["image_size"] = tuple(section["image_size"])
            try:
                built[key] = kind(**section)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"section {key!r}: {exc}") from exc
        built["model"] = ModelConfig.from_values(values.get("model") or {})
        built["features"] = dict(values.get("features") or {"feature_set": "uadd"})
        built["training"] = dict(values.get("training") or {})
        job = cls(**built)
        try:  # validate the free-form sections now, not after minutes of simulation
            channels = len(job.codec(train_box_size=1.0).channels)
            job.train_config()
            job.model.lifter_config(channels)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"model/features/training: {exc}") from exc
        return job

    @classmethod
    def from_yaml(cls, path: str | Path) -> TrainJob:
        path = Path(path)
        values = read_yaml_mapping(path, "training config")
        try:
            return cls.from_dict(values, base_dir=path.parent)
        except ConfigError as exc:
            raise ConfigError(f"training config {path}: {exc}") from exc

    def with_overrides(self, *, seed: int | None = None, feature_set: str | None = None) -> TrainJob:
        job = self
        if seed is not None:
            job = replace(job, training={**job.training, "seed": seed})
        if feature_set is not None:
            job = replace(job, features={**job.features, "feature_set": feature_set})
        return job


def read_yaml_mapping(path: str | Path, what: str) -> dict[str, Any]:
    """The top-level mapping of a YAML file; ConfigError naming `what` and the file otherwise."""
    path = Path(path)
    try:
        values = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{what} {path}: cannot read ({exc})") from exc
    if not isinstance(values, dict):
        raise ConfigError(f"{what} {path}: expected a mapping at the top level")
    return values


def _check_keys(values: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"unknown key(s) {unknown} in {where}; known: {sorted(known)}")


def _resolve(path: str, base_dir: Path | None) -> str:
    p = Path(path).expanduser()
    return str(p if p.is_absolute() or base_dir is None else (base_dir / p).resolve())


def portable_path(path: str) -> str:
    """A data path for a model card: relative to the folder the command ran in (the project root, as
    the README runs it), so no card carries the absolute paths of the machine that trained it."""
    return os.path.relpath(path) if os.path.isabs(path) else path


def sha256_of(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def data_licences(sources: Sequence[str]) -> list[str]:
    """The licence terms of each data source family used, in a stable order."""
    return [LICENCES[s] for s in sorted(set(sources)) if s in LICENCES]


def model_card(
    job: TrainJob,
    codec: FeatureCodec,
    onnx_path: Path,
    *,
    data: dict[str, Any],
    history: list[float],
    parameters: int,
    seconds: float,
) -> dict[str, Any]:
    """The JSON card shipped beside the ONNX file: what it is, what made it, what it may be used for."""
    from auglift_ros.core.lifters import sample_shape

    architecture = job.model.lifter_config(len(codec.channels))
    window = architecture.window
    out_frames = [window.output_frames] if job.model.temporal else []
    return {
        "name": job.model_name,
        "card_version": 1,
        "package_version": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "model": {
            "file": onnx_path.name,
            "sha256": sha256_of(onnx_path),
            "parameters": parameters,
            **job.model.to_dict(),
        },
        "window": asdict(window),
        "input": {
            "feature_set": codec.feature_set,
            "channels": list(codec.channels),
            "joints": list(H36M_JOINT_NAMES),
            "shape": ["batch", *sample_shape(architecture)],
            "codec": codec.to_dict(),
            "mean_training_box_size_px": codec.train_box_size,
        },
        "output": {
            "shape": ["batch", *out_frames, len(H36M_JOINT_NAMES), 3],
            "meaning": "root-relative joints in metres, Human3.6M-17 order, "
            + (
                "camera optical frame (x right, y down, z forward)"
                if codec.input_frame == "image"
                else "in the optical frame of the virtual camera looking at the pelvis keypoint "
                "(FeatureCodec.view_rotation; FeatureCodec.decode_pose turns it into the camera's)"
            ),
        },
        "data": data,
        "simulation": asdict(job.simulation) | {"image_size": list(job.simulation.image_size)},
        "training": job.train_config().to_dict(),
        "final_loss_mm": round(1000.0 * history[-1], 2) if history else None,
        "training_seconds": round(seconds, 1),
        "command_seconds": round(seconds + data.get("load_and_simulate_seconds", 0.0), 1),
        "licence": {"code": "Apache-2.0", "weights": data_licences(data.get("sources", []))},
        "config": _portable_config(job.to_dict()),
    }


def _portable_config(config: dict[str, Any]) -> dict[str, Any]:
    config["data"]["sequences"] = [portable_path(p) for p in config["data"]["sequences"]]
    return config


def load_takes(paths: Sequence[str]) -> list[Any]:
    """All sequences named by the config's data paths (folders, list files, sequence files)."""
    from auglift_ros.mocap.datasets import load_sequences

    takes: list[Any] = []
    for path in paths:
        takes.extend(load_sequences(path))
    if not takes:
        raise ConfigError(f"no sequences found in {list(paths)}")
    return takes


def fit_and_export(
    job: TrainJob,
    simulated: SimulatedFrames | SimulatedClips,
    out_dir: str | Path,
    *,
    data: dict[str, Any],
    progress: bool = True,
) -> Path:
    """Train on simulated frames (a single-frame lifter) or clips (a temporal one), export ONNX (codec,
    and window for a temporal lifter, in its metadata), save card and checkpoint.

    The codec's train_box_size is measured on these frames. Returns the ONNX path; the card is
    `<name>.json` beside it, the checkpoint `<name>.pt` (weights and configs, for fine-tuning).
    """
    import torch

    from auglift_ros.core.lifters import export_lifter
    from auglift_ros.training.clips import WindowSampler
    from auglift_ros.training.trainer import fit, frame_batches

    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frames = simulated.frames if isinstance(simulated, SimulatedClips) else simulated
    codec = job.codec(train_box_size=mean_box_size(frames.keypoints))
    model_config = job.model.lifter_config(len(codec.channels))
    train_config = job.train_config()
    if isinstance(simulated, SimulatedClips):
        sampler = WindowSampler(simulated, codec, model_config.window)

        def epoch(rng: np.random.Generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
            return sampler.epoch(rng, job.data.samples_per_epoch, train_config.batch_size)
    elif job.model.temporal:
        raise ValueError(f"a {job.model.family} lifter trains on clips (simulate_views), not single frames")
    else:
        epoch = frame_batches(frames.features(codec), frames.lifter_targets(codec), train_config.batch_size)

    model, history = fit(model_config, epoch, codec, train_config, progress=progress)
    onnx_path = export_lifter(
        model, out / f"{job.model_name}.onnx", {CODEC_METADATA_KEY: json.dumps(codec.to_dict())}
    )
    torch.save(
        {"model_config": model_config.to_dict(), "state_dict": model.state_dict(), "job": job.to_dict()},
        onnx_path.with_suffix(".pt"),
    )
    card = model_card(
        job,
        codec,
        onnx_path,
        data=data,
        history=history,
        parameters=sum(p.numel() for p in model.parameters()),
        seconds=time.perf_counter() - started,
    )
    onnx_path.with_suffix(CARD_SUFFIX).write_text(json.dumps(card, indent=2))
    return onnx_path


def describe_data(
    job: TrainJob, takes: Sequence[Any], held_out: Sequence[Any], simulated: SimulatedFrames | SimulatedClips
) -> dict[str, Any]:
    """The card's data section: where the frames came from and under which licences, and for clips
    how many there were (each has one camera, so this is the number of camera placements)."""
    clips = isinstance(simulated, SimulatedClips)
    return {
        "paths": [portable_path(p) for p in job.data.sequences],
        "sources": sorted({str(getattr(t, "source", "unknown")) for t in takes}),
        "takes": len(takes),
        "held_out_takes": sorted(t.name for t in held_out),
        "hold_out_every": job.data.hold_out_every,
        "frames": len(simulated.frames.keypoints if clips else simulated.keypoints),
    } | ({"clips": len(simulated.lengths)} if clips else {})


def simulate_training_data(
    job: TrainJob,
    takes: Sequence[Any],
    rng: np.random.Generator,
    codecs: Sequence[FeatureCodec],
    progress: bool,
) -> SimulatedFrames | SimulatedClips:
    """`job.data.frames` simulated frames: drawn one by one with a camera each for a single-frame
    lifter, as clips with one camera each for a temporal one."""
    if job.model.temporal:
        from auglift_ros.training.clips import clip_views, draw_clips

        clips = draw_clips(
            takes, job.data.frames, rng, fps=job.data.fps, max_clip_frames=job.data.max_clip_frames
        )
        return job.simulation.simulate_views(
            clip_views(clips, rng, job.simulation.camera_ranges()), rng, codecs, progress
        )
    from auglift_ros.training.frames import select_frames

    poses = augment_poses(select_frames(takes, job.data.frames, rng, job.data.balance).poses, job.data, rng)
    return job.simulation.simulate(poses, rng, codecs, progress)


def augment_poses(poses: np.ndarray, data: DataConfig, rng: np.random.Generator) -> np.ndarray:
    """Drawn training poses with `data`'s augmentation: left-right mirroring and new body shapes."""
    from auglift_ros.mocap.augment import mirror_poses, vary_body

    if data.mirror:
        flip = rng.random(len(poses)) < 0.5
        poses = np.where(flip[:, None, None], mirror_poses(poses), poses)
    if data.body_size_std or data.bone_std:
        poses = vary_body(poses, rng, size_std=data.body_size_std, bone_std=data.bone_std)
    return poses


def run_training(job: TrainJob, out_dir: str | Path, *, progress: bool = True) -> Path:
    """`auglift-ros train`: load and split takes, simulate frames or clips, fit, export; the ONNX path."""
    started = time.perf_counter()
    rng = np.random.default_rng(job.train_config().seed)
    takes, held_out = split_takes(load_takes(job.data.sequences), job.data.hold_out_every)
    if progress:
        kind = f"{job.model.family} (clips)" if job.model.temporal else "single frames"
        print(f"[train] {job.model_name}: {len(takes)} takes ({len(held_out)} held out), {kind}")
    simulated = simulate_training_data(job, takes, rng, [job.codec()], progress)
    data = describe_data(job, takes, held_out, simulated)
    data["load_and_simulate_seconds"] = round(time.perf_counter() - started, 1)
    onnx_path = fit_and_export(job, simulated, out_dir, data=data, progress=progress)
    if progress:
        print(f"[train] wrote {onnx_path}, its card {onnx_path.with_suffix(CARD_SUFFIX).name} and checkpoint")
    return onnx_path
