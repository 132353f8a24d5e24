"""`auglift-ros benchmark footage`: the scoring pieces on hand-made arrays, the world-landmark mapping,
and one end-to-end run on the cached pose2sim wheel (skipped when it is not cached; never downloads)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from auglift_ros.commands.footage_benchmark import (
    ROWS,
    axis_correlation,
    lift_sequence,
    markdown_table,
    per_joint_table,
    perfect_keypoints,
    scorable_frames,
    score_row,
)
from auglift_ros.commands.main import main
from auglift_ros.core.skeleton import BLAZEPOSE_NUM_JOINTS, H36M_JOINT_NAMES
from auglift_ros.footage.calibration import CalibratedCamera
from auglift_ros.footage.pose2sim import cached_pose2sim_demo
from auglift_ros.footage.reference import detect_frames, most_confident_person
from auglift_ros.perception.detector import Detections, blazepose_to_h36m

J = {name: i for i, name in enumerate(H36M_JOINT_NAMES)}


def _poses(frames: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 0.3, (frames, 17, 3))


def _shifted_limbs(truth: np.ndarray, metres: float) -> np.ndarray:
    """Every joint but the pelvis moved by ``metres`` along x: root-relative error ``metres`` on 16 joints."""
    moved = truth.copy()
    moved[:, 1:, 0] += metres
    return moved


# --- scoring ---------------------------------------------------------------------------------------


def test_nan_frames_are_left_out_counted_and_views_pool_by_frames() -> None:
    truth_a = _poses(3)
    prediction_a = _shifted_limbs(truth_a, 0.1) + 5.0  # a global offset: root-relative scoring ignores it
    truth_b = _poses(3, seed=1)
    prediction_b = truth_b.copy()  # frame 0 exact
    prediction_b[1, J["left_wrist"]] = np.nan  # the row lost a joint
    truth_b[2, J["head"]] = np.nan  # the reference lost a joint
    truth_c = _poses(2, seed=2)
    prediction_c = np.full_like(truth_c, np.nan)  # nobody detected in this view

    np.testing.assert_array_equal(scorable_frames(prediction_b, truth_b), [True, False, False])
    scores = score_row([prediction_a, prediction_b, prediction_c], [truth_a, truth_b, truth_c], "abc")
    per_view = scores["per_view"]
    assert per_view["a"]["mpjpe"] == pytest.approx(100.0 * 16 / 17)
    assert per_view["a"]["pck"] == pytest.approx(100.0)  # 100 mm <= 150 mm
    assert (per_view["a"]["frames_scored"], per_view["a"]["frames_left_out"]) == (3, 0)
    assert per_view["b"]["mpjpe"] == pytest.approx(0.0, abs=1e-9)
    assert (per_view["b"]["frames"], per_view["b"]["frames_scored"], per_view["b"]["frames_left_out"]) == (
        3,
        1,
        2,
    )
    assert per_view["c"]["frames_scored"] == 0 and per_view["c"]["frames_left_out"] == 2
    assert per_view["c"]["mpjpe"] is None and per_view["c"]["p_mpjpe"] is None
    pooled = scores["pooled"]
    assert (pooled["frames"], pooled["frames_scored"], pooled["frames_left_out"]) == (8, 4, 4)
    assert pooled["mpjpe"] == pytest.approx((3 * 100.0 * 16 / 17 + 0.0) / 4)  # weighted by frames


def test_face_points_are_scored_apart_from_the_body() -> None:
    truth = _poses(4)
    prediction = truth.copy()
    prediction[:, J["head"], 1] += 0.1  # an eye midpoint where the truth has a head top, say
    scores = score_row([prediction], [truth], ["a"])
    pooled = scores["pooled"]
    assert pooled["p_mpjpe_body"] == pytest.approx(0.0, abs=1e-6)  # the 15 other joints are exact
    assert scores["per_view"]["a"]["p_mpjpe_body"] == pytest.approx(0.0, abs=1e-6)
    assert pooled["p_mpjpe"] > 0.0
    assert pooled["per_joint"]["head"]["mpjpe"] == pytest.approx(100.0)
    assert pooled["per_joint"]["left_knee"]["mpjpe"] == pytest.approx(0.0, abs=1e-9)
    lines = per_joint_table({"rows": {"ours": {"label": "ours"} | scores}}).splitlines()
    assert lines[0] == "| joint | ours |"
    assert [line.split(" | ")[0] for line in lines[2:]] == [f"| {name}" for name in H36M_JOINT_NAMES]


def test_score_row_rejects_mismatched_inputs() -> None:
    with pytest.raises(ValueError, match="views"):
        score_row([_poses(2)], [_poses(2), _poses(2)], ["a"])
    with pytest.raises(ValueError, match=r"\(T, 17, 3\)"):
        score_row([_poses(2)], [_poses(3)], ["a"])


def test_axis_correlation_finds_a_flipped_axis() -> None:
    truth = _poses(20)
    flipped = truth * np.array([1.0, 1.0, -1.0]) + 3.0
    np.testing.assert_allclose(axis_correlation(flipped, truth), [1.0, 1.0, -1.0], atol=1e-12)
    assert axis_correlation(np.full_like(truth, np.nan), truth) == [None, None, None]


POOLED = {
    "frames": 4,
    "frames_scored": 3,
    "mpjpe": 100.0,
    "p_mpjpe": 60.0,
    "p_mpjpe_body": 50.0,
    "pck": 80.0,
    "auc": 40.0,
}
"""One row's pooled figures, as score_row gives them."""


