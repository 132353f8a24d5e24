"""Temporal lifters: windows and edge padding, the three families, ONNX export and live ring buffers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from auglift_ros.core.lifters import (
    TEMPORAL_METADATA_KEY,
    DSTformer,
    DSTformerConfig,
    OnnxLifter,
    PersonWindows,
    PoseFormer,
    PoseFormerConfig,
    VideoPose3D,
    VideoPose3DConfig,
    WindowSpec,
    build_lifter,
    export_lifter,
    lifter_config,
    predict_sequence,
    stream_sequence,
)
from auglift_ros.core.lifters.temporal import windows_for_sequence

K = 17


def _sequence(frames: int, channels: int = 1) -> np.ndarray:
    """Features whose value is the frame number, so padding and window order can be read off."""
    return np.broadcast_to(np.arange(frames, dtype=np.float32)[:, None, None], (frames, K, channels)).copy()


# --- windows and padding --------------------------------------------------------------------------


def test_centre_windows_are_edge_padded_both_ends():
    windows, index = windows_for_sequence(_sequence(5), WindowSpec(3, "centre"))
    assert windows[:, :, 0, 0].tolist() == [[0, 0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 4]]
    assert index[:, 0].tolist() == [0, 1, 2, 3, 4]


def test_causal_windows_see_only_the_past_and_repeat_the_first_frame():
    windows, index = windows_for_sequence(_sequence(4), WindowSpec(3, "last"))
    assert windows[:, :, 0, 0].tolist() == [[0, 0, 0], [0, 0, 1], [0, 1, 2], [1, 2, 3]]
    assert index[:, 0].tolist() == [0, 1, 2, 3]


def test_all_target_chunks_cover_the_sequence_once():
    windows, index = windows_for_sequence(_sequence(5), WindowSpec(2, "all"))
    assert windows[:, :, 0, 0].tolist() == [[0, 1], [2, 3], [4, 4]]
    assert index.tolist() == [[0, 1], [2, 3], [4, -1]]


@pytest.mark.parametrize("spec", [WindowSpec(5, "centre"), WindowSpec(4, "last"), WindowSpec(3, "all")])
def test_predict_sequence_puts_each_output_on_its_frame(spec):
    """A model that returns the feature of the frame it predicts must give back the sequence."""
    offset = spec.frames // 2 if spec.target == "centre" else spec.frames - 1

    calls = []

    def run(windows: np.ndarray) -> np.ndarray:
        calls.append(len(windows))
        values = windows if spec.target == "all" else windows[:, offset : offset + 1]
        return np.repeat(values, 3, axis=-1)

    sequence = _sequence(11)
    poses = predict_sequence(run, sequence, spec, batch_frames=4 * spec.frames + 1)
    windows = 4 if spec.target == "all" else 11  # chunks of `frames` frames, or one window per frame
    assert calls == [4] * (windows // 4) + ([windows % 4] if windows % 4 else [])
    assert poses.shape == (11, K, 3)
    np.testing.assert_array_equal(poses[:, 0, 0], np.arange(11))


def _newest_in_window(windows: np.ndarray) -> np.ndarray:
    """A sequence-to-sequence stand-in whose every output is its window's largest (newest) frame."""
    newest = windows.max(axis=1, keepdims=True)
    return np.repeat(np.broadcast_to(newest, windows.shape), 3, axis=-1)


def test_streamed_sequence_to_sequence_poses_see_no_later_frame():
    """Offline chunks of 2 let frame 0 see frame 1; streamed, frame t's pose is from frames <= t,
    exactly what a live ring buffer feeds the model."""
    spec, sequence = WindowSpec(2, "all"), _sequence(5)
    assert predict_sequence(_newest_in_window, sequence, spec)[:, 0, 0].tolist() == [1, 1, 3, 3, 4]
    streamed = stream_sequence(_newest_in_window, sequence, spec, batch_frames=4)
    assert streamed[:, 0, 0].tolist() == [0, 1, 2, 3, 4]
    live = PersonWindows(spec)
    for t, frame in enumerate(sequence):
        np.testing.assert_array_equal(_newest_in_window(live.push([0], frame[None]))[0, -1], streamed[t])


