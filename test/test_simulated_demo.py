"""The simulated demo end to end through the installed `auglift-ros` command (quick size)."""

import json
import subprocess
from pathlib import Path

import numpy as np
from installed_commands import installed_command

from auglift_ros.core.features import FeatureCodec
from auglift_ros.core.lifters import OnnxLifter
from auglift_ros.runtime.models import CODEC_METADATA_KEY


def test_quick_demo_trains_exports_and_evaluates(tmp_path: Path) -> None:
    command = installed_command("auglift-ros")
    run = subprocess.run(
        [command, "simulated-demo", "--quick", "--seed", "3", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "| sitting_crouching | uadd |" in run.stdout
    summary = json.loads((tmp_path / "metrics.json").read_text())
    assert set(summary["results"]) == {"xy", "uadd"}
    for by_split in summary["results"].values():
        assert set(by_split) == {"same_distribution", "sitting_crouching"}
        for m in by_split.values():
            assert 0 < m["p_mpjpe"] <= m["mpjpe"] < 5000  # Procrustes can only lower the error
            assert 0 <= m["pck"] <= 100 and 0 <= m["auc"] <= m["pck"]
    for name, channels in (("xy", 2), ("uadd", 6)):
        lifter = OnnxLifter(tmp_path / f"demo_{name}.onnx")
        codec = FeatureCodec.from_dict(json.loads(lifter.metadata[CODEC_METADATA_KEY]))
        assert codec.feature_set == name and lifter.in_channels == channels
        assert np.isfinite(lifter.run(np.zeros((2, 17, channels), np.float32))).all()
