"""Training jobs, frame selection, evaluation reports and the study, end to end on small data."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from temporal_models import make_temporal_model

from auglift_ros.commands.main import main
from auglift_ros.core.skeleton import H36M_JOINT_NAMES
from auglift_ros.evaluation.reports import SUMMARY_KEYS, metrics_report
from auglift_ros.mocap.generated import random_poses
from auglift_ros.runtime.models import load_lifter, resolve_model
from auglift_ros.simulation.simulate import SimulatedFrames
from auglift_ros.training.frames import select_frames, split_takes
from auglift_ros.training.job import ConfigError, TrainJob

TINY_TRAINING = {"epochs": 2, "batch_size": 64, "confidence_dropout": 0.1, "depth_dropout": 0.1}
TINY_MODEL = {"hidden": 32, "blocks": 1, "dropout": 0.1}


def _write_sequences(folder: Path, count: int, frames: int, seed: int, action: str) -> Path:
    """`count` npz sequences in the package's format (T, 17, 3) metres, y up, with a standing height."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(count):
        joints = random_poses(frames, rng) + np.array([0.0, 1.0, 0.0])
        np.savez(folder / f"{action}_{i:02d}.npz", joints3d=joints, fps=30.0, action=action)
    return folder


def _takes(lengths: list[int]) -> list[SimpleNamespace]:
    return [
        SimpleNamespace(joints3d=np.full((n, 17, 3), float(i)), name=f"take{i}", action=f"a{i % 2}")
        for i, n in enumerate(lengths)
    ]


def test_split_takes_holds_out_every_nth_take_by_name() -> None:
    takes = _takes([1] * 10)[::-1]  # order of arrival must not matter
    train, held = split_takes(takes, 5)
    assert [t.name for t in held] == ["take4", "take9"]
    assert len(train) == 8 and not {t.name for t in train} & {"take4", "take9"}
    assert split_takes(takes, 0)[1] == []
    with pytest.raises(ValueError, match="hold_out_every"):
        split_takes(takes, 1)


def test_select_frames_draws_uniformly_and_records_origin() -> None:
    takes = _takes([3, 5, 2])
    everything = select_frames(takes, None, np.random.default_rng(0))
    assert everything.sequence_index.tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 2, 2]
    assert everything.frame_index.tolist() == [0, 1, 2, 0, 1, 2, 3, 4, 0, 1]
    assert everything.actions.tolist() == ["a0"] * 3 + ["a1"] * 5 + ["a0"] * 2
    # Root-relative: the constant takes become all zeros.
    assert np.all(everything.poses == 0.0)
    some = select_frames(takes, 6, np.random.default_rng(1))
    assert len(set(zip(some.sequence_index, some.frame_index, strict=True))) == 6  # no repeats
    more = select_frames(takes, 25, np.random.default_rng(1))
    assert len(more.poses) == 25  # beyond the total: with replacement
    with pytest.raises(ValueError, match="no sequences"):
        select_frames([], 3, np.random.default_rng(0))


def _frames(targets: np.ndarray, visible: np.ndarray) -> SimulatedFrames:
    n = len(targets)
    return SimulatedFrames(
        image_sizes=np.full((n, 2), (640, 480)),
        keypoints=np.zeros((n, 17, 2)),
        confidence=np.ones((n, 17)),
        visible=visible,
        joints_cam=targets + np.array([0.0, 0.0, 4.0]),
        camera_matrix=np.broadcast_to(np.eye(3), (n, 3, 3)),
    )


