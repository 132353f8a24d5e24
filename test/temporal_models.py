"""Small temporal lifters with random weights, exported as the training exports them (codec and
window in the ONNX metadata): enough to test buffering, padding and the node, not accuracy."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from auglift_ros.core.features import FeatureCodec
from auglift_ros.core.lifters import build_lifter, export_lifter, lifter_config
from auglift_ros.runtime.models import CODEC_METADATA_KEY

SMALL = {
    "videopose3d": {"filter_widths": [3, 3], "channels": 16},
    "poseformer": {"frames": 5, "joint_dim": 4, "depth": 1, "heads": 2},
    "motionbert": {"frames": 6, "dim": 8, "depth": 1, "heads": 2, "representation": 8},
}


def make_temporal_model(path: Path, family: str, feature_set: str, seed: int = 0, **values: object) -> Path:
    """Export a small `family` lifter for `feature_set` to path; values override SMALL's settings."""
    torch.manual_seed(seed)
    codec = FeatureCodec(feature_set=feature_set)
    config = lifter_config(family, {**SMALL[family], **values, "in_channels": len(codec.channels)})
    model = build_lifter(config).eval()
    return export_lifter(model, path, {CODEC_METADATA_KEY: json.dumps(codec.to_dict())})