def test_streaming_a_causal_model_is_its_offline_prediction_and_centre_is_refused():
    spec, sequence = WindowSpec(4, "last"), _sequence(9, channels=2)

    def run(windows: np.ndarray) -> np.ndarray:
        return np.concatenate([windows[:, -1:], windows[:, :1, :, :1]], axis=-1)

    np.testing.assert_array_equal(stream_sequence(run, sequence, spec), predict_sequence(run, sequence, spec))
    with pytest.raises(ValueError, match="centre cannot be streamed"):
        stream_sequence(run, sequence, WindowSpec(5, "centre"))


def test_window_spec_validation_and_json_round_trip():
    spec = WindowSpec(243, "last", "videopose3d")
    assert WindowSpec.from_json(spec.to_json()) == spec
    assert (spec.causal, spec.lookahead, spec.output_frames) == (True, 0, 1)
    assert (WindowSpec(27, "centre").lookahead, WindowSpec(27, "all").output_frames) == (13, 27)
    for bad in [dict(frames=0), dict(frames=4, target="centre"), dict(target="middle"), dict(frames=2.0)]:
        with pytest.raises(ValueError):
            WindowSpec(**bad)


def test_person_windows_match_offline_causal_windows():
    """Streaming one person frame by frame gives exactly the offline causal windows (edge padding)."""
    spec = WindowSpec(4, "last")
    sequence = _sequence(7, channels=2)
    offline, _ = windows_for_sequence(sequence, spec)
    live = PersonWindows(spec)
    for t, frame in enumerate(sequence):
        np.testing.assert_array_equal(live.push([7], frame[None])[0], offline[t])


def test_person_windows_keep_persons_apart_and_forget():
    live = PersonWindows(WindowSpec(3, "last"))
    live.push([1, 2], np.stack([np.full((K, 2), 10.0), np.full((K, 2), 20.0)]))
    windows = live.push([2, 1], np.stack([np.full((K, 2), 21.0), np.full((K, 2), 11.0)]))
    assert windows[:, :, 0, 0].tolist() == [[20, 20, 21], [10, 10, 11]]
    live.forget([1])
    assert len(live) == 1
    assert live.push([1], np.full((1, K, 2), 12.0))[0, :, 0, 0].tolist() == [12, 12, 12]
    with pytest.raises(ValueError, match="distinct"):
        live.push([3, 3], np.zeros((2, K, 2)))


def test_person_windows_refuse_a_centre_window():
    with pytest.raises(ValueError, match="look-ahead"):
        PersonWindows(WindowSpec(27, "centre", "videopose3d"))


# --- the networks --------------------------------------------------------------------------------


@pytest.mark.parametrize("widths, frames", [([3, 3, 3], 27), ([3, 3, 3, 3], 81), ([3, 3, 3, 3, 3], 243)])
def test_videopose3d_receptive_fields(widths, frames):
    config = VideoPose3DConfig(in_channels=6, filter_widths=widths, channels=16)
    assert config.window.frames == frames
    model = VideoPose3D(config).eval()
    assert model(torch.zeros(2, frames + 4, K, 6)).shape == (2, 5, K, 3)


@pytest.mark.parametrize("causal", [False, True])
def test_videopose3d_strided_equals_dilated(causal):
    """The one-window (strided) path and the long-sequence (dilated) path share weights and agree."""
    torch.manual_seed(0)
    model = VideoPose3D(VideoPose3DConfig(in_channels=3, filter_widths=[3, 3, 3], channels=32, causal=causal))
    model.train()
    model(torch.randn(8, 40, K, 3))  # move the BatchNorm statistics off their defaults
    model.eval()
    sequence = torch.randn(1, 40, K, 3)
    with torch.no_grad():
        dilated = model(sequence)[0]
        strided = torch.cat([model(sequence[:, t : t + 27]) for t in range(40 - 26)], dim=1)[0]
    torch.testing.assert_close(strided, dilated, atol=1e-5, rtol=1e-4)


def test_causal_videopose3d_ignores_the_future_within_its_window():
    """Changing only the frames after the predicted one leaves a causal model's output unchanged;
    for the symmetric model the frames after the centre matter."""
    torch.manual_seed(1)
    x = torch.randn(1, 30, K, 2)
    later = x.clone()
    later[:, 27:] += 1.0  # frames 27..29: after the first window's last frame
    causal = VideoPose3D(VideoPose3DConfig(filter_widths=[3, 3, 3], channels=16, causal=True)).eval()
    with torch.no_grad():
        torch.testing.assert_close(causal(x)[:, 0], causal(later)[:, 0])
        changed = x.clone()
        changed[:, 14:27] += 1.0  # after the centre of the first window
        symmetric = VideoPose3D(VideoPose3DConfig(filter_widths=[3, 3, 3], channels=16)).eval()
        assert not torch.allclose(symmetric(x)[:, 0], symmetric(changed)[:, 0])