def test_metrics_report_on_a_hand_computed_case() -> None:
    rng = np.random.default_rng(0)
    gt = random_poses(4, rng)
    gt -= gt[:, :1]
    pred = gt.copy()
    pred[:, 1:, 0] += 0.1  # every non-root joint 100 mm off along x
    pred[2:, 1:, 0] += 0.1  # frames 2, 3: 200 mm
    visible = np.ones((4, 17), bool)
    visible[:, 5] = False
    frames = _frames(gt, visible)
    report = metrics_report(
        pred,
        frames.targets,
        visible=frames.visible,
        actions=np.array(["walk", "walk", "run", "run"]),
        sequences=np.array(["a", "b", "b", "b"]),
    )
    assert set(SUMMARY_KEYS) <= set(report)
    # Joint errors: root 0; others 100 mm (frames 0-1) or 200 mm (frames 2-3).
    assert report["mpjpe"] == pytest.approx(150.0 * 16 / 17)
    assert report["pck"] == pytest.approx(100.0 * (17 + 17 + 1 + 1) / 68)
    assert report["per_action"]["walk"]["mpjpe"] == pytest.approx(100.0 * 16 / 17)
    assert report["per_action"]["run"]["frames"] == 2
    assert report["per_sequence"]["b"]["frames"] == 3
    assert report["per_sequence"]["b"]["mpjpe"] == pytest.approx((100.0 + 200.0 + 200.0) / 3 * 16 / 17)
    assert report["per_joint"]["pelvis"]["mpjpe"] == 0.0
    assert report["per_joint"][H36M_JOINT_NAMES[3]]["mpjpe"] == pytest.approx(150.0)
    assert report["by_visibility"]["occluded"] == {"joints": 4, "mpjpe": pytest.approx(150.0), "pck": 50.0}
    assert report["pck_curve"]["pck"][-1] == pytest.approx(report["pck"])
    with pytest.raises(ValueError, match="do not match"):
        metrics_report(pred[:3], frames.targets)
    assert "by_visibility" not in metrics_report(pred, frames.targets)


def _job_config(tmp_path: Path, data: Path, feature_set: str = "uadd") -> Path:
    config = {
        "name": "tiny_{feature_set}",
        "data": {"sequences": [str(data.relative_to(tmp_path))], "frames": 200, "hold_out_every": 3},
        "features": {"feature_set": feature_set},
        "model": TINY_MODEL,
        "training": TINY_TRAINING | {"seed": 3},
    }
    path = tmp_path / "train.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_train_and_evaluate_commands_end_to_end(tmp_path: Path) -> None:
    data = _write_sequences(tmp_path / "mocap", count=6, frames=40, seed=0, action="pose")
    config = _job_config(tmp_path, data)
    assert main(["train", "--config", str(config), "--out", str(tmp_path / "models")]) == 0
    onnx_path = tmp_path / "models" / "tiny_uadd.onnx"
    card = json.loads(onnx_path.with_suffix(".json").read_text())
    for path in card["data"]["paths"] + card["config"]["data"]["sequences"]:  # portable: no machine paths
        assert not Path(path).is_absolute() and (Path.cwd() / path).resolve() == Path(data).resolve()
    assert card["input"]["feature_set"] == "uadd" and card["input"]["channels"] == [
        "x",
        "y",
        "c",
        "d",
        "d_min",
        "d_max",
    ]
    assert card["input"]["mean_training_box_size_px"] > 10
    assert card["data"]["takes"] == 4 and len(card["data"]["held_out_takes"]) == 2
    assert card["data"]["frames"] == 200 and card["training"]["seed"] == 3
    assert (tmp_path / "models" / "tiny_uadd.pt").is_file()
    loaded = load_lifter(onnx_path)
    assert loaded.codec.train_box_size == card["input"]["mean_training_box_size_px"]

    reports = []
    for run in ("a", "b"):
        out = tmp_path / f"eval_{run}"
        args = ["evaluate", "--model", str(onnx_path), "--sequences", str(data), "--out", str(out)]
        assert main([*args, "--seed", "5", "--frames", "50"]) == 0
        reports.append(json.loads((out / "metrics.json").read_text()))
        assert {p.name for p in out.iterdir()} >= {
            "metrics.json",
            "metrics.md",
            "per_joint.png",
            "pck_curve.png",
        }
    assert reports[0]["mpjpe"] == reports[1]["mpjpe"]  # same seed, same numbers
    assert reports[0]["frames"] == 50 and reports[0]["per_action"]["pose"]["frames"] == 50
    assert 0 < reports[0]["mpjpe"] < 2000 and 0 <= reports[0]["pck"] <= 100
    assert reports[0]["simulation"]["detector_noise_scale"] == card["simulation"]["detector_noise_scale"]
    oracle = tmp_path / "eval_oracle"
    args = ["evaluate", "--model", str(onnx_path), "--sequences", str(data), "--out", str(oracle)]
    assert main([*args, "--seed", "5", "--frames", "50", "--depth-error-scale", "0"]) == 0
    report = json.loads((oracle / "metrics.json").read_text())
    assert report["simulation"]["depth_error_scale"] == 0.0
    assert report["simulation"]["detector_noise_scale"] == card["simulation"]["detector_noise_scale"]
    assert report["mpjpe"] != reports[0]["mpjpe"]  # same cameras and detections, different depth


