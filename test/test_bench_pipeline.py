"""benchmarks/bench_pipeline.py's streaming over real DDS, without network: a few frames of a real
photograph through the detector and lifter node processes (started from the graph), skeletons back
with the published stamps, and a clean stop of both nodes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import matplotlib.cbook
import matplotlib.image
import numpy as np
import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_pipeline.py"
# Half size (256 x 300): small enough for Fast DDS's default shared-memory segment with its depth.
PORTRAIT = np.ascontiguousarray(
    matplotlib.image.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))[::2, ::2]
)


def _load_bench() -> ModuleType:  # benchmarks/ is not a package
    spec = importlib.util.spec_from_file_location("bench_pipeline", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_streamed_frames_come_back_as_skeletons_with_their_stamps(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _load_bench()
    frames = [PORTRAIT] * 10
    with bench.running_pipeline(None, start_timeout_s=60.0) as pipeline:
        images = pipeline.harness.prepare(frames)
        bench.warm_up(pipeline, images, fps=30.0, frames=5, timeout_s=60.0)
        record = bench.stream(pipeline, images, fps=30.0)
    assert "stopped with status" not in capsys.readouterr().err  # both nodes exited with 0 on SIGTERM
    assert record.skeletons, f"no skeletons for {len(record.stamps)} frames: {record.figures}"
    assert set(record.skeletons) <= set(record.stamps)
    assert all(record.persons[s] == 1 for s in record.skeletons)  # she is found in every frame lifted
    figures = record.figures
    assert figures["published"] == 10
    assert figures["lifted with depth"] >= 1
    assert 0.0 < figures["end to end median"] < 5000.0
    assert figures["lifter processing"] > 0.0