def test_markdown_table_has_a_line_per_row_and_a_column_per_view() -> None:
    figures = POOLED
    results = {
        "views": ["cam01", "cam02"],
        "rows": {
            "ours": {
                "label": "ours",
                "pooled": figures,
                "per_view": {"cam01": figures, "cam02": figures | {"p_mpjpe": None}},
            }
        },
    }
    lines = markdown_table(results).splitlines()
    assert lines[0].endswith("| P-MPJPE cam01 | P-MPJPE cam02 |")
    assert lines[2] == "| ours | 3 of 4 | 100.0 | 60.0 | 50.0 | 80.0 | 40.0 | 60.0 | - |"


def test_figures_are_recorded_in_the_lifted_models_card_only(tmp_path: Path) -> None:
    from auglift_ros.commands.footage_benchmark import CARD_BENCHMARK_KEY, record_in_card

    figures = POOLED
    row = {"label": "ours", "pooled": figures, "per_view": {"cam01": figures | {"p_mpjpe": 55.0}}}
    results = {"model": str(tmp_path / "lifter.onnx"), "footage": "pose2sim", "rows": {"ours": row}}
    card = tmp_path / "lifter.json"
    card.write_text(json.dumps({"name": "lifter", "data": {"frames": 7}}))
    record_in_card(results, card)
    written = json.loads(card.read_text())
    assert written["data"] == {"frames": 7}  # the rest of the card is kept
    recorded = written["benchmarks"][CARD_BENCHMARK_KEY]["rows"]["ours"]
    assert recorded["pooled"] == {key: value for key, value in POOLED.items() if key != "frames"}
    assert recorded["p_mpjpe_per_view"] == {"cam01": 55.0}
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"name": "other"}))
    with pytest.raises(ValueError, match="is not the card of"):
        record_in_card(results, other)


# --- world landmarks and the detection pass --------------------------------------------------------


def test_blazepose_world_landmarks_map_to_h36m_in_metres() -> None:
    world = np.random.default_rng(0).normal(0.0, 0.4, (2, BLAZEPOSE_NUM_JOINTS, 3))
    h36m, confidence = blazepose_to_h36m(world)
    assert h36m.shape == (2, 17, 3) and confidence is None
    # BlazePose 23/24 are the left/right hips, 11/12 the shoulders, 2/5 the eyes, 16 the right wrist.
    np.testing.assert_allclose(h36m[:, J["pelvis"]], world[:, [23, 24]].mean(axis=1))
    np.testing.assert_allclose(h36m[:, J["right_hip"]], world[:, 24])
    np.testing.assert_allclose(h36m[:, J["thorax"]], world[:, [11, 12]].mean(axis=1))
    np.testing.assert_allclose(h36m[:, J["head"]], world[:, [2, 5]].mean(axis=1))
    np.testing.assert_allclose(h36m[:, J["right_wrist"]], world[:, 16])
    np.testing.assert_allclose(h36m[:, J["spine"]], world[:, [11, 12, 23, 24]].mean(axis=1))


class _FakeDetector:
    """Two persons per image, the second more confident; world joints only when asked."""

    def __init__(self, *, world: bool) -> None:
        self.world = world

    def detect(self, image_rgb: np.ndarray) -> Detections:
        keypoints = np.stack([np.full((17, 2), 10.0), np.full((17, 2), 20.0)])
        confidence = np.stack([np.full(17, 0.3), np.full(17, 0.9)])
        world = np.stack([np.zeros((17, 3)), np.ones((17, 3))]) if self.world else None
        return Detections(keypoints, confidence, world)

    def close(self) -> None:
        pass


