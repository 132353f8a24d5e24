"""Trained lifters on disk: an ONNX file plus its JSON model card, found by path or by name.

The ONNX file carries the feature codec it was trained with (metadata key `auglift.codec`), so a
model can never be run with the wrong normalisation, and a temporal lifter its window
(`auglift.temporal`: length, which frames it predicts, family), so the node knows what to buffer.
The card next to it (`<stem>.json`) says what data, settings and licence produced it. Names resolve
against the package's `models/` folder (the source tree, or `share/auglift_ros/models` once installed).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auglift_ros.core.features import FeatureCodec
from auglift_ros.core.lifters import TEMPORAL_METADATA_KEY, ModelLoadError, OnnxLifter, WindowSpec

PACKAGE = "auglift_ros"
CODEC_METADATA_KEY = "auglift.codec"
"""ONNX metadata key holding `FeatureCodec.to_dict()` as JSON."""
MODEL_SUFFIX = ".onnx"
CARD_SUFFIX = ".json"


def model_dirs() -> list[Path]:
    """Folders searched for model names, most specific first (source tree, then installed share)."""
    dirs = [Path(__file__).resolve().parents[2] / "models"]
    try:
        from ament_index_python.packages import PackageNotFoundError, get_package_share_directory

        try:
            dirs.append(Path(get_package_share_directory(PACKAGE)) / "models")
        except (PackageNotFoundError, OSError):  # OSError: no AMENT_PREFIX_PATH (nothing sourced)
            pass
    except ImportError:  # no ROS install: a pip/wheel install puts share/ under the prefix
        pass
    dirs.append(Path(sys.prefix) / "share" / PACKAGE / "models")
    return [d for i, d in enumerate(dirs) if d not in dirs[:i]]


def available_models() -> list[str]:
    """Names of the models found in `model_dirs()`."""
    return sorted({p.stem for d in model_dirs() if d.is_dir() for p in d.glob(f"*{MODEL_SUFFIX}")})


def resolve_model(model: str | Path) -> Path:
    """The ONNX file for a path or a model name; ModelLoadError names what was searched."""
    path = Path(model)
    if path.is_file():
        return path
    if path.suffix == "" and path.name == str(model):
        for folder in model_dirs():
            candidate = folder / f"{model}{MODEL_SUFFIX}"
            if candidate.is_file():
                return candidate
    known = ", ".join(available_models()) or "none installed"
    raise ModelLoadError(f"lifter model {model!r}: no such file, and not a model name (known: {known})")


def card_path(model_path: str | Path) -> Path:
    return Path(model_path).with_suffix(CARD_SUFFIX)


@dataclass
class LoadedLifter:
    """An onnxruntime lifter with the codec that builds its inputs and its model card."""

    lifter: OnnxLifter
    codec: FeatureCodec
    card: dict[str, Any]
    window: WindowSpec = field(default_factory=WindowSpec)

    @property
    def path(self) -> Path:
        return self.lifter.path


def load_lifter(model: str | Path, *, device: str = "auto", threads: int | None = None) -> LoadedLifter:
    """Load a lifter by path or name; its codec comes from the file, its card from beside it."""
    path = resolve_model(model)
    lifter = OnnxLifter(path, device=device, threads=threads)
    if CODEC_METADATA_KEY not in lifter.metadata:
        raise ModelLoadError(
            f"lifter model {path}: no {CODEC_METADATA_KEY!r} metadata; export it with auglift-ros train"
        )
    try:
        codec = FeatureCodec.from_dict(json.loads(lifter.metadata[CODEC_METADATA_KEY]))
    except (ValueError, TypeError) as exc:
        raise ModelLoadError(f"lifter model {path}: invalid {CODEC_METADATA_KEY!r} metadata ({exc})") from exc
    if len(codec.channels) != lifter.in_channels:
        raise ModelLoadError(
            f"lifter model {path}: codec {codec.feature_set!r} makes {len(codec.channels)} channels "
            f"but the network takes {lifter.in_channels}"
        )
    window = _window(lifter)
    card_file = card_path(path)
    card: dict[str, Any] = {}
    if card_file.is_file():
        try:
            card = json.loads(card_file.read_text())
        except json.JSONDecodeError as exc:
            raise ModelLoadError(f"model card {card_file}: invalid JSON ({exc})") from exc
        _check_card_codec(card, card_file, codec, path)
    return LoadedLifter(lifter=lifter, codec=codec, card=card, window=window)


def _check_card_codec(card: dict[str, Any], card_file: Path, codec: FeatureCodec, path: Path) -> None:
    """The card must state the same input convention as the codec in the model file: a card that
    says otherwise describes another model (or was edited), and trusting either would be a guess."""
    recorded = card.get("input", {}).get("codec")
    if recorded is None:
        return  # a hand-made card without the codec section: the file's codec is the only record
    card_frame = recorded.get("input_frame")
    if card_frame != codec.input_frame:
        stated = "states no input_frame" if card_frame is None else f"says input_frame {card_frame!r}"
        raise ModelLoadError(
            f"model card {card_file} {stated} but the codec in {path} uses {codec.input_frame!r}; "
            "re-export the model or restore its card"
        )


def _window(lifter: OnnxLifter) -> WindowSpec:
    """The window from the file's metadata, checked against the network's input and output."""
    if not lifter.temporal:
        if TEMPORAL_METADATA_KEY in lifter.metadata:
            raise ModelLoadError(f"lifter model {lifter.path}: temporal metadata on a single-frame network")
        return WindowSpec()
    if TEMPORAL_METADATA_KEY not in lifter.metadata:
        raise ModelLoadError(
            f"lifter model {lifter.path}: a {lifter.frames}-frame network without {TEMPORAL_METADATA_KEY!r} "
            "metadata (which frames it predicts); export it with auglift-ros train"
        )
    try:
        window = WindowSpec.from_json(lifter.metadata[TEMPORAL_METADATA_KEY])
    except (ValueError, TypeError) as exc:
        raise ModelLoadError(
            f"lifter model {lifter.path}: invalid {TEMPORAL_METADATA_KEY!r} metadata ({exc})"
        ) from exc
    if (window.frames, window.output_frames) != (lifter.frames, lifter.output_frames):
        raise ModelLoadError(
            f"lifter model {lifter.path}: metadata says {window.frames} frames in, "
            f"{window.output_frames} out, but the network takes {lifter.frames} "
            f"and gives {lifter.output_frames}"
        )
    return window
