"""Weights management (auglift_ros.runtime.weights, `auglift-ros models`): downloads from a local HTTP server
with files and checksums built here, the cache, verification, name resolution, the CLI, the shipped
manifest, and the depth and detector nodes started with manifest names."""

from __future__ import annotations

import argparse
import hashlib
import io
import threading
import zipfile
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import rclpy
import yaml
from rclpy.parameter import Parameter

from auglift_ros.commands import models as models_command
from auglift_ros.nodes.depth_node import DepthNode
from auglift_ros.nodes.detector_node import DetectorNode
from auglift_ros.runtime import weights
from dds_helpers import start_node_process
from depth_models import write_depth_model
from rtmpose_models import write_person_detector, write_pose_model

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = bytes(range(256)) * 300  # 76 800 bytes: several reads of the server's response
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()
MEMBER = b"the unpacked model" * 100
MEMBER_PATH = "20230831/rtmpose_onnx/some_model/end2end.onnx"
UNREACHABLE = "http://127.0.0.1:9/model.onnx"  # the discard port: nothing listens, connection refused


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


ARCHIVE = _zip({"20230831/rtmpose_onnx/some_model/deploy.json": b"{}", MEMBER_PATH: MEMBER})
ARCHIVE_SHA = hashlib.sha256(ARCHIVE).hexdigest()


class Server:
    """A local HTTP server for the test's files; counts the requests per path."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {"/model.onnx": PAYLOAD, "/bundle.zip": ARCHIVE}
        self.hits: Counter[str] = Counter()
        files, hits = self.files, self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits[self.path] += 1
                body = files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:  # keep pytest's output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    served = Server()
    thread = threading.Thread(target=served.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        served.httpd.shutdown()
        served.httpd.server_close()


def entry(name: str, url: str, **fields: Any) -> dict[str, Any]:
    """A manifest entry: an ONNX depth model with the test payload's checksum unless overridden."""
    return {
        "name": name,
        "url": url,
        "sha256": PAYLOAD_SHA,
        "size": len(PAYLOAD),
        "format": "onnx",
        "use": "depth.model",
        "licence": "Apache-2.0",
        "source": "https://example.org/models",
        **fields,
    }


def write_manifest(folder: Path, *entries: dict[str, Any]) -> Path:
    path = folder / "weights.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "models": list(entries)}, sort_keys=False))
    return path


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache the environment points at (so the nodes and the CLI use it too)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(weights.CACHE_ENV, str(folder))
    return folder


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- fetch ---------------------------------------------------------------------------------------


def test_fetch_downloads_checks_and_lands_at_the_cache_path(
    server: Server, tmp_path: Path, cache: Path
) -> None:
    manifest = write_manifest(tmp_path, entry("tiny", f"{server.url}/model.onnx"))
    hits = server.hits["/model.onnx"]
    result = weights.fetch("tiny", manifest=manifest, progress=False)
    assert (
        result.path == cache / "tiny.onnx" == weights.cached_path(weights.load_manifest(manifest).get("tiny"))
    )
    assert result.path.read_bytes() == PAYLOAD
    assert (result.sha256, result.file_sha256, result.pinned, result.downloaded) == (
        PAYLOAD_SHA,
        PAYLOAD_SHA,
        True,
        True,
    )
    assert leftovers(cache) == ["tiny.onnx", "tiny.onnx.source.json"]  # no temporary file left
    again = weights.fetch("tiny", manifest=manifest, progress=False)
    assert not again.downloaded and again.path == result.path
    assert server.hits["/model.onnx"] == hits + 1  # a valid cached file is not downloaded again


def test_wrong_sha256_is_refused_and_leaves_nothing(server: Server, tmp_path: Path, cache: Path) -> None:
    wrong = "0" * 64
    manifest = write_manifest(tmp_path, entry("tiny", f"{server.url}/model.onnx", sha256=wrong))
    with pytest.raises(weights.ChecksumError) as error:
        weights.fetch("tiny", manifest=manifest, progress=False)
    assert f"has sha256 {PAYLOAD_SHA}, the manifest expects {wrong}" in str(error.value)
    assert leftovers(cache) == []