def test_the_detection_pass_keeps_the_chosen_persons_world_joints() -> None:
    frames = [np.zeros((4, 4, 3), np.uint8)] * 3
    found = detect_frames(frames, _FakeDetector(world=True), pixel_scale=(2.0, 2.0))
    assert found.keypoints.shape == (3, 17, 2) and found.world.shape == (3, 17, 3)
    np.testing.assert_array_equal(found.keypoints, 40.0)  # the confident person, pixels scaled
    np.testing.assert_array_equal(found.world, 1.0)  # its world joints, metres unscaled
    without = detect_frames(frames, _FakeDetector(world=False))
    assert np.isnan(without.world).all() and np.isfinite(without.keypoints).all()
    keypoints, confidence, world = most_confident_person(Detections.empty(world=True))
    assert np.isnan(keypoints).all() and (confidence == 0).all() and np.isnan(world).all()
    assert Detections.empty().world is None and Detections.empty(world=True).world.shape == (0, 17, 3)


# --- the perfect-2D row ----------------------------------------------------------------------------


def test_perfect_keypoints_are_the_pinhole_projection_after_the_lens_round_trip() -> None:
    K = np.array([[1500.0, 0.0, 540.0], [0.0, 1500.0, 960.0], [0.0, 0.0, 1.0]])  # noqa: N806
    dist = np.array([-0.05, 0.14, 0.0006, 0.0007, 0.0])  # about the pose2sim demo's lenses
    camera = CalibratedCamera("cam", 1080, 1920, K, dist, np.eye(3), np.zeros(3))
    rng = np.random.default_rng(0)
    joints = rng.uniform([-1.0, -1.8, 3.0], [1.0, 1.8, 4.0], (4, 17, 3))  # over the whole portrait image
    joints[1, J["head"]] = np.nan
    keypoints, confidence = perfect_keypoints(joints, camera)
    distorted = camera.project(joints)
    assert np.nanmax(np.abs(distorted - camera.project(joints, distort=False))) > 1.0  # the lens matters
    np.testing.assert_allclose(keypoints, camera.project(joints, distort=False), atol=1e-3)
    assert confidence[1, J["head"]] == 0.0 and confidence.sum() == 4 * 17 - 1


def test_lift_sequence_lifts_frames_with_keypoints_and_restarts_the_window() -> None:
    calls: list[tuple[tuple[int, int], list[int]]] = []
    forgotten: list[list[int]] = []

    def lift(keypoints, confidence, image_size, camera_matrix, depth=None, person_ids=None):
        assert keypoints.shape == (1, 17, 2) and confidence.shape == (1, 17) and depth is None
        calls.append((image_size, list(person_ids)))
        return SimpleNamespace(root_relative=np.full((1, 17, 3), keypoints[0, 0, 0]))

    lifter = SimpleNamespace(lift=lift, forget=forgotten.append)
    keypoints = np.stack([np.full((17, 2), 1.0), np.full((17, 2), np.nan), np.full((17, 2), 3.0)])
    poses = lift_sequence(lifter, keypoints, np.ones((3, 17)), (1080, 1920), np.eye(3))  # type: ignore[arg-type]
    assert forgotten == [[0]] and calls == [((1080, 1920), [0])] * 2
    np.testing.assert_array_equal(poses[0], 1.0)
    assert np.isnan(poses[1]).all()
    np.testing.assert_array_equal(poses[2], 3.0)


# --- end to end on the real footage (cached wheel only) --------------------------------------------


@pytest.mark.skipif(
    cached_pose2sim_demo() is None, reason="pose2sim demo not cached (auglift-ros demo fetches it)"
)
def test_benchmark_scores_every_row_in_every_view_on_the_footage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench"
    assert main(["benchmark", "footage", "--out", str(out), "--max-frames", "20", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    results = json.loads((out / "results.json").read_text())
    views = ["cam01", "cam02", "cam03", "cam04"]
    assert results["views"] == views and results["frames_per_view"] == 20
    assert list(results["rows"]) == list(ROWS)
    assert results["feature_set"] == "xyc"  # no depth: the lifter node's fallback runs
    for row in results["rows"].values():
        assert row["label"] in printed
        pooled = row["pooled"]
        assert pooled["frames"] == 80 and pooled["frames_scored"] + pooled["frames_left_out"] == 80
        assert pooled["frames_scored"] >= 70
        assert set(row["per_view"]) == set(views)
        for figures in [pooled, *row["per_view"].values()]:
            assert all(np.isfinite(figures[key]) for key in ("mpjpe", "p_mpjpe", "pck", "auc"))
            assert 0.0 < figures["p_mpjpe"] <= figures["mpjpe"] < 400.0
    # MediaPipe's world axes agree with the camera's (module docstring): x, y and z correlate positively.
    assert all(min(correlation) > 0.5 for correlation in results["world_axis_correlation"].values())
    assert (out / "results.png").stat().st_size > 0
    assert "| method | frames scored |" in (out / "results.md").read_text()
