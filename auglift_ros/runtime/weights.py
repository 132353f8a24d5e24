"""Third-party model weights: the manifest (models/weights.yaml), the user cache, checked downloads.

The depth and detector nodes need large third-party files (Depth Anything V2, RTMDet, RTMPose) that
the package cannot ship. The manifest lists for each one where it comes from, its sha256 and size
where a published figure exists, its licence and which node parameter it fits. `fetch` downloads a
file into the user cache and refuses it unless size and sha256 match; `verify` re-checks the cache;
`resolve_weights` turns a node parameter (a file path or a manifest name) into a file. ROS-free:
the `auglift-ros models` command (auglift_ros/commands/models.py) and the nodes share this module.

Cache: `$AUGLIFT_ROS_CACHE`, else `$XDG_CACHE_HOME/auglift_ros/weights`, else
`~/.cache/auglift_ros/weights`. An entry's file there is `<name>.onnx` (or `.pth`). Manifest:
`$AUGLIFT_ROS_WEIGHTS_MANIFEST`, else `weights.yaml` in the package's models folder (source tree or
installed share); every function also takes a `manifest` argument.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlparse
from urllib.request import Request, urlopen

import yaml
from tqdm import tqdm

MANIFEST_ENV = "AUGLIFT_ROS_WEIGHTS_MANIFEST"
CACHE_ENV = "AUGLIFT_ROS_CACHE"
MANIFEST_FILE = "weights.yaml"
FORMATS = {"onnx": ".onnx", "pytorch": ".pth"}
"""Manifest `format` -> suffix of the cached file."""
USES = {
    "depth.model": "depth model",
    "detector.det_model": "person detector model",
    "detector.pose_model": "pose model",
}
"""Manifest `use` (node.parameter, as in config/pipeline.yaml) -> the model's description in errors,
the same words the ONNX loaders use."""
DEPTH_KINDS = ("metric", "relative")
"""As auglift_ros.perception.depth.DEPTH_KINDS; not imported from there to keep cv2 out of the CLI."""
SOURCE_SUFFIX = ".source.json"
"""Beside each fetched file: what was downloaded (url, sha256, archive member), for `verify`."""
CHUNK = 1 << 20
DEFAULT_TIMEOUT = 30.0

OK, MISSING, BAD, UNPINNED = "ok", "missing", "bad checksum", "unpinned"
"""`verify` statuses. Unpinned: the manifest has no sha256, so the file can be present but not checked."""

_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_REQUIRED = ("name", "url", "sha256", "size", "format", "use", "licence", "source")
_OPTIONAL = (
    "description",
    "model_kind",
    "input_size",
    "extract",
    "licence_url",
    "licence_notes",
    "provenance",
)


class WeightsError(RuntimeError):
    """A weights file cannot be found, fetched or trusted; the message says what to do."""


class ManifestError(WeightsError):
    """The manifest is unreadable or an entry is malformed; the message names the file and entry."""


class ChecksumError(WeightsError):
    """A file's size or sha256 differs from the manifest's."""


class OfflineError(WeightsError):
    """The download URL could not be reached; the message says how to place the file by hand."""


@dataclass(frozen=True)
class WeightsEntry:
    """One file of the manifest (see models/weights.yaml for the fields)."""

    name: str
    url: str
    sha256: str | None
    size: int | None
    format: str
    use: str | None
    licence: str
    source: str
    description: str = ""
    model_kind: str | None = None
    input_size: str | None = None
    extract: str | None = None
    licence_url: str | None = None
    licence_notes: str | None = None
    provenance: str | None = None

    @property
    def pinned(self) -> bool:
        return self.sha256 is not None

    @property
    def filename(self) -> str:
        """The file's name in the cache."""
        return self.name + FORMATS[self.format]

    @property
    def archive_name(self) -> str:
        """The downloaded archive's file name (the URL's last path segment), for extract entries."""
        return Path(urlparse(self.url).path).name or f"{self.name}.zip"


@dataclass(frozen=True)
class Manifest:
    path: Path
    entries: dict[str, WeightsEntry]

    def get(self, name: str) -> WeightsEntry:
        """The named entry; WeightsError listing the known names otherwise."""
        if name not in self.entries:
            raise WeightsError(f"{name!r} is not in the weights manifest {self.path} (known: {self.known()})")
        return self.entries[name]

    def known(self) -> str:
        return ", ".join(self.entries) or "none"