def test_wrong_size_is_refused_and_leaves_nothing(server: Server, tmp_path: Path, cache: Path) -> None:
    manifest = write_manifest(tmp_path, entry("tiny", f"{server.url}/model.onnx", size=len(PAYLOAD) + 1))
    with pytest.raises(
        weights.ChecksumError, match=f"has {len(PAYLOAD)} bytes, the manifest expects {len(PAYLOAD) + 1}"
    ):
        weights.fetch("tiny", manifest=manifest, progress=False)
    assert leftovers(cache) == []


def test_a_corrupt_cached_file_is_replaced_by_a_new_download(
    server: Server, tmp_path: Path, cache: Path
) -> None:
    manifest = write_manifest(tmp_path, entry("tiny", f"{server.url}/model.onnx"))
    cache.mkdir()
    (cache / "tiny.onnx").write_bytes(b"truncated")
    result = weights.fetch("tiny", manifest=manifest, progress=False)
    assert result.downloaded and result.path.read_bytes() == PAYLOAD


def test_unreachable_url_says_so_and_how_to_place_the_file(tmp_path: Path, cache: Path) -> None:
    manifest = write_manifest(tmp_path, entry("tiny", UNREACHABLE))
    with pytest.raises(weights.OfflineError) as error:
        weights.fetch("tiny", manifest=manifest, progress=False, timeout=5)
    message = str(error.value)
    assert f"tiny: cannot reach {UNREACHABLE}" in message
    assert f"copy it to {cache / 'tiny.onnx'}" in message
    assert "pass the path of a file you have to the node parameter depth.model" in message
    assert leftovers(cache) == []


def test_http_error_is_reported_with_its_status(server: Server, tmp_path: Path, cache: Path) -> None:
    manifest = write_manifest(tmp_path, entry("tiny", f"{server.url}/gone.onnx"))
    with pytest.raises(weights.WeightsError, match=r"gone.onnx answered HTTP 404"):
        weights.fetch("tiny", manifest=manifest, progress=False)
    assert leftovers(cache) == []


def test_unpinned_file_is_fetched_and_reported_unpinned(server: Server, tmp_path: Path, cache: Path) -> None:
    manifest = write_manifest(tmp_path, entry("loose", f"{server.url}/model.onnx", sha256=None, size=None))
    result = weights.fetch("loose", manifest=manifest, progress=False)
    assert (result.pinned, result.sha256, result.path.read_bytes()) == (False, PAYLOAD_SHA, PAYLOAD)
    (status,) = weights.verify(manifest=manifest)
    assert (status.status, status.detail) == (
        weights.UNPINNED,
        f"sha256 {PAYLOAD_SHA}; the manifest pins no checksum",
    )


def test_archive_is_checked_then_its_member_unpacked(server: Server, tmp_path: Path, cache: Path) -> None:
    manifest = write_manifest(
        tmp_path,
        entry(
            "zipped",
            f"{server.url}/bundle.zip",
            sha256=ARCHIVE_SHA,
            size=len(ARCHIVE),
            extract="end2end.onnx",  # by file name: the member's folder is not known in advance
            use="detector.pose_model",
        ),
    )
    result = weights.fetch("zipped", manifest=manifest, progress=False)
    assert result.path == cache / "zipped.onnx" and result.path.read_bytes() == MEMBER
    assert (result.sha256, result.file_sha256) == (ARCHIVE_SHA, hashlib.sha256(MEMBER).hexdigest())
    assert leftovers(cache) == ["zipped.onnx", "zipped.onnx.source.json"]  # the archive is not kept
    (status,) = weights.verify(manifest=manifest)
    assert status.status == weights.OK
    result.path.write_bytes(b"tampered")
    (status,) = weights.verify(manifest=manifest)
    assert status.status == weights.BAD


def test_archive_with_a_wrong_checksum_is_not_unpacked(server: Server, tmp_path: Path, cache: Path) -> None:
    manifest = write_manifest(
        tmp_path,
        entry("zipped", f"{server.url}/bundle.zip", size=len(ARCHIVE), extract="end2end.onnx"),
    )
    with pytest.raises(
        weights.ChecksumError, match=f"has sha256 {ARCHIVE_SHA}, the manifest expects {PAYLOAD_SHA}"
    ):
        weights.fetch("zipped", manifest=manifest, progress=False)
    assert leftovers(cache) == []


