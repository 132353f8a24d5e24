"""Tests for the SimpleBaseline lifter, its ONNX export and the onnxruntime wrapper."""

from __future__ import annotations

import ctypes
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from auglift_ros.core import onnx_session
from auglift_ros.core.lifters import (
    ModelLoadError,
    OnnxLifter,
    SimpleBaseline,
    SimpleBaselineConfig,
    cuda_available,
    export_onnx,
    select_providers,
)

K = 17
HIDDEN = 64
# The tests asserting "no CUDA" describe a CPU-only machine; they make no sense where a GPU exists.
cpu_only = pytest.mark.skipif(Path("/dev/nvidiactl").exists(), reason="an NVIDIA device is present")


def make_model(in_channels: int, *, seed: int = 0, blocks: int = 2) -> SimpleBaseline:
    """A random model whose BatchNorm layers are far from identity, so export errors would show."""
    torch.manual_seed(seed)
    model = SimpleBaseline(
        SimpleBaselineConfig(num_joints=K, in_channels=in_channels, hidden=HIDDEN, blocks=blocks)
    )
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm1d):
                module.running_mean.normal_(0.0, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0.0, 0.2)
    return model.eval()


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[SimpleBaseline, Path]:
    model = make_model(4)
    path = export_onnx(model, tmp_path_factory.mktemp("onnx") / "lifter.onnx", input_shape=(K, 4))
    return model, path


# --- config ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("num_joints", 0),
        ("in_channels", -1),
        ("hidden", 0),
        ("blocks", 0),
        ("hidden", 2.5),
        ("in_channels", True),
        ("dropout", 1.0),
        ("dropout", -0.1),
    ],
)
def test_config_rejects_bad_values(field, value):
    with pytest.raises(ValueError, match=field):
        SimpleBaselineConfig(**{field: value})


def test_config_defaults_and_dict_round_trip():
    cfg = SimpleBaselineConfig()
    assert (cfg.num_joints, cfg.in_channels, cfg.hidden, cfg.blocks, cfg.dropout) == (17, 2, 1024, 2, 0.5)
    custom = SimpleBaselineConfig(num_joints=33, in_channels=6, hidden=128, blocks=3, dropout=0.0)
    data = json.loads(json.dumps(custom.to_dict()))
    assert SimpleBaselineConfig.from_dict(data) == custom
    with pytest.raises(ValueError, match="hiden"):
        SimpleBaselineConfig.from_dict({"hiden": 3})


# --- torch model -------------------------------------------------------------------------------


@pytest.mark.parametrize("in_channels", [2, 3, 4, 6])
def test_model_shapes(in_channels):
    model = make_model(in_channels, blocks=1)
    first = model.input[0]
    assert isinstance(first, torch.nn.Linear)
    assert first.in_features == K * in_channels
    assert model.output.out_features == K * 3
    assert model.config.in_channels == in_channels
    y = model(torch.randn(5, K, in_channels))
    assert y.shape == (5, K, 3)
    assert torch.isfinite(y).all()


def test_model_has_configured_residual_blocks():
    model = SimpleBaseline(SimpleBaselineConfig(hidden=HIDDEN, blocks=3))
    assert len(model.blocks) == 3
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 1 + 2 * 3 + 1


def test_model_rejects_wrong_input_shape():
    model = make_model(2)
    with pytest.raises(ValueError, match=r"\(batch, 17, 2\)"):
        model(torch.randn(4, K, 3))


# --- export + runtime ----------------------------------------------------------------------------


@pytest.mark.parametrize("batch", [1, 8, 33])
def test_onnx_matches_torch(exported, batch):
    model, path = exported
    lifter = OnnxLifter(path, device="cpu", threads=1)
    x = np.random.default_rng(batch).normal(size=(batch, K, 4)).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    y = lifter.run(x)
    assert y.dtype == np.float32
    assert y.shape == (batch, K, 3)
    np.testing.assert_allclose(y, expected, atol=1e-4, rtol=0)


def test_runtime_reads_interface_and_casts_input(exported):
    model, path = exported
    lifter = OnnxLifter(path)
    assert lifter.path == path
    assert (lifter.num_joints, lifter.in_channels) == (K, 4)
    assert lifter.providers == ["CPUExecutionProvider"] or "CUDAExecutionProvider" in lifter.providers
    assert lifter.metadata == {}
    x64 = np.random.default_rng(0).normal(size=(3, K, 4))  # float64, and made non-contiguous below
    x64 = np.asfortranarray(x64)
    with torch.no_grad():
        expected = model(torch.from_numpy(x64.astype(np.float32))).numpy()
    np.testing.assert_allclose(lifter.run(x64), expected, atol=1e-4, rtol=0)


def test_empty_batch(exported):
    _, path = exported
    lifter = OnnxLifter(path, device="cpu")
    y = lifter.run(np.zeros((0, K, 4), dtype=np.float32))
    assert y.shape == (0, K, 3)
    assert y.dtype == np.float32


def test_export_uses_eval_mode_restores_mode_and_creates_parents(tmp_path):
    model = make_model(2)
    model.train()
    path = export_onnx(model, tmp_path / "a" / "b" / "m.onnx", input_shape=(K, 2))
    assert path.is_file()
    assert model.training
    model.eval()
    x = np.random.default_rng(2).normal(size=(4, K, 2)).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(OnnxLifter(path, device="cpu").run(x), expected, atol=1e-4, rtol=0)