@dataclass(frozen=True)
class FetchResult:
    name: str
    path: Path
    sha256: str
    """sha256 of what the URL served (the archive for extract entries)."""
    file_sha256: str
    """sha256 of the cached file (the unpacked member for extract entries)."""
    pinned: bool
    downloaded: bool
    """False when a valid cached file (or a hand-placed archive) made the download unnecessary."""


@dataclass(frozen=True)
class VerifyResult:
    name: str
    status: str
    path: Path
    detail: str = ""


def default_manifest_path() -> Path:
    """`$AUGLIFT_ROS_WEIGHTS_MANIFEST`, else the first models folder (source tree, then installed
    share) that holds weights.yaml."""
    if os.environ.get(MANIFEST_ENV):
        return Path(os.environ[MANIFEST_ENV]).expanduser()
    from auglift_ros.runtime.models import model_dirs  # lazily: it imports onnxruntime

    folders = model_dirs()
    for folder in folders:
        if (folder / MANIFEST_FILE).is_file():
            return folder / MANIFEST_FILE
    return folders[0] / MANIFEST_FILE


def cache_dir(directory: str | Path | None = None) -> Path:
    """Where fetched weights live (see the module docstring); not created here."""
    if directory is not None:
        return Path(directory).expanduser()
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "auglift_ros" / "weights"


def cached_path(entry: WeightsEntry, directory: str | Path | None = None) -> Path:
    """The exact path the entry's file has in the cache (fetched or placed there by hand)."""
    return cache_dir(directory) / entry.filename


def _source_path(path: Path) -> Path:
    return path.with_name(path.name + SOURCE_SUFFIX)


def load_manifest(path: str | Path | None = None) -> Manifest:
    """Read and validate a manifest (default: `default_manifest_path()`); ManifestError names the
    file and the entry for anything malformed."""
    path = Path(path).expanduser() if path is not None else default_manifest_path()
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise ManifestError(f"weights manifest {path}: file not found") from exc
    except (OSError, yaml.YAMLError) as exc:
        raise ManifestError(f"weights manifest {path}: cannot read it ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise ManifestError(f"weights manifest {path}: expected a mapping with a 'models' list")
    if data.get("version") != 1:
        version = data.get("version")
        raise ManifestError(f"weights manifest {path}: unsupported version {version!r} (expected 1)")
    entries: dict[str, WeightsEntry] = {}
    for index, raw in enumerate(data["models"]):
        entry = _parse_entry(raw, f"weights manifest {path}: entry {index + 1}")
        if entry.name in entries:
            raise ManifestError(f"weights manifest {path}: entry {index + 1}: duplicate name {entry.name!r}")
        entries[entry.name] = entry
    return Manifest(path=path, entries=entries)


def _parse_entry(raw: object, where: str) -> WeightsEntry:
    """One validated entry; `where` names the file and entry in every error."""
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: expected a mapping, got {type(raw).__name__}")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ManifestError(f"{where}: 'name' must be lower-case letters, digits and '_', got {name!r}")
    where = f"{where} ({name})"
    missing = [key for key in _REQUIRED if key not in raw]
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL))
    if missing or unknown:
        raise ManifestError(f"{where}: missing fields {missing}, unknown fields {unknown}")

    def text(key: str, *, optional: bool) -> str | None:
        value = raw.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            raise ManifestError(f"{where}: {key!r} must be a non-empty string, got {value!r}")
        return value.strip()

    url = text("url", optional=False)
    if urlparse(url).scheme not in ("http", "https") or not urlparse(url).netloc:
        raise ManifestError(f"{where}: 'url' must be an http(s) URL, got {url!r}")
    sha256, size = raw["sha256"], raw["size"]
    if sha256 is not None and (not isinstance(sha256, str) or not _SHA256.match(sha256)):
        raise ManifestError(f"{where}: 'sha256' must be 64 lower-case hex digits or null, got {sha256!r}")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size <= 0):
        raise ManifestError(f"{where}: 'size' must be a positive number of bytes or null, got {size!r}")
    if raw["format"] not in FORMATS:
        raise ManifestError(f"{where}: 'format' must be one of {sorted(FORMATS)}, got {raw['format']!r}")
    if raw["use"] is not None and raw["use"] not in USES:
        raise ManifestError(f"{where}: 'use' must be one of {sorted(USES)} or null, got {raw['use']!r}")
    if raw["use"] is not None and raw["format"] != "onnx":
        raise ManifestError(f"{where}: nodes open ONNX files only; a {raw['format']} file needs use: null")
    model_kind = raw.get("model_kind")
    if model_kind is not None and model_kind not in DEPTH_KINDS:
        raise ManifestError(f"{where}: 'model_kind' must be one of {DEPTH_KINDS} or null, got {model_kind!r}")
    input_size = raw.get("input_size")
    return WeightsEntry(
        name=name,
        url=url,
        sha256=sha256,
        size=size,
        format=raw["format"],
        use=raw["use"],
        licence=text("licence", optional=False) or "",
        source=text("source", optional=False) or "",
        description=text("description", optional=True) or "",
        model_kind=model_kind,
        input_size=None if input_size is None else str(input_size),
        extract=text("extract", optional=True),
        licence_url=text("licence_url", optional=True),
        licence_notes=text("licence_notes", optional=True),
        provenance=text("provenance", optional=True),
    )


