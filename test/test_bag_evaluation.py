"""Evaluation bags: make-bag's simulated takes, offline replay through the lifter's code, scoring,
and the errors a broken bag must end with."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from auglift_ros.bags.io import read_messages
from auglift_ros.bags.make import DETECTOR_DELAY_NS, FRAME_ID, SEQUENCE_GAP_NS, write_simulated_bag
from auglift_ros.bags.replay import evaluate_bag, graph_lifter, replay_bag
from auglift_ros.commands.main import main
from auglift_ros.core.skeleton import H36M_ROOT
from auglift_ros.evaluation.scoring import EvaluationError, SequenceLabel, match_persons, score
from auglift_ros.mocap.datasets import PoseSequence
from auglift_ros.mocap.generated import random_poses
from auglift_ros.nodes.messages import (
    camera_matrix,
    cloud_to_keypoints,
    cloud_to_skeletons,
    depth_image_to_metres,
    stamp_from_ns,
    stamp_ns,
)
from auglift_ros.runtime.graph import pipeline_topics

TOPICS = pipeline_topics()
SIZE = (320, 240)
FRAMES = 6


def _takes() -> list[PoseSequence]:
    rng = np.random.default_rng(3)
    return [
        PoseSequence(random_poses(FRAMES, rng), fps=30.0, action=action, name=name, source="generated")
        for name, action in (("take_a", "walk"), ("take_b", "sit"))
    ]


@pytest.fixture(scope="module")
def simulated_bag(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bags") / "simulated"
    summary = write_simulated_bag(_takes(), path, image_size=SIZE, progress=False)
    assert (summary.sequences, summary.frames) == (2, 2 * FRAMES)
    return path


def _by_topic(path: Path) -> dict[str, list]:
    messages: dict[str, list] = {}
    for message in read_messages(path):
        messages.setdefault(message.topic, []).append(message)
    return messages


def test_simulated_bag_frames_share_stamp_and_frame_and_agree_with_ground_truth(simulated_bag: Path) -> None:
    messages = _by_topic(simulated_bag)
    assert set(messages) == {
        TOPICS.camera_info,
        TOPICS.depth,
        TOPICS.keypoints,
        TOPICS.ground_truth,
        TOPICS.sequences,
    }
    stamps = {
        topic: [m.msg.header.stamp for m in found]
        for topic, found in messages.items()
        if topic != TOPICS.sequences
    }
    assert all(len(s) == 2 * FRAMES for s in stamps.values())
    assert len({tuple((t.sec, t.nanosec) for t in s) for s in stamps.values()}) == 1  # one stamp per frame
    assert {
        m.msg.header.frame_id for found in messages.values() for m in found if hasattr(m.msg, "header")
    } == {FRAME_ID}
    labels = [SequenceLabel.from_json(m.msg.data) for m in messages[TOPICS.sequences]]
    assert [(label.name, label.action) for label in labels] == [("take_a", "walk"), ("take_b", "sit")]
    assert labels[0].end_ns - labels[0].start_ns == round((FRAMES - 1) * 1e9 / 30)
    assert labels[1].start_ns - labels[0].end_ns == SEQUENCE_GAP_NS
    for keypoints, depth in zip(messages[TOPICS.keypoints], messages[TOPICS.depth], strict=True):
        assert keypoints.log_time_ns == depth.log_time_ns + DETECTOR_DELAY_NS  # depth is delivered first
    for info, keypoints, depth, truth in zip(
        *(messages[t] for t in (TOPICS.camera_info, TOPICS.keypoints, TOPICS.depth, TOPICS.ground_truth)),
        strict=True,
    ):
        joints, _ = cloud_to_skeletons(truth.msg)
        pixels, _ = cloud_to_keypoints(keypoints.msg)
        k = camera_matrix(info.msg)
        projected = (joints[0] @ k.T)[:, :2] / joints[0][:, 2:]
        # The simulated detector's noise is a few percent of the person's size, never tens of percent.
        person_px = np.ptp(projected, axis=0).max()
        assert np.median(np.linalg.norm(pixels[0] - projected, axis=-1)) < 0.1 * person_px
        metres = depth_image_to_metres(depth.msg)
        assert metres.shape == (SIZE[1], SIZE[0]) and depth.msg.encoding == "16UC1"
        u, v = np.round(projected[H36M_ROOT]).astype(int)
        # The pelvis pixel sees the body (or a limb in front of it): the monocular estimate's few
        # percent of error, never the floor or the wall 10 m away.
        assert abs(metres[v, u] - joints[0, H36M_ROOT, 2]) < 0.25 * joints[0, H36M_ROOT, 2]


def test_the_same_seed_writes_the_same_bag(simulated_bag: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    write_simulated_bag(_takes(), again, image_size=SIZE, progress=False)
    first, second = _by_topic(simulated_bag), _by_topic(again)
    assert set(first) == set(second)
    for topic, messages in first.items():
        assert [m.msg for m in messages] == [m.msg for m in second[topic]]


def test_match_persons_is_invariant_to_person_order() -> None:
    rng = np.random.default_rng(0)
    truth = random_poses(3, rng) + np.array([[[-2.0, 0, 4]], [[0.0, 0, 4]], [[2.0, 0, 4]]])
    predicted = truth[[2, 0]] + 0.05
    assert sorted(match_persons(predicted, truth)) == [(0, 1), (2, 0)]
    assert match_persons(predicted[:0], truth) == []


def test_score_on_a_hand_computed_case() -> None:
    rng = np.random.default_rng(1)
    truth = random_poses(4, rng)[:, None] + np.array([0.0, 0.0, 3.0])  # (4 frames, 1 person, 17, 3)
    predicted = truth.copy()
    predicted[:, :, :, 0] += 0.2  # placed 200 mm off: counts in root_error_mm, not in MPJPE
    predicted[:, :, [j for j in range(17) if j != H36M_ROOT], 1] += 0.1  # non-root joints 100 mm off
    stamps = [10, 20, 30, 40]
    labels = [SequenceLabel("a", "walk", "", 10, 20), SequenceLabel("b", "run", "", 30, 40)]
    predictions = {s: p for s, p in zip(stamps[:3], predicted[:3], strict=True)}  # frame 40: nobody found
    report, _ = score(predictions, dict(zip(stamps, truth, strict=True)), labels)
    assert report["mpjpe"] == pytest.approx(100.0 * 16 / 17)
    assert report["root_error_mm"] == pytest.approx(200.0)
    assert (report["matched_persons"], report["ground_truth_persons"]) == (3, 4)
    assert report["detection_rate"] == pytest.approx(75.0)
    assert report["per_sequence"]["a"]["frames"] == 2 and report["per_sequence"]["b"]["frames"] == 1
    assert report["per_action"]["run"]["mpjpe"] == pytest.approx(100.0 * 16 / 17)
    assert report["per_frame"]["stamp_ns"] == [10, 20, 30]
    with pytest.raises(EvaluationError, match="mismatched stamps"):
        score({s + 5: p for s, p in predictions.items()}, dict(zip(stamps, truth, strict=True)), labels)
    with pytest.raises(EvaluationError, match="no ground-truth frames"):
        score(predictions, {}, labels)


def test_replay_through_the_lifter_code_matches_lifting_the_frames_directly(simulated_bag: Path) -> None:
    lifter = graph_lifter()
    replay = replay_bag(simulated_bag, lifter, progress=False)
    assert replay.stage == "lifter" and not replay.dropped
    assert replay.frames_with_depth == 2 * FRAMES
    messages = _by_topic(simulated_bag)
    for info, keypoints, depth in zip(
        *(messages[t] for t in (TOPICS.camera_info, TOPICS.keypoints, TOPICS.depth)), strict=True
    ):
        pixels, confidence = cloud_to_keypoints(keypoints.msg)
        direct = lifter.lift(
            pixels, confidence, SIZE, camera_matrix(info.msg), depth_image_to_metres(depth.msg)
        )
        stamp = keypoints.log_time_ns - DETECTOR_DELAY_NS
        np.testing.assert_array_equal(replay.predictions[stamp], direct.joints_cam)


def test_evaluate_bag_scores_zero_against_its_own_predictions(simulated_bag: Path, tmp_path: Path) -> None:
    """Round trip: a bag whose ground truth is what the pipeline predicts scores 0 mm."""
    out = tmp_path / "first"
    report = evaluate_bag(simulated_bag, out, progress=False)
    assert report["matched_persons"] == 2 * FRAMES and report["frames_with_depth"] == 2 * FRAMES
    assert set(report["per_sequence"]) == {"take_a", "take_b"}
    assert 10.0 < report["mpjpe"] < 400.0
    written = json.loads((out / "metrics.json").read_text())
    assert written["mpjpe"] == pytest.approx(report["mpjpe"])
    assert {p.name for p in out.iterdir()} >= {
        "metrics.json",
        "metrics.md",
        "per_joint.png",
        "error_over_time.png",
        "skeletons.png",
    }

    from auglift_ros.bags.io import BagWriter
    from auglift_ros.nodes.messages import skeletons_to_cloud

    lifter = graph_lifter()
    replay = replay_bag(simulated_bag, lifter, progress=False)
    echoed = tmp_path / "echoed"
    with BagWriter(echoed) as bag:
        for message in read_messages(simulated_bag):
            if message.topic == TOPICS.ground_truth:
                joints = replay.predictions[message.log_time_ns].astype(np.float32)
                message.msg.data = skeletons_to_cloud(
                    message.msg.header, joints, np.ones(joints.shape[:2])
                ).data
            bag.write(message.topic, message.msg, message.log_time_ns)
    zero = evaluate_bag(echoed, tmp_path / "zero", progress=False)
    assert zero["mpjpe"] == pytest.approx(0.0, abs=1e-3) and zero["root_error_mm"] == pytest.approx(
        0.0, abs=1e-3
    )


def _copy_without(source: Path, target: Path, topic: str, shift_ns: int = 0) -> Path:
    from auglift_ros.bags.io import BagWriter

    with BagWriter(target) as bag:
        for message in read_messages(source):
            if message.topic == topic and not shift_ns:
                continue
            if message.topic == topic:
                message.msg.header.stamp = stamp_from_ns(stamp_ns(message.msg.header) + shift_ns)
            bag.write(message.topic, message.msg, message.log_time_ns)
    return target


def _cli_error(capsys: pytest.CaptureFixture[str], bag: Path, out: Path) -> str:
    assert main(["evaluate-bag", str(bag), "--out", str(out)]) != 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert not (out / "metrics.json").exists()
    return err


def test_broken_bags_end_with_a_clear_error(
    simulated_bag: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "not found" in _cli_error(capsys, tmp_path / "nothing", tmp_path / "o1")

    no_truth = _copy_without(simulated_bag, tmp_path / "no_truth", TOPICS.ground_truth)
    assert f"no ground truth on {TOPICS.ground_truth}" in _cli_error(capsys, no_truth, tmp_path / "o2")

    no_input = _copy_without(
        _copy_without(simulated_bag, tmp_path / "a", TOPICS.keypoints), tmp_path / "b", TOPICS.depth
    )
    assert "neither keypoints" in _cli_error(capsys, no_input, tmp_path / "o3")

    shifted = _copy_without(simulated_bag, tmp_path / "shifted", TOPICS.ground_truth, shift_ns=3_000_000)
    assert "mismatched stamps" in _cli_error(capsys, shifted, tmp_path / "o4")

    truncated = tmp_path / "truncated"
    shutil.copytree(simulated_bag, truncated)
    mcap = next(truncated.glob("*.mcap"))
    mcap.write_bytes(mcap.read_bytes()[: mcap.stat().st_size // 2])
    assert "cannot" in _cli_error(capsys, truncated, tmp_path / "o5")

    garbled = tmp_path / "garbled"
    shutil.copytree(simulated_bag, garbled)
    (garbled / "metadata.yaml").write_text("rosbag2_bagfile_information: [unclosed")
    assert "cannot open" in _cli_error(capsys, garbled, tmp_path / "o6")


def test_make_bag_command_writes_an_evaluable_bag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from auglift_ros.mocap.datasets import save_sequence_npz

    save_sequence_npz(tmp_path / "take.npz", _takes()[0])
    bag = tmp_path / "bag"
    args = [
        "make-bag",
        "--sequences",
        str(tmp_path / "take.npz"),
        "--out",
        str(bag),
        "--image-size",
        "320",
        "240",
    ]
    assert main([*args, "--storage", "sqlite3"]) == 0
    assert "1 sequence(s), 6 frames" in capsys.readouterr().out
    assert main(["evaluate-bag", str(bag), "--out", str(tmp_path / "out")]) == 0
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["matched_persons"] == FRAMES
    assert main(args) != 0  # the bag folder exists: never overwritten
    assert "already exists" in capsys.readouterr().err


def test_player_waits_until_every_message_is_acknowledged(simulated_bag: Path) -> None:
    """Real DDS in one process: after playback, wait_for_delivery reports no topic with messages in
    flight, and the subscriber holds every ground-truth message of the bag."""
    import os

    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from sensor_msgs.msg import PointCloud2

    from auglift_ros.bags.player import PLAYER_QOS, BagPlayer

    os.environ["ROS_DOMAIN_ID"] = str(100 + (os.getpid() + 50) % 100)
    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        player_node = rclpy.create_node("test_player", context=context)
        listener = rclpy.create_node("test_listener", context=context)
        received: list[PointCloud2] = []
        listener.create_subscription(PointCloud2, TOPICS.ground_truth, received.append, PLAYER_QOS)
        player = BagPlayer(player_node, simulated_bag, topics=[TOPICS.ground_truth], rate=100.0)
        assert player.wait_for_subscribers(10.0) == []
        time.sleep(1.0)  # discovery is not symmetric (see the player's docstring)
        assert player.play(progress=False) == 2 * FRAMES
        assert player.wait_for_delivery(10.0) == []
        executor = SingleThreadedExecutor(context=context)
        executor.add_node(listener)
        deadline = time.monotonic() + 10.0
        while len(received) < 2 * FRAMES and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.1)
        assert len(received) == 2 * FRAMES
    finally:
        rclpy.shutdown(context=context)


def test_playback_stops_promptly_whatever_the_gap_to_the_next_message(tmp_path: Path) -> None:
    """A bag whose second message is an hour after the first (the demo once logged markers at log
    time 0, 31.7 years before its frames): asked to stop, playback returns at once."""
    import rclpy
    from std_msgs.msg import String

    from auglift_ros.bags.io import BagWriter
    from auglift_ros.bags.player import STOP_CHECK_S, BagPlayer

    with BagWriter(tmp_path / "gap", "mcap") as bag:
        bag.write("/gap_test", String(data="now"), 10**9)
        bag.write("/gap_test", String(data="in an hour"), 10**9 + 3600 * 10**9)
    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        player = BagPlayer(rclpy.create_node("gap_player", context=context), tmp_path / "gap")
        asked = time.monotonic() + 0.5
        started = time.monotonic()
        assert player.play(progress=False, stop=lambda: time.monotonic() > asked) == 1
        assert time.monotonic() - started < 0.5 + 3 * STOP_CHECK_S
    finally:
        rclpy.shutdown(context=context)