def test_missing_member_names_the_archive_contents(server: Server, tmp_path: Path, cache: Path) -> None:
    manifest = write_manifest(
        tmp_path,
        entry("zipped", f"{server.url}/bundle.zip", sha256=None, size=None, extract="model.onnx"),
    )
    with pytest.raises(weights.WeightsError, match=f"no archive members match 'model.onnx'.*{MEMBER_PATH}"):
        weights.fetch("zipped", manifest=manifest, progress=False)
    assert leftovers(cache) == []


def test_archive_placed_by_hand_is_unpacked_offline(tmp_path: Path, cache: Path) -> None:
    url = "http://127.0.0.1:9/bundle.zip"
    manifest = write_manifest(
        tmp_path, entry("zipped", url, sha256=ARCHIVE_SHA, size=len(ARCHIVE), extract="end2end.onnx")
    )
    with pytest.raises(weights.OfflineError) as error:
        weights.fetch("zipped", manifest=manifest, progress=False, timeout=5)
    assert f"copy the archive to {cache / 'bundle.zip'}" in str(error.value)
    (cache / "bundle.zip").write_bytes(ARCHIVE)  # what the message asked for
    result = weights.fetch("zipped", manifest=manifest, progress=False)
    assert not result.downloaded and result.path.read_bytes() == MEMBER
    assert weights.verify(manifest=manifest)[0].status == weights.OK


# --- verify and resolve --------------------------------------------------------------------------


def test_verify_reports_ok_missing_bad_and_unpinned(tmp_path: Path, cache: Path) -> None:
    manifest = write_manifest(
        tmp_path,
        entry("good", UNREACHABLE),
        entry("absent", UNREACHABLE),
        entry("corrupt", UNREACHABLE),
        entry("loose", UNREACHABLE, sha256=None, size=None),
    )
    cache.mkdir()
    (cache / "good.onnx").write_bytes(PAYLOAD)  # placed by hand, as the offline message says
    corrupt = bytearray(PAYLOAD)
    corrupt[100] ^= 1
    (cache / "corrupt.onnx").write_bytes(bytes(corrupt))
    (cache / "loose.onnx").write_bytes(b"anything")
    results = {r.name: r for r in weights.verify(manifest=manifest)}
    assert {n: r.status for n, r in results.items()} == {
        "good": weights.OK,
        "absent": weights.MISSING,
        "corrupt": weights.BAD,
        "loose": weights.UNPINNED,
    }
    assert results["absent"].detail == "run `auglift-ros models fetch absent`"
    corrupt_sha = hashlib.sha256(bytes(corrupt)).hexdigest()
    assert results["corrupt"].detail == (
        f"sha256 {corrupt_sha} ({len(PAYLOAD)} bytes); the manifest expects {PAYLOAD_SHA} ({len(PAYLOAD)})"
    )
    assert [r.name for r in weights.verify(["loose"], manifest=manifest)] == ["loose"]