def test_temporal_lifter_trains_on_clips_and_evaluates_through_its_window(tmp_path: Path) -> None:
    """`auglift-ros train` with a temporal family: clips, a card with the window, an ONNX file the
    node can load, and `evaluate` predicting every frame of simulated clips."""
    data = _write_sequences(tmp_path / "mocap", count=4, frames=60, seed=1, action="walk")
    path = _job_config(tmp_path, data, feature_set="xy")
    values = yaml.safe_load(path.read_text())
    values["model"] = {"family": "videopose3d", "filter_widths": [3, 3], "channels": 16, "causal": True}
    values["data"] |= {"frames": 120, "max_clip_frames": 40, "samples_per_epoch": 64}
    path.write_text(yaml.safe_dump(values))
    assert main(["train", "--config", str(path), "--out", str(tmp_path / "models")]) == 0
    onnx_path = tmp_path / "models" / "tiny_xy.onnx"
    card = json.loads(onnx_path.with_suffix(".json").read_text())
    assert card["model"]["family"] == "videopose3d" and card["model"]["causal"] is True
    assert card["window"] == {"frames": 9, "target": "last", "family": "videopose3d"}
    assert card["input"]["shape"] == ["batch", 9, 17, 2] and card["output"]["shape"] == ["batch", 1, 17, 3]
    assert card["data"]["frames"] == 120 and card["data"]["clips"] >= 120 // 40
    loaded = load_lifter(onnx_path)
    assert (loaded.window.frames, loaded.window.causal) == (9, True)
    out = tmp_path / "eval"
    args = ["evaluate", "--model", str(onnx_path), "--sequences", str(data), "--out", str(out)]
    assert main([*args, "--frames", "90"]) == 0
    report = json.loads((out / "metrics.json").read_text())
    assert report["frames"] == 90 and 0 < report["mpjpe"] < 2000
    assert main([*args, "--frames", "90", "--streamed"]) == 0  # a causal model streams as it evaluates
    assert json.loads((out / "metrics.json").read_text())["mpjpe"] == pytest.approx(report["mpjpe"])


def test_evaluate_streams_sequence_to_sequence_models_and_refuses_symmetric_ones(tmp_path: Path) -> None:
    data = _write_sequences(tmp_path / "mocap", count=2, frames=30, seed=1, action="walk")
    model = make_temporal_model(tmp_path / "mb.onnx", "motionbert", "xy")
    scores = {}
    for streamed in (False, True):
        out = tmp_path / f"eval_{streamed}"
        args = [
            "evaluate",
            "--model",
            str(model),
            "--sequences",
            str(data),
            "--out",
            str(out),
            "--frames",
            "40",
        ]
        assert main(args + ["--streamed"] * streamed) == 0
        report = json.loads((out / "metrics.json").read_text())
        assert report["streamed"] is streamed and report["frames"] == 40
        scores[streamed] = report["mpjpe"]
    assert scores[False] != pytest.approx(scores[True])  # offline chunks see later frames
    symmetric = make_temporal_model(tmp_path / "vp.onnx", "videopose3d", "xy")
    args = ["evaluate", "--model", str(symmetric), "--sequences", str(data), "--out", str(tmp_path / "e")]
    assert main([*args, "--streamed"]) == 2


def test_train_config_errors_are_named(tmp_path: Path) -> None:
    data = _write_sequences(tmp_path / "mocap", count=2, frames=5, seed=0, action="pose")
    path = _job_config(tmp_path, data)
    values = yaml.safe_load(path.read_text())
    for change, message in (
        ({"modle": {}}, "unknown key"),
        ({"model": {"hidden": 32, "layers": 2}}, "layers"),
        ({"model": {"family": "videopose3d", "filter_widths": [2]}}, "odd"),
        ({"model": {"family": "lstm"}}, "unknown lifter family"),
        ({"features": {"feature_set": "xyz"}}, "unknown feature set"),
        ({"training": {"epochs": 0}}, "epochs"),
        ({"data": {"sequences": []}}, "at least one"),
    ):
        path.write_text(yaml.safe_dump(values | change))
        with pytest.raises(ConfigError, match=message):
            TrainJob.from_yaml(path)
    assert main(["train", "--config", str(tmp_path / "missing.yaml"), "--out", str(tmp_path)]) == 2