def _manifest(manifest: Manifest | str | Path | None) -> Manifest:
    return manifest if isinstance(manifest, Manifest) else load_manifest(manifest)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check(entry: WeightsEntry, what: str, size: int, sha256: str) -> None:
    """ChecksumError naming expected and actual values unless size and sha256 match the manifest."""
    if entry.size is not None and size != entry.size:
        raise ChecksumError(f"{entry.name}: {what} has {size} bytes, the manifest expects {entry.size}")
    if entry.sha256 is not None and sha256 != entry.sha256:
        raise ChecksumError(f"{entry.name}: {what} has sha256 {sha256}, the manifest expects {entry.sha256}")


@contextlib.contextmanager
def _temporary(folder: Path, name: str) -> Iterator[tuple[IO[bytes], Path]]:
    """A new file in folder (so the final rename is atomic), deleted unless the caller moved it."""
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix=f".{name}.", suffix=".part", delete=False)
    path = Path(handle.name)
    try:
        yield handle, path
    finally:
        handle.close()
        path.unlink(missing_ok=True)


def _by_hand(entry: WeightsEntry, folder: Path) -> str:
    """How to install the entry without network access from this machine."""
    if entry.extract:
        place = (
            f"download it on a machine with network access, copy the archive to "
            f"{folder / entry.archive_name} "
            f"and run `auglift-ros models fetch {entry.name}` again (it checks and unpacks it offline)"
        )
    else:
        place = (
            f"download it on a machine with network access and copy it to {folder / entry.filename} "
            "(`auglift-ros models verify` checks it)"
        )
    node = f" to the node parameter {entry.use}" if entry.use else ""
    return f"To install it by hand: {place}; or pass the path of a file you have{node} instead of the name."


def _download(
    entry: WeightsEntry, folder: Path, target: Path, *, progress: bool, timeout: float
) -> tuple[int, str]:
    """Stream entry.url into a temporary file in folder, then rename it to target; (size, sha256).
    The renamed file is not yet checked against the manifest (the caller does that)."""
    request = Request(entry.url, headers={"User-Agent": "auglift-ros weights fetch"})
    try:
        response = urlopen(request, timeout=timeout)
    except HTTPError as exc:
        raise WeightsError(
            f"{entry.name}: {entry.url} answered HTTP {exc.code} {exc.reason}. {_by_hand(entry, folder)}"
        ) from exc
    except (URLError, OSError, http.client.HTTPException) as exc:  # no route, DNS, refused, timeout
        reason = getattr(exc, "reason", exc)
        raise OfflineError(
            f"{entry.name}: cannot reach {entry.url} ({reason}); are you offline? {_by_hand(entry, folder)}"
        ) from exc
    digest, size = hashlib.sha256(), 0
    length = response.headers.get("Content-Length")
    total = int(length) if length and length.isdigit() else entry.size
    with response, _temporary(folder, entry.name) as (handle, part):
        try:
            with tqdm(total=total, unit="B", unit_scale=True, desc=entry.name, disable=not progress) as bar:
                while chunk := response.read(CHUNK):
                    handle.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    bar.update(len(chunk))
        except (URLError, OSError, http.client.HTTPException) as exc:  # e.g. IncompleteRead
            raise OfflineError(
                f"{entry.name}: the download from {entry.url} broke off after {size} bytes ({exc}). "
                f"{_by_hand(entry, folder)}"
            ) from exc
        handle.close()
        _check(entry, f"the download from {entry.url}", size, digest.hexdigest())
        os.replace(part, target)
    return size, digest.hexdigest()


