"""README command 1's demo on the real pose2sim footage (runs when the wheel is cached; never downloads)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from auglift_ros.bags.io import bag_message_counts
from auglift_ros.commands.main import main
from auglift_ros.footage.pose2sim import cached_pose2sim_demo
from auglift_ros.runtime.graph import pipeline_topics

pytestmark = pytest.mark.skipif(
    cached_pose2sim_demo() is None, reason="pose2sim demo not cached (auglift-ros demo fetches it)"
)


def test_demo_lifts_the_footage_and_scores_it_against_the_triangulated_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUGLIFT_ROS_CACHE", str(tmp_path / "no_weights"))  # no depth weights: the fallback
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--max-frames", "8"]) == 0
    printed = capsys.readouterr().out
    assert "Lifting with the no-depth model (xyc) instead" in printed
    assert "auglift-ros models fetch depth_anything_v2_small" in printed
    report = json.loads((out / "metrics.json").read_text())
    assert report["matched_persons"] == report["ground_truth_persons"] == 8
    assert report["frames_with_depth"] == 0
    # A lifter trained on simulated scenes, on real footage: far from perfect, far from random.
    assert 50.0 < report["p_mpjpe"] <= report["mpjpe"] < 400.0
    assert report["reference"]["median_px"] < 20.0
    # MediaPipe's own 3D from the same detections, printed beside ours.
    peer = report["mediapipe_world"]
    assert peer["frames_scored"] == 8 and 0.0 < peer["p_mpjpe"] <= peer["mpjpe"] < 300.0
    assert "MediaPipe's own 3D (pose_world_landmarks, same detections) on 8 of 8 frames" in printed
    topics = pipeline_topics()
    counts = bag_message_counts(out / "output_bag")
    assert counts[topics.skeletons] == counts[topics.markers] == counts[topics.keypoints] == 8
    assert bag_message_counts(out / "input_bag")[topics.image] == 8
    assert {"strip.png", "skeletons.png", "error_over_time.png", "metrics.md"} <= set(os.listdir(out))