def test_model_names_resolve_and_unknown_ones_are_reported(tmp_path: Path) -> None:
    from auglift_ros.core.lifters import ModelLoadError

    with pytest.raises(ModelLoadError, match="not a model name"):
        resolve_model("no_such_model")
    with pytest.raises(ModelLoadError, match="not a model name"):
        resolve_model(tmp_path / "missing.onnx")


def test_study_runs_every_variant_on_shared_frames(tmp_path: Path) -> None:
    root = tmp_path / "mocap"
    _write_sequences(root / "set_a", count=4, frames=30, seed=1, action="walk")
    _write_sequences(root / "set_b", count=3, frames=30, seed=2, action="crouch")
    config = {
        "data_root": str(root),
        "datasets": {"a": "set_a", "b": "set_b"},
        "directions": [{"train": "a", "test_ood": "b"}],
        "feature_sets": ["xy", "xyc", "uadd"],
        "seeds": [5],
        "train_frames": 150,
        "test_frames": 40,
        "hold_out_every": 2,
        "model": TINY_MODEL,
        "training": TINY_TRAINING,
    }
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(config))
    study = ["study", "--config", str(path), "--out", str(tmp_path / "study")]
    assert main([*study, "--train-sets", "b"]) == 2  # b is only a test set here: named error, no run
    overrides = [
        "--seeds",
        "0",
        "1",
        "--feature-sets",
        "xy",
        "uadd",
        "--train-sets",
        "a",
        "--depth-error-scale",
        "0.5",
    ]
    assert main([*study, *overrides]) == 0
    results = json.loads((tmp_path / "study" / "results.json").read_text())
    assert len(results["runs"]) == 2 * 2 * 2  # seeds x feature sets x (ID, OOD)
    assert results["config"]["simulation"]["depth_error_scale"] == 0.5
    assert len(results["depth_channel"]) == 2 * 2  # seeds x (ID, OOD), from the uadd samples
    uadd_ood = [
        e for e in results["summary"] if e["feature_set"] == "uadd" and e["split"] == "out_of_distribution"
    ]
    assert len(uadd_ood) == 1 and uadd_ood[0]["test"] == "b" and uadd_ood[0]["seeds"] == 2
    by_seed = {
        (r["seed"], r["feature_set"]): r["mpjpe"]
        for r in results["runs"]
        if r["split"] == "out_of_distribution"
    }
    expected = np.mean(
        [100 * (by_seed[(s, "uadd")] - by_seed[(s, "xy")]) / by_seed[(s, "xy")] for s in (0, 1)]
    )
    assert uadd_ood[0]["mpjpe_change_vs_xy_pct"]["mean"] == pytest.approx(expected)
    table = (tmp_path / "study" / "results.md").read_text()
    assert "| a | b (OOD) | uadd |" in table and (tmp_path / "study" / "results.png").is_file()


def test_depth_channel_agreement_ignores_offsets_and_counts_misses() -> None:
    from auglift_ros.training.evaluate import depth_channel_agreement

    targets = np.zeros((2, 17, 3))
    targets[..., 2] = 0.01 * np.arange(17)  # joint depths 0..16 cm behind the root
    frames = _frames(targets, np.ones((2, 17), bool))  # placed 4 m away
    sampled = frames.joints_cam[..., 2] + 0.3  # a global shift the lifter never sees
    sampled[:, 16] += 0.5  # the deepest joint's keypoint hits the background
    frames.depth_inputs["uadd"] = np.stack([sampled, sampled - 0.05, sampled + 0.05], axis=-1)
    check = depth_channel_agreement(frames)
    assert check["median_abs_error_cm"] == pytest.approx(0.0, abs=1e-9)
    assert check["share_over_30cm"] == pytest.approx(100.0 / 17)
    assert check["true_relative_depth_median_cm"] == pytest.approx(4.0)