def _find_member(names: list[str], wanted: str) -> str:
    """The archive member named exactly `wanted`, else the only one whose file name is `wanted`."""
    if wanted in names:
        return wanted
    matches = [n for n in names if n.rsplit("/", 1)[-1] == wanted]
    if len(matches) == 1:
        return matches[0]
    listing = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    raise WeightsError(f"{len(matches) or 'no'} archive members match {wanted!r} (members: {listing})")


def _unpack(entry: WeightsEntry, archive: Path, target: Path) -> tuple[str, int, str]:
    """Write the entry's member of archive to target atomically; (member, size, sha256)."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            member = _find_member(zipped.namelist(), entry.extract or "")
            digest, size = hashlib.sha256(), 0
            with zipped.open(member) as source, _temporary(target.parent, entry.name) as (handle, part):
                while chunk := source.read(CHUNK):
                    handle.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                handle.close()
                os.replace(part, target)
    except (zipfile.BadZipFile, WeightsError) as exc:
        raise WeightsError(f"{entry.name}: archive {archive}: {exc}") from exc
    return member, size, digest.hexdigest()


def _write_source(target: Path, record: dict[str, Any]) -> None:
    with _temporary(target.parent, target.name) as (handle, part):
        handle.write(json.dumps(record, indent=1).encode())
        handle.close()
        os.replace(part, _source_path(target))


def _read_source(target: Path) -> dict[str, Any]:
    try:
        record = json.loads(_source_path(target).read_text())
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def fetch(
    name: str,
    *,
    manifest: Manifest | str | Path | None = None,
    cache: str | Path | None = None,
    progress: bool = True,
    force: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> FetchResult:
    """Download a manifest entry into the cache, check its size and sha256, rename it into place.

    Nothing is downloaded if the cached file already matches a pinned entry (or exists, for an
    unpinned one) unless `force`. For an archive entry, an archive the user copied into the cache by
    hand is used instead of the network. A mismatch raises ChecksumError and leaves no file behind;
    an unreachable URL raises OfflineError with instructions to place the file by hand."""
    entry = _manifest(manifest).get(name)
    folder = cache_dir(cache)
    target = cached_path(entry, folder)
    if not force and target.is_file():
        record = _read_source(target)
        current = verify_entry(entry, folder)
        if current.status in (OK, UNPINNED):
            file_sha = record.get("sha256") or sha256_file(target)
            return FetchResult(
                name, target, record.get("url_sha256") or file_sha, file_sha, entry.pinned, downloaded=False
            )
    folder.mkdir(parents=True, exist_ok=True)
    if not entry.extract:
        _, digest = _download(entry, folder, target, progress=progress, timeout=timeout)
        _write_source(target, {"url": entry.url, "url_sha256": digest, "sha256": digest})
        return FetchResult(name, target, digest, digest, entry.pinned, downloaded=True)

    archive = folder / entry.archive_name
    downloaded = not archive.is_file()
    if downloaded:
        with _temporary(folder, f"{entry.name}.archive") as (handle, staged):
            handle.close()  # only its unique name is needed: _download renames the archive onto it
            _download(entry, folder, staged, progress=progress, timeout=timeout)
            archive_sha = sha256_file(staged)
            member, _, digest = _unpack(entry, staged, target)
    else:  # placed by hand (see _by_hand): check it as a download would be, but leave it where it is
        archive_sha = sha256_file(archive)
        _check(entry, f"the archive {archive}", archive.stat().st_size, archive_sha)
        member, _, digest = _unpack(entry, archive, target)
    _write_source(target, {"url": entry.url, "url_sha256": archive_sha, "member": member, "sha256": digest})
    return FetchResult(name, target, archive_sha, digest, entry.pinned, downloaded=downloaded)


def verify_entry(entry: WeightsEntry, cache: str | Path | None = None) -> VerifyResult:
    """The cached file of one entry against the manifest (and, for unpacked archives, the record of
    what fetch unpacked)."""
    path = cached_path(entry, cache)
    if not path.is_file():
        return VerifyResult(entry.name, MISSING, path, f"run `auglift-ros models fetch {entry.name}`")
    actual = sha256_file(path)
    record = _read_source(path)
    if entry.extract:
        if record.get("sha256") not in (None, actual):
            detail = f"sha256 {actual} differs from the {record['sha256']} fetch unpacked"
            return VerifyResult(entry.name, BAD, path, detail)
        if entry.pinned:
            if record.get("url_sha256") != entry.sha256 or record.get("sha256") != actual:
                detail = (
                    f"no record that it was unpacked from the archive with sha256 {entry.sha256}; "
                    f"run `auglift-ros models fetch --force {entry.name}`"
                )
                return VerifyResult(entry.name, BAD, path, detail)
            return VerifyResult(entry.name, OK, path, f"unpacked from the pinned archive, sha256 {actual}")
    elif entry.pinned:
        size = path.stat().st_size
        if actual != entry.sha256 or (entry.size is not None and size != entry.size):
            detail = f"sha256 {actual} ({size} bytes); the manifest expects {entry.sha256} ({entry.size})"
            return VerifyResult(entry.name, BAD, path, detail)
        return VerifyResult(entry.name, OK, path, f"sha256 {actual}")
    elif record.get("sha256") not in (None, actual):
        detail = f"sha256 {actual} differs from the {record['sha256']} that was downloaded"
        return VerifyResult(entry.name, BAD, path, detail)
    return VerifyResult(entry.name, UNPINNED, path, f"sha256 {actual}; the manifest pins no checksum")


def verify(
    names: Iterable[str] | None = None,
    *,
    manifest: Manifest | str | Path | None = None,
    cache: str | Path | None = None,
) -> list[VerifyResult]:
    """Every (or each named) manifest entry's cached file: ok / missing / bad checksum / unpinned."""
    loaded = _manifest(manifest)
    entries = [loaded.get(n) for n in names] if names is not None else list(loaded.entries.values())
    return [verify_entry(entry, cache) for entry in entries]