def test_resolve_weights_path_cached_name_uncached_name_and_unknown(tmp_path: Path, cache: Path) -> None:
    manifest = write_manifest(
        tmp_path,
        entry("cached", UNREACHABLE),
        entry("uncached", UNREACHABLE),
        entry("checkpoint", UNREACHABLE, format="pytorch", use=None),
    )
    own_file = tmp_path / "mine.onnx"
    own_file.write_bytes(b"x")
    assert weights.resolve_weights(own_file, expected_use="depth.model", manifest=manifest) == own_file
    cache.mkdir()
    (cache / "cached.onnx").write_bytes(PAYLOAD)
    assert weights.resolve_weights("cached", expected_use="depth.model", manifest=manifest) == (
        cache / "cached.onnx"
    )
    path, found = weights.resolve_entry("cached", manifest=manifest)
    assert found is not None and found.name == "cached" and path == cache / "cached.onnx"
    with pytest.raises(weights.WeightsError) as error:
        weights.resolve_weights("uncached", expected_use="depth.model", manifest=manifest)
    assert str(error.value) == (
        f"depth model uncached: not downloaded yet (expected at {cache / 'uncached.onnx'}); "
        "run `auglift-ros models fetch uncached`, or pass the path of a file you have"
    )
    with pytest.raises(weights.WeightsError) as error:
        weights.resolve_weights(
            tmp_path / "nothing.onnx", expected_use="detector.pose_model", manifest=manifest
        )
    assert str(error.value).startswith(
        f"pose model {tmp_path / 'nothing.onnx'}: file not found, and not a name in the weights manifest "
        f"{manifest} (known: cached, uncached, checkpoint)"
    )
    with pytest.raises(weights.WeightsError, match=r"'cached' fits depth\.model, not detector\.det_model"):
        weights.resolve_weights("cached", expected_use="detector.det_model", manifest=manifest)
    with pytest.raises(weights.WeightsError, match=r"is a pytorch file no node opens.*export it to ONNX"):
        weights.resolve_weights("checkpoint", expected_use="depth.model", manifest=manifest)
    (cache / "cached.onnx").write_bytes(PAYLOAD[:-1])
    with pytest.raises(weights.WeightsError, match=f"has {len(PAYLOAD) - 1} bytes, the manifest expects"):
        weights.resolve_weights("cached", manifest=manifest)


def test_cache_location_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(weights.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert weights.cache_dir() == tmp_path / "xdg" / "auglift_ros" / "weights"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert weights.cache_dir() == tmp_path / "home" / ".cache" / "auglift_ros" / "weights"
    monkeypatch.setenv(weights.CACHE_ENV, str(tmp_path / "mine"))
    assert weights.cache_dir() == tmp_path / "mine"
    assert weights.cache_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.setenv(weights.MANIFEST_ENV, str(tmp_path / "elsewhere.yaml"))
    assert weights.default_manifest_path() == tmp_path / "elsewhere.yaml"


# --- the manifest --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sha256": "abc"}, r"entry 1 \(tiny\): 'sha256' must be 64 lower-case hex digits or null"),
        ({"size": 0}, r"entry 1 \(tiny\): 'size' must be a positive number of bytes or null"),
        ({"url": "ftp://example.org/x"}, r"entry 1 \(tiny\): 'url' must be an http\(s\) URL"),
        ({"format": "tflite"}, r"entry 1 \(tiny\): 'format' must be one of"),
        ({"use": "lifter.model"}, r"entry 1 \(tiny\): 'use' must be one of"),
        ({"format": "pytorch"}, r"entry 1 \(tiny\): nodes open ONNX files only"),
        ({"model_kind": "ordinal"}, r"entry 1 \(tiny\): 'model_kind' must be one of"),
        ({"licence": ""}, r"entry 1 \(tiny\): 'licence' must be a non-empty string"),
        (
            {"licence_typo": "MIT"},
            r"entry 1 \(tiny\): missing fields \[\], unknown fields \['licence_typo'\]",
        ),
        ({"name": "Bad Name"}, r"entry 1: 'name' must be lower-case letters"),
    ],
)
def test_bad_manifest_entries_are_named(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    path = write_manifest(tmp_path, {**entry("tiny", UNREACHABLE), **change})
    with pytest.raises(weights.ManifestError, match=rf"weights manifest {tmp_path}/weights.yaml: {message}"):
        weights.load_manifest(path)


def test_bad_manifest_files_are_named(tmp_path: Path) -> None:
    path = tmp_path / "weights.yaml"
    with pytest.raises(weights.ManifestError, match=rf"weights manifest {path}: file not found"):
        weights.load_manifest(path)
    path.write_text("models: [unclosed")
    with pytest.raises(weights.ManifestError, match=rf"weights manifest {path}: cannot read it"):
        weights.load_manifest(path)
    path.write_text("version: 1\nmodels: {}\n")
    with pytest.raises(weights.ManifestError, match="expected a mapping with a 'models' list"):
        weights.load_manifest(path)
    write_manifest(tmp_path, entry("tiny", UNREACHABLE), entry("tiny", UNREACHABLE))
    with pytest.raises(weights.ManifestError, match=r"entry 2: duplicate name 'tiny'"):
        weights.load_manifest(path)
    missing = entry("tiny", UNREACHABLE)
    del missing["licence"]
    write_manifest(tmp_path, missing)
    with pytest.raises(weights.ManifestError, match=r"entry 1 \(tiny\): missing fields \['licence'\]"):
        weights.load_manifest(path)


def test_the_shipped_manifest_is_valid_and_complete() -> None:
    manifest = weights.load_manifest(ROOT / "models" / "weights.yaml")
    assert weights.default_manifest_path() == ROOT / "models" / "weights.yaml"
    assert {
        "depth_anything_v2_small",
        "depth_anything_v2_metric_indoor_small",
        "depth_anything_v2_metric_outdoor_small",
        "rtmdet_m_person",
        "rtmpose_m_body7",
    } <= set(manifest.entries)
    for entry_ in manifest.entries.values():
        assert entry_.url.startswith("https://"), entry_.name
        assert entry_.licence and entry_.licence_url and entry_.source.startswith("https://"), entry_.name
        assert entry_.provenance, entry_.name  # where the url, sha256 and size were read
        # A figure is either published (both) or absent (both): never a size without a checksum.
        assert (entry_.sha256 is None) == (entry_.size is None), entry_.name
        assert entry_.size is None or entry_.size > 0, entry_.name
    uses = {e.name: e.use for e in manifest.entries.values()}
    assert uses["depth_anything_v2_small"] == "depth.model"
    assert (
        uses["rtmdet_m_person"] == "detector.det_model" and uses["rtmpose_m_body7"] == "detector.pose_model"
    )
    assert manifest.get("depth_anything_v2_small").model_kind == "relative"
    assert manifest.get("depth_anything_v2_metric_indoor_small").model_kind == "metric"
    assert manifest.get("rtmpose_m_body7").extract == "end2end.onnx"


# --- the CLI -------------------------------------------------------------------------------------


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="auglift-ros")
    models_command.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["models", *argv])
    assert args.func is args.handler
    return args.handler(args)


