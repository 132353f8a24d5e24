"""`auglift-ros models list | fetch NAME... | verify`: the command-line face of auglift_ros.runtime.weights.

`register(subparsers)` registers the `models` subcommand on the `auglift-ros` parser.
Each action returns an exit code and reports failures as one line on stderr (never a traceback):
a robot's setup script must be able to tell "offline" from "checksum mismatch" by reading it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from auglift_ros.runtime import weights

Handler = Callable[[argparse.Namespace], int]


def _manifest(args: argparse.Namespace) -> weights.Manifest:
    return weights.load_manifest(args.manifest)


def _fail(action: str, error: Exception) -> int:
    print(f"auglift-ros models {action}: error: {error}", file=sys.stderr)
    return 1


def _list(args: argparse.Namespace) -> int:
    """A table of the manifest: name, size, licence, whether it is in the cache, whether pinned."""
    try:
        manifest = _manifest(args)
    except weights.WeightsError as error:
        return _fail("list", error)
    rows = [("NAME", "SIZE MB", "LICENCE", "CACHED", "PINNED", "USE")]
    for entry in manifest.entries.values():
        size = f"{entry.size / 1e6:.1f}" if entry.size else "?"
        cached = "yes" if weights.cached_path(entry, args.cache_dir).is_file() else "no"
        pinned = "yes" if entry.pinned else "no"
        rows.append((entry.name, size, entry.licence, cached, pinned, entry.use or f"({entry.format})"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    print(f"manifest: {manifest.path}")
    print(f"cache: {weights.cache_dir(args.cache_dir)}")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    """Fetch the named entries (or all); keeps going after a failure, exit 1 if any failed."""
    try:
        manifest = _manifest(args)
        names = list(manifest.entries) if args.all else args.names
        if not names:
            raise weights.WeightsError(f"name the weights to fetch, or --all (known: {manifest.known()})")
        for name in names:
            manifest.get(name)  # every name is checked before anything is downloaded
    except weights.WeightsError as error:
        return _fail("fetch", error)
    status = 0
    for name in names:
        try:
            result = weights.fetch(
                name, manifest=manifest, cache=args.cache_dir, progress=not args.quiet, force=args.force
            )
        except (weights.WeightsError, OSError) as error:
            status = _fail("fetch", error)
            continue
        how = "downloaded" if result.downloaded else "already in the cache"
        if result.pinned:
            print(f"{name}: {how}, size and sha256 match the manifest: {result.path}")
        else:
            same = result.file_sha256 == result.sha256
            unpacked = "" if same else f" (unpacked file: {result.file_sha256})"
            print(f"{name}: {how}: {result.path}")
            print(
                f"auglift-ros models fetch: warning: {name} is UNPINNED: the manifest has no sha256 for it, "
                f"so its content was not verified; sha256 of what {manifest.get(name).url} served: "
                f"{result.sha256}{unpacked}",
                file=sys.stderr,
            )
    return status


def _verify(args: argparse.Namespace) -> int:
    """Every cached file against the manifest; exit 1 if any is corrupt (missing is not an error)."""
    try:
        results = weights.verify(args.names or None, manifest=_manifest(args), cache=args.cache_dir)
    except (weights.WeightsError, OSError) as error:
        return _fail("verify", error)
    width = max((len(r.name) for r in results), default=0)
    for result in results:
        print(f"{result.name.ljust(width)}  {result.status}: {result.detail}")
    bad = [r.name for r in results if r.status == weights.BAD]
    if bad:
        print(f"auglift-ros models verify: error: bad checksum: {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Register `models` (with `list`, `fetch`, `verify`) on the `auglift-ros` subparsers.

    Each action sets `handler` (what auglift_ros.commands.main.main calls) and `func` (the usual argparse
    name) to the same function returning an exit code."""
    models = subparsers.add_parser(
        "models", help="third-party weights (models/weights.yaml): list, fetch into the user cache, verify"
    )
    models.add_argument(
        "--manifest", help=f"weights manifest (default: ${weights.MANIFEST_ENV} or the package's)"
    )
    models.add_argument(
        "--cache-dir",
        help=f"weights cache (default: ${weights.CACHE_ENV}, else $XDG_CACHE_HOME/auglift_ros/weights)",
    )
    actions = models.add_subparsers(dest="models_command", required=True)

    def action(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, help=help_text)
        parser.set_defaults(handler=handler, func=handler)
        return parser

    action("list", _list, "name, size, licence, cached and pinned state of every manifest entry")
    fetch = action("fetch", _fetch, "download entries into the cache and check their size and sha256")
    fetch.add_argument("names", nargs="*", metavar="NAME", help="manifest names")
    fetch.add_argument("--all", action="store_true", help="every manifest entry")
    fetch.add_argument("--force", action="store_true", help="download again even if the cache is valid")
    fetch.add_argument("--quiet", action="store_true", help="no progress bar")
    verify = action("verify", _verify, "check cached files: ok / missing / bad checksum / unpinned")
    verify.add_argument("names", nargs="*", metavar="NAME", help="only these entries")