def resolve_entry(
    name_or_path: str | Path,
    *,
    expected_use: str | None = None,
    manifest: Manifest | str | Path | None = None,
    cache: str | Path | None = None,
) -> tuple[Path, WeightsEntry | None]:
    """`resolve_weights`, and the manifest entry when the value was a name (None for a path)."""
    if expected_use is not None and expected_use not in USES:
        raise ValueError(f"expected_use must be one of {sorted(USES)}, got {expected_use!r}")
    described = USES.get(expected_use or "", "model")
    value = str(name_or_path)
    path = Path(value).expanduser()
    if value and path.is_file():
        return path, None
    loaded = _manifest(manifest)
    if value not in loaded.entries:
        raise WeightsError(
            f"{described} {value}: file not found, and not a name in the weights manifest {loaded.path} "
            f"(known: {loaded.known()}); give the path of an existing file or one of those names"
        )
    entry = loaded.entries[value]
    if expected_use is not None and entry.use != expected_use:
        fits = f"fits {entry.use}" if entry.use else f"is a {entry.format} file no node opens"
        hint = " (export it to ONNX and pass the .onnx path)" if entry.format != "onnx" else ""
        raise WeightsError(
            f"{described} {value}: the weights manifest entry {value!r} {fits}, not {expected_use}{hint}"
        )
    target = cached_path(entry, cache)
    if not target.is_file():
        raise WeightsError(
            f"{described} {value}: not downloaded yet (expected at {target}); "
            f"run `auglift-ros models fetch {value}`, or pass the path of a file you have"
        )
    if entry.size is not None and not entry.extract and target.stat().st_size != entry.size:
        raise WeightsError(
            f"{described} {value}: the cached {target} has {target.stat().st_size} bytes, the manifest "
            f"expects {entry.size}; run `auglift-ros models fetch {value}` to replace it"
        )
    return target, entry


def resolve_weights(
    name_or_path: str | Path,
    *,
    expected_use: str | None = None,
    manifest: Manifest | str | Path | None = None,
    cache: str | Path | None = None,
) -> Path:
    """The file a node parameter means: an existing path as is, a manifest name as its cached file.

    WeightsError (a RuntimeError) says `auglift-ros models fetch NAME` for a name not yet fetched,
    names both possibilities for anything else, and refuses an entry made for another parameter
    (`expected_use`, e.g. "depth.model"). The manifest is read only when the value is not a file."""
    return resolve_entry(name_or_path, expected_use=expected_use, manifest=manifest, cache=cache)[0]