def test_cli_list_fetch_verify(
    server: Server, tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = str(
        write_manifest(
            tmp_path,
            entry("tiny", f"{server.url}/model.onnx"),
            entry("loose", f"{server.url}/model.onnx", sha256=None, size=None, licence="MIT"),
        )
    )
    assert run_cli("--manifest", manifest, "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "SIZE", "MB", "LICENCE", "CACHED", "PINNED", "USE"]
    assert lines[1].split() == ["tiny", "0.1", "Apache-2.0", "no", "yes", "depth.model"]
    assert lines[2].split() == ["loose", "?", "MIT", "no", "no", "depth.model"]
    assert lines[3:] == [f"manifest: {manifest}", f"cache: {cache}"]

    assert run_cli("--manifest", manifest, "fetch", "--quiet", "tiny", "loose") == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"tiny: downloaded, size and sha256 match the manifest: {cache / 'tiny.onnx'}",
        f"loose: downloaded: {cache / 'loose.onnx'}",
    ]
    assert err.strip() == (
        "auglift-ros models fetch: warning: loose is UNPINNED: the manifest has no sha256 for it, so its "
        f"content was not verified; sha256 of what {server.url}/model.onnx served: {PAYLOAD_SHA}"
    )
    assert run_cli("--manifest", manifest, "list") == 0
    assert [line.split()[3] for line in capsys.readouterr().out.splitlines()[1:3]] == ["yes", "yes"]

    assert run_cli("--manifest", manifest, "verify") == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"tiny   ok: sha256 {PAYLOAD_SHA}",
        f"loose  unpinned: sha256 {PAYLOAD_SHA}; the manifest pins no checksum",
    ]
    (cache / "tiny.onnx").write_bytes(b"corrupt")
    assert run_cli("--manifest", manifest, "verify") == 1
    assert capsys.readouterr().err == "auglift-ros models verify: error: bad checksum: tiny\n"


