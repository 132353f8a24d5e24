"""`auglift-ros benchmark footage`: accuracy on real footage (commands/footage_benchmark.py)."""

from __future__ import annotations

import argparse


def _footage(args: argparse.Namespace) -> int:
    from auglift_ros.commands.footage_benchmark import markdown_table, run_footage_benchmark

    results = run_footage_benchmark(
        args.out,
        model=args.model,
        fallback_model=args.fallback_model,
        max_frames=args.max_frames or None,
        progress=not args.no_progress,
    )
    print(markdown_table(results), end="")
    print(f"[benchmark] results.json, results.md and results.png in {args.out}")
    if args.record_in_card:
        from auglift_ros.commands.footage_benchmark import record_in_card
        from auglift_ros.runtime.models import card_path

        card = card_path(results["model"])
        record_in_card(results, card)
        print(f"[benchmark] figures recorded in {card}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `benchmark` (with the action `footage`) to the `auglift-ros` subcommands."""
    benchmark = subparsers.add_parser("benchmark", help="accuracy benchmarks on real footage")
    actions = benchmark.add_subparsers(dest="benchmark_command", required=True)
    footage = actions.add_parser(
        "footage",
        help="our lifter vs MediaPipe's world landmarks on the pose2sim 4-view footage, each view in turn",
    )
    footage.add_argument(
        "--out", default="out/benchmark_footage", help="output folder (default: %(default)s)"
    )
    footage.add_argument("--model", default=None, help="lifter model (default: the lifter node's)")
    footage.add_argument(
        "--fallback-model",
        default=None,
        help="no-depth model, which is what runs here ('' = none; default: the lifter node's)",
    )
    footage.add_argument("--max-frames", type=int, default=0, help="frames per view; 0 = all")
    footage.add_argument("--no-progress", action="store_true", help="no progress bars")
    footage.add_argument(
        "--record-in-card", action="store_true", help="write the figures into the lifted model's card"
    )
    footage.set_defaults(handler=_footage)