def test_transformer_shapes_and_window_specs():
    poseformer = PoseFormer(PoseFormerConfig(in_channels=6, frames=9, joint_dim=8, depth=1, heads=2)).eval()
    assert poseformer(torch.zeros(3, 9, K, 6)).shape == (3, 1, K, 3)
    assert poseformer.config.window == WindowSpec(9, "centre", "poseformer")
    dst = DSTformer(
        DSTformerConfig(in_channels=2, frames=5, dim=16, depth=2, heads=4, representation=8)
    ).eval()
    assert dst(torch.zeros(3, 5, K, 2)).shape == (3, 5, K, 3)
    assert dst.config.window == WindowSpec(5, "all", "motionbert")
    with pytest.raises(ValueError, match=r"\(batch, 5, 17, 2\)"):
        dst(torch.zeros(3, 6, K, 2))


@pytest.mark.parametrize(
    "family, values, match",
    [
        ("videopose3d", {"filter_widths": [3, 4]}, "odd"),
        ("poseformer", {"frames": 244}, "243"),
        ("poseformer", {"frames": 8}, "odd"),
        ("motionbert", {"dim": 30, "heads": 8}, "divisible"),
        ("motionbert", {"dropuot": 0.1}, "dropuot"),
        ("lstm", {}, "unknown lifter family"),
    ],
)
def test_configs_reject_bad_values(family, values, match):
    with pytest.raises(ValueError, match=match):
        lifter_config(family, values)


def test_transformer_attention_is_permutation_equivariant_over_joints():
    """Spatial attention has no built-in joint order: permuting joints (and their position embedding)
    permutes the DSTformer's output the same way."""
    torch.manual_seed(2)
    model = DSTformer(DSTformerConfig(frames=4, dim=16, depth=1, heads=2, representation=8)).eval()
    x = torch.randn(1, 4, K, 2)
    order = torch.randperm(K)
    with torch.no_grad():
        reference = model(x)
        model.joint_position.data = model.joint_position.data[:, :, order]
        permuted = model(x[:, :, order])
    torch.testing.assert_close(permuted, reference[:, :, order], atol=1e-5, rtol=1e-4)


# --- ONNX ------------------------------------------------------------------------------------------

SMALL = {
    "videopose3d": {"in_channels": 6, "filter_widths": [3, 3, 3], "channels": 32, "causal": True},
    "poseformer": {"in_channels": 6, "frames": 9, "joint_dim": 8, "depth": 1, "heads": 4},
    "motionbert": {"in_channels": 2, "frames": 9, "dim": 16, "depth": 1, "heads": 4, "representation": 16},
}


@pytest.mark.parametrize("family", sorted(SMALL))
def test_onnx_export_matches_torch_and_carries_the_window(family, tmp_path):
    torch.manual_seed(3)
    config = lifter_config(family, SMALL[family])
    model = build_lifter(config).eval()
    path = export_lifter(model, tmp_path / f"{family}.onnx", metadata={"note": "x"})
    lifter = OnnxLifter(path, device="cpu")
    spec = config.window
    assert WindowSpec.from_json(lifter.metadata[TEMPORAL_METADATA_KEY]) == spec
    assert lifter.metadata["note"] == "x"
    assert (lifter.frames, lifter.output_frames, lifter.num_joints, lifter.in_channels) == (
        spec.frames,
        spec.output_frames,
        K,
        config.in_channels,
    )
    x = np.random.default_rng(0).normal(size=(3, spec.frames, K, config.in_channels)).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(lifter.run(x), expected, atol=1e-4, rtol=1e-3)
    assert lifter.run(x[:0]).shape == (0, spec.output_frames, K, 3)
    with pytest.raises(ValueError, match="T, K, C"):
        lifter.run(x[:, :-1])


def test_latency_benchmark_runs_a_family_as_the_node_does(capsys):
    """benchmarks/bench_temporal.py on one variant, one frame: the row is printed with its size."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_temporal.py"
    spec = importlib.util.spec_from_file_location("bench_temporal", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(["--persons", "2", "--repeats", "1", "--variants", "videopose3d-27"])
    row = capsys.readouterr().out.strip().splitlines()[-1].split()
    assert row[0] == "videopose3d-27" and int(row[1]) > 0 and float(row[3]) > 0