def test_cli_errors_are_one_line_with_a_nonzero_status(
    tmp_path: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = str(write_manifest(tmp_path, entry("tiny", UNREACHABLE)))
    assert run_cli("--manifest", manifest, "fetch", "--quiet", "tiny") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"auglift-ros models fetch: error: tiny: cannot reach {UNREACHABLE}")
    assert run_cli("--manifest", manifest, "fetch", "nope") == 1
    assert capsys.readouterr().err == (
        f"auglift-ros models fetch: error: 'nope' is not in the weights manifest {manifest} (known: tiny)\n"
    )
    assert run_cli("--manifest", manifest, "fetch") == 1
    assert "name the weights to fetch, or --all" in capsys.readouterr().err
    assert run_cli("--manifest", str(tmp_path / "none.yaml"), "list") == 1
    assert capsys.readouterr().err == (
        f"auglift-ros models list: error: weights manifest {tmp_path / 'none.yaml'}: file not found\n"
    )


# --- the nodes -----------------------------------------------------------------------------------


@pytest.fixture
def ros() -> Iterator[rclpy.Context]:
    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        yield context
    finally:
        rclpy.shutdown(context=context)


@pytest.fixture
def node_manifest(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A manifest the nodes read (through the environment): a cached metric depth model, an
    uncached one, and cached RTMDet/RTMPose-like models, all built by the tests."""
    cache.mkdir()
    depth = write_depth_model(cache / "tiny_depth.onnx")
    det = write_person_detector(cache / "tiny_det.onnx")
    pose = write_pose_model(cache / "tiny_pose.onnx")

    def built(name: str, path: Path, use: str, **fields: Any) -> dict[str, Any]:
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        return entry(name, UNREACHABLE, sha256=sha, size=len(data), use=use, **fields)

    manifest = write_manifest(
        tmp_path,
        built("tiny_depth", depth, "depth.model", model_kind="metric"),
        entry("absent_depth", UNREACHABLE, model_kind="metric"),
        built("tiny_det", det, "detector.det_model"),
        built("tiny_pose", pose, "detector.pose_model"),
    )
    monkeypatch.setenv(weights.MANIFEST_ENV, str(manifest))
    return manifest


def test_depth_node_takes_a_cached_manifest_name(
    ros: rclpy.Context, node_manifest: Path, cache: Path
) -> None:
    node = DepthNode(context=ros, parameter_overrides=[Parameter("model", value="tiny_depth")])
    try:
        assert node._estimator.path == cache / "tiny_depth.onnx"
    finally:
        node.destroy_node()
    with pytest.raises(
        RuntimeError, match=r"depth model absent_depth: not downloaded yet.*models fetch absent_depth"
    ):
        DepthNode(context=ros, parameter_overrides=[Parameter("model", value="absent_depth")])
    with pytest.raises(ValueError, match="tiny_depth is a metric depth model: set model_kind:=metric"):
        DepthNode(
            context=ros,
            parameter_overrides=[
                Parameter("model", value="tiny_depth"),
                Parameter("model_kind", value="relative"),
            ],
        )
    with pytest.raises(RuntimeError, match=r"'tiny_pose' fits detector\.pose_model, not depth\.model"):
        DepthNode(context=ros, parameter_overrides=[Parameter("model", value="tiny_pose")])


def test_detector_node_takes_cached_manifest_names(
    ros: rclpy.Context, node_manifest: Path, cache: Path
) -> None:
    node = DetectorNode(
        context=ros,
        parameter_overrides=[
            Parameter("backend", value="rtmpose_onnx"),
            Parameter("det_model", value="tiny_det"),
            Parameter("pose_model", value="tiny_pose"),
        ],
    )
    try:
        detector = node._detector
        assert (detector.det_path, detector.pose_path) == (cache / "tiny_det.onnx", cache / "tiny_pose.onnx")
    finally:
        node.destroy_node()


def test_depth_node_process_with_an_uncached_name_fails_with_the_fetch_hint(node_manifest: Path) -> None:
    process = start_node_process("auglift_ros.nodes.depth_node", {"model": "absent_depth"})
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 1 and "Traceback" not in output, output
    assert "depth: cannot start: depth model absent_depth: not downloaded yet" in output
    assert "run `auglift-ros models fetch absent_depth`" in output
