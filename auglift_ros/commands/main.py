"""The `auglift-ros` command: one entry point, a subcommand per job.

Each subcommand family is a module of this folder that owns its arguments (`register`) and imports
what it runs only when it runs, so `auglift-ros --help` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from auglift_ros.commands import bags, benchmark, demos, models, pipeline, training

FAMILIES = (demos, training, bags, pipeline, models, benchmark)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="auglift-ros", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for family in FAMILIES:
        family.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except (ValueError, OSError, RuntimeError) as exc:
        print(f"auglift-ros {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"auglift-ros {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())


if __name__ == "__main__":
    sys.exit(main())