def test_metadata_round_trip(tmp_path):
    norm = json.dumps({"xy": "root_relative_bbox", "depth_scale": 0.001, "channels": ["x", "y", "conf"]})
    meta = {"normalisation": norm, "joint_layout": "h36m17"}
    path = export_onnx(make_model(3), tmp_path / "m.onnx", input_shape=(K, 3), metadata=meta)
    lifter = OnnxLifter(path, device="cpu")
    assert lifter.metadata == meta
    assert json.loads(lifter.metadata["normalisation"])["depth_scale"] == 0.001


def test_metadata_must_be_strings(tmp_path):
    with pytest.raises(TypeError, match="depth_scale"):
        export_onnx(make_model(2), tmp_path / "m.onnx", input_shape=(K, 2), metadata={"depth_scale": 1.0})
    assert not (tmp_path / "m.onnx").exists()


# --- load errors ---------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "nope.onnx"
    with pytest.raises(ModelLoadError, match="not found") as info:
        OnnxLifter(path)
    assert str(path) in str(info.value)


def test_corrupt_file(tmp_path):
    path = tmp_path / "random.onnx"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, size=4096, dtype=np.uint8).tobytes())
    with pytest.raises(ModelLoadError) as info:
        OnnxLifter(path)
    assert str(path) in str(info.value)


def test_truncated_file(exported, tmp_path):
    _, good = exported
    data = good.read_bytes()
    path = tmp_path / "truncated.onnx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelLoadError) as info:
        OnnxLifter(path)
    assert str(path) in str(info.value)


def test_directory_is_not_a_model(tmp_path):
    with pytest.raises(ModelLoadError, match="not found"):
        OnnxLifter(tmp_path)


class _TwoDOut(torch.nn.Module):
    """A valid ONNX model with the wrong interface: (batch, K, C) -> (batch, K, C) with C != 3."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 2.0


def test_wrong_interface(tmp_path):
    path = export_onnx(_TwoDOut(), tmp_path / "m.onnx", input_shape=(K, 2))
    with pytest.raises(ModelLoadError, match=r"\(batch, \[T_out,\] K, 3\)") as info:
        OnnxLifter(path)
    assert str(path) in str(info.value)


# --- input validation ----------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(K, 4), (2, K, 3), (2, 16, 4), (1, 2, K, 4)])
def test_wrong_feature_shape(exported, shape):
    _, path = exported
    lifter = OnnxLifter(path, device="cpu")
    with pytest.raises(ValueError, match=r"expected features of shape \(batch, K, C\).*got"):
        lifter.run(np.zeros(shape, dtype=np.float32))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_rejected(exported, bad):
    _, path = exported
    lifter = OnnxLifter(path, device="cpu")
    x = np.zeros((2, K, 4), dtype=np.float32)
    x[1, 5, 2] = bad
    with pytest.raises(ValueError, match="NaN"):
        lifter.run(x)


def test_bad_threads_and_device(exported):
    _, path = exported
    with pytest.raises(ValueError, match="threads"):
        OnnxLifter(path, threads=0)
    with pytest.raises(ValueError, match="device"):
        OnnxLifter(path, device="gpu")


# --- providers -----------------------------------------------------------------------------------


@cpu_only
def test_no_cuda_on_this_machine():
    assert cuda_available() is False
    assert select_providers("auto") == ["CPUExecutionProvider"]
    assert select_providers("cpu") == ["CPUExecutionProvider"]
    with pytest.raises(RuntimeError, match="CUDA"):
        select_providers("cuda")


@cpu_only
def test_auto_device_is_silent(exported, capfd):
    _, path = exported
    onnx_session.cuda_available.cache_clear()
    capfd.readouterr()
    lifter = OnnxLifter(path, device="auto")
    lifter.run(np.zeros((1, K, 4), dtype=np.float32))
    out, err = capfd.readouterr()
    assert "cuda" not in err.lower()
    assert "cuda" not in out.lower()
    assert lifter.providers == ["CPUExecutionProvider"]


def test_select_providers_rejects_unknown_device():
    with pytest.raises(ValueError, match="auto"):
        select_providers("tpu")


class _FakeDriver:
    """Stands in for libcuda.so.1 so the probe logic is tested on any machine."""

    def __init__(self, init_status: int, count: int) -> None:
        self.init_status, self.count = init_status, count

    def cuInit(self, flags: int) -> int:  # noqa: N802 - mirrors the driver API name
        return self.init_status

    def cuDeviceGetCount(self, out: object) -> int:  # noqa: N802 - mirrors the driver API name
        ctypes.cast(out, ctypes.POINTER(ctypes.c_int))[0] = self.count
        return 0


@pytest.fixture
def fake_cuda(monkeypatch):
    """Install a fake driver and CUDA provider; returns a setter taking (init_status, count)."""

    def install(init_status: int, count: int) -> None:
        monkeypatch.setattr(onnx_session.ctypes, "CDLL", lambda name: _FakeDriver(init_status, count))
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
        monkeypatch.setattr(onnx_session.ort, "get_available_providers", lambda: providers)
        onnx_session.cuda_available.cache_clear()

    yield install
    onnx_session.cuda_available.cache_clear()


@pytest.mark.parametrize(("init_status", "count", "expected"), [(0, 1, True), (0, 0, False), (100, 1, False)])
def test_cuda_probe_logic(fake_cuda, init_status, count, expected):
    fake_cuda(init_status, count)
    assert cuda_available() is expected
    auto = select_providers("auto")
    assert auto == (
        ["CUDAExecutionProvider", "CPUExecutionProvider"] if expected else ["CPUExecutionProvider"]
    )


def test_cuda_probe_missing_driver(monkeypatch):
    def no_driver(name: str) -> None:
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(onnx_session.ctypes, "CDLL", no_driver)
    onnx_session.cuda_available.cache_clear()
    try:
        assert cuda_available() is False
    finally:
        onnx_session.cuda_available.cache_clear()