def _small_temporal_study(tmp_path: Path) -> dict:
    """Two small written datasets (a: 4 takes, b: 2) and the study settings both temporal tests use."""
    root = tmp_path / "mocap"
    _write_sequences(root / "set_a", count=4, frames=40, seed=1, action="walk")
    _write_sequences(root / "set_b", count=2, frames=40, seed=2, action="crouch")
    return {
        "data_root": str(root),
        "datasets": {"a": "set_a", "b": "set_b"},
        "directions": [{"train": "a", "test_ood": "b"}],
        "seeds": [0],
        "train_frames": 120,
        "test_frames": 40,
        "max_clip_frames": 30,
        "hold_out_every": 2,
        "samples_per_epoch": 64,
    }


def test_temporal_study_runs_families_and_motion_tests_and_resumes(tmp_path: Path) -> None:
    config = _small_temporal_study(tmp_path) | {
        "speeds": [2.0],
        "training": TINY_TRAINING,
        "variants": [
            {"name": "sb", "family": "simple_baseline", "model": TINY_MODEL},
            {"name": "vp", "family": "videopose3d", "model": {"filter_widths": [3, 3], "channels": 8}},
            {
                "name": "vp-causal",
                "family": "videopose3d",
                "model": {"filter_widths": [3, 3], "channels": 8, "causal": True},
            },
        ],
    }
    path = tmp_path / "temporal.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / "temporal"
    assert main(["temporal-study", "--config", str(path), "--out", str(out), "--variants", "sb"]) == 0
    first = json.loads((out / "results.json").read_text())["runs"]
    # 1 variant x 2 feature sets x (ID, OOD, reversed, 2x)
    assert len(first) == 8 and {r["split"] for r in first} >= {
        "in_distribution_reversed",
        "in_distribution_speed_2x",
    }
    # A single-frame lifter does not see motion: reversing the clips leaves its error as it was.
    by = {(r["feature_set"], r["split"]): r["mpjpe"] for r in first}
    for fs in ("xy", "uadd"):
        assert (
            abs(by[fs, "in_distribution_reversed"] - by[fs, "in_distribution"])
            < 0.05 * by[fs, "in_distribution"]
        )
    assert main(["temporal-study", "--config", str(path), "--out", str(out), "--variants", "nope"]) == 2
    # Resuming trains only what is missing (vp, vp-causal) and keeps what is done (sb) ...
    assert main(["temporal-study", "--config", str(path), "--out", str(out), "--resume"]) == 0
    assert len(json.loads((out / "runs.json").read_text())["runs"]) == 24
    assert not (out / "runs.json.partial").exists()  # each save replaced runs.json whole
    # ... and resuming with fewer variants only reports on them, keeping the rest in runs.json.
    assert (
        main(["temporal-study", "--config", str(path), "--out", str(out), "--resume", "--variants", "vp"])
        == 0
    )
    assert {r["variant"] for r in json.loads((out / "results.json").read_text())["runs"]} == {"vp"}
    assert len(json.loads((out / "runs.json").read_text())["runs"]) == 24
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(config | {"train_frames": 100}))
    assert main(["temporal-study", "--config", str(changed), "--out", str(out), "--resume"]) == 2
    # A variant whose own settings changed is retrained on resume; the others are kept.
    retimed = [
        v | {"training": {"epochs": 1}, "samples_per_epoch": 32} if v["name"] == "vp" else v
        for v in config["variants"]
    ]
    changed.write_text(yaml.safe_dump(config | {"variants": retimed}))
    before = {
        (r["variant"], r["feature_set"], r["split"]): r
        for r in json.loads((out / "runs.json").read_text())["runs"]
    }
    assert main(["temporal-study", "--config", str(changed), "--out", str(out), "--resume"]) == 0
    after = {
        (r["variant"], r["feature_set"], r["split"]): r
        for r in json.loads((out / "runs.json").read_text())["runs"]
    }
    assert after.keys() == before.keys()
    assert all(after[k] == before[k] for k in after if k[0] != "vp")
    assert all(after[k]["settings"]["training"] == {"epochs": 1} for k in after if k[0] == "vp")
    assert any(after[k]["mpjpe"] != before[k]["mpjpe"] for k in after if k[0] == "vp")
    bad = [v | {"training": {"epochz": 1}} for v in config["variants"]]
    changed.write_text(yaml.safe_dump(config | {"variants": bad}))
    assert main(["temporal-study", "--config", str(changed), "--out", str(out), "--resume"]) == 2
    assert main(["temporal-study", "--config", str(path), "--out", str(tmp_path / "full")]) == 0
    results = json.loads((tmp_path / "full" / "results.json").read_text())
    assert {(r["variant"], r["frames"], r["target"]) for r in results["runs"]} == {
        ("sb", 1, "last"),
        ("vp", 9, "centre"),
        ("vp-causal", 9, "last"),
    }
    rows = [r for r in results["runs"] if (r["variant"], r["feature_set"]) == ("sb", "xy")]
    assert sorted(r["mpjpe"] for r in rows) == sorted(r["mpjpe"] for r in first if r["feature_set"] == "xy")
    markdown = (tmp_path / "full" / "results.md").read_text()
    assert "| a | videopose3d | 9 | centre | a (ID) |" in markdown and "speed_2x" in markdown
    assert "| a | videopose3d | 9 | last | b (OOD) |" in markdown
    assert (tmp_path / "full" / "results.png").is_file()


