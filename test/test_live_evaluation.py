"""Live evaluation over real DDS: `auglift-ros pipeline --evaluate` runs the nodes as processes,
`auglift-ros play` publishes a bag into them, the evaluator node writes metrics.json on shutdown,
and every frame offline `auglift-ros evaluate-bag` scores is scored live, within 0.5 mm of it.

The bag's depth images go out before their keypoints in even frames and 10 ms after them in odd
ones (a monocular depth model is slower than the detector): the lifter must wait for each frame's
own depth, as offline replay pairs it, or the per-frame errors differ."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from auglift_ros.bags.io import read_messages
from auglift_ros.bags.make import write_simulated_bag
from auglift_ros.bags.replay import evaluate_bag
from auglift_ros.mocap.datasets import PoseSequence
from auglift_ros.mocap.generated import random_poses
from dds_helpers import start_process, stop_process

FRAMES = 15
FPS = 10.0


def _bag(path: Path) -> Path:
    rng = np.random.default_rng(11)
    takes = [
        PoseSequence(random_poses(FRAMES, rng), fps=FPS, action=action, name=name)
        for name, action in (("take_a", "walk"), ("take_b", "sit"))
    ]
    write_simulated_bag(
        takes, path, fps=FPS, image_size=(320, 240), depth_delays_ms=(0.0, 20.0), progress=False
    )
    return path


def _per_frame(report: dict) -> dict[int, float]:
    frames = report["per_frame"]
    return dict(zip(frames["stamp_ns"], frames["mpjpe"], strict=True))


def test_live_evaluation_agrees_with_offline_evaluation(tmp_path: Path) -> None:
    bag = _bag(tmp_path / "bag")
    offline = evaluate_bag(bag, tmp_path / "offline", progress=False)

    live_dir = tmp_path / "live"
    # Start the runner as `auglift-ros pipeline ... &` in a script does: a background job of a shell
    # without job control inherits SIGINT ignored, and the runner must still stop on it.
    pipeline = start_process(
        [
            "sh",
            "-c",
            'trap "" INT; exec "$@"',
            "sh",
            sys.executable,
            "-m",
            "auglift_ros.commands.main",
            "pipeline",
            "--evaluate",
            "--evaluation-out",
            str(live_dir),
        ]
    )
    try:
        player = subprocess.run(
            [
                sys.executable,
                "-m",
                "auglift_ros.commands.main",
                "play",
                str(bag),
                "--wait",
                "60",
            ],
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=120,
        )
        time.sleep(1.0)  # the last frames through the lifter
    finally:
        output = stop_process(pipeline, signal.SIGINT, timeout=60)
    assert player.returncode == 0, player.stdout + player.stderr
    assert f"published {sum(1 for _ in read_messages(bag))} messages" in player.stdout
    assert pipeline.returncode == 0, output
    live = json.loads((live_dir / "metrics.json").read_text())
    assert offline["matched_persons"] == 2 * FRAMES and offline["frames_with_depth"] == 2 * FRAMES
    live_frames, offline_frames = _per_frame(live), _per_frame(offline)
    assert sorted(live_frames) == sorted(offline_frames), output  # every frame scored live
    differences = [abs(live_frames[stamp] - offline_frames[stamp]) for stamp in offline_frames]
    assert max(differences) < 0.5, (differences, output)
    assert set(live["per_sequence"]) == {"take_a", "take_b"}


def test_evaluator_drops_and_counts_malformed_messages_and_keeps_scoring(tmp_path: Path) -> None:
    import rclpy
    from builtin_interfaces.msg import Time
    from rclpy.parameter import Parameter
    from sensor_msgs.msg import PointCloud2
    from std_msgs.msg import Header, String

    from auglift_ros.nodes.evaluator_node import EvaluatorNode
    from auglift_ros.nodes.messages import skeletons_to_cloud

    rclpy.init()
    try:
        node = EvaluatorNode(parameter_overrides=[Parameter("out_dir", value=str(tmp_path / "eval"))])
        header = Header(stamp=Time(sec=5), frame_id="camera")
        truth = random_poses(1, np.random.default_rng(0)) + np.array([0.0, 0.0, 3.0])
        node._on_ground_truth(PointCloud2(header=header, width=3, point_step=4))  # no fields
        node._on_label(String(data="not json"))
        assert node._diagnostics.stats.rejected_total == 2
        assert node.write_report() is None  # nothing to score yet: said, not a crash
        node._on_ground_truth(skeletons_to_cloud(header, truth, np.ones((1, 17))))
        node._on_skeletons(skeletons_to_cloud(header, truth + np.array([0.0, 0.1, 0.0]), np.ones((1, 17))))
        report = node.write_report()
        assert (
            report is not None
            and report["mpjpe"] == pytest.approx(0.0, abs=1e-3)
            and report["root_error_mm"] == pytest.approx(100.0)
        )
        assert (tmp_path / "eval" / "metrics.json").is_file()
        node.destroy_node()
    finally:
        rclpy.shutdown()


def test_a_report_write_cut_short_by_ctrl_c_is_written_again_on_shutdown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen at 30 fps: Ctrl-C landed during the first periodic write (plots take seconds), and the
    evaluator stopped without a report because the frames already counted as written."""
    import rclpy
    from builtin_interfaces.msg import Time
    from rclpy.parameter import Parameter
    from std_msgs.msg import Header

    from auglift_ros.nodes import evaluator_node
    from auglift_ros.nodes.messages import skeletons_to_cloud

    real_write = evaluator_node.write_evaluation
    calls = []

    def interrupted_once(*args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        real_write(*args, **kwargs)

    monkeypatch.setattr(evaluator_node, "write_evaluation", interrupted_once)
    rclpy.init()
    try:
        node = evaluator_node.EvaluatorNode(parameter_overrides=[Parameter("out_dir", value=str(tmp_path))])
        truth = random_poses(1, np.random.default_rng(0)) + np.array([0.0, 0.0, 3.0])
        cloud = skeletons_to_cloud(Header(stamp=Time(sec=5), frame_id="camera"), truth, np.ones((1, 17)))
        node._on_ground_truth(cloud)
        node._on_skeletons(cloud)
        with pytest.raises(KeyboardInterrupt):
            node._write_if_changed()  # the periodic write, interrupted
        assert not (tmp_path / "metrics.json").exists()
        node.destroy_node()  # what spin_node does after Ctrl-C
        assert len(calls) == 2
        assert json.loads((tmp_path / "metrics.json").read_text())["matched_persons"] == 1
    finally:
        rclpy.shutdown()