def test_temporal_study_scores_sequence_to_sequence_models_also_as_streamed(tmp_path: Path) -> None:
    """A MotionBERT-style model is scored on chunks (`all`) and as the node streams it (`last`); a
    resumed study that lacks the streamed scores adds them from the saved model, without training."""
    config = _small_temporal_study(tmp_path) | {
        "feature_sets": ["xy"],
        "reversed_test": False,
        "speeds": [],
        "training": TINY_TRAINING | {"batch_size": 4},
        "variants": [
            {
                "name": "mb",
                "family": "motionbert",
                "model": {"frames": 9, "dim": 8, "depth": 1, "heads": 2, "representation": 8},
            }
        ],
    }
    path = tmp_path / "temporal.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / "temporal"
    assert main(["temporal-study", "--config", str(path), "--out", str(out)]) == 0
    runs = json.loads((out / "runs.json").read_text())["runs"]
    scores = {(r["target"], r["split"]): r["mpjpe"] for r in runs}
    assert sorted(scores) == [
        (t, s) for t in ("all", "last") for s in ("in_distribution", "out_of_distribution")
    ]
    assert scores["all", "in_distribution"] != scores["last", "in_distribution"]  # chunks see ahead
    rows = (out / "results.md").read_text().splitlines()
    for target in ("all", "last"):
        row = next(line for line in rows if line.startswith(f"| a | motionbert | 9 | {target} | a (ID) |"))
        assert f"| {scores[target, 'in_distribution']:.1f} ± 0.0 |" in row

    model = out / "train_a" / "seed0" / "mb_xy.onnx"
    trained = model.stat().st_mtime_ns
    saved = json.loads((out / "runs.json").read_text())
    saved["runs"] = [r for r in saved["runs"] if r["target"] == "all"]
    (out / "runs.json").write_text(json.dumps(saved))
    assert main(["temporal-study", "--config", str(path), "--out", str(out), "--resume"]) == 0
    resumed = json.loads((out / "runs.json").read_text())["runs"]
    assert {(r["target"], r["split"]): r["mpjpe"] for r in resumed} == pytest.approx(scores)
    assert model.stat().st_mtime_ns == trained


def test_shipped_study_configs_load_and_name_their_windows() -> None:
    """The study configs in config/ parse and validate (every variant builds a training job), and each
    temporal variant's name says its window: family-frames, with -causal for a last-frame target."""
    from auglift_ros.training.study import StudyConfig
    from auglift_ros.training.temporal_study import TemporalStudyConfig

    config_dir = Path(__file__).resolve().parents[1] / "config"
    assert StudyConfig.from_yaml(config_dir / "study.yaml").directions
    temporal = TemporalStudyConfig.from_yaml(config_dir / "temporal_study.yaml")
    for variant in temporal.variants:
        window = variant.window()
        suffix = "-causal" if window.target == "last" and window.frames > 1 else ""
        assert variant.name == f"{variant.family}-{window.frames}{suffix}"
