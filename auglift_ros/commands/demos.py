"""`auglift-ros demo` (real footage) and `auglift-ros simulated-demo` (generated poses)."""

from __future__ import annotations

import argparse


def _demo(args: argparse.Namespace) -> int:
    from auglift_ros.commands.footage_demo import run_demo

    return run_demo(args.out, depth_model=args.depth_model, max_frames=args.max_frames or None)


def _simulated_demo(args: argparse.Namespace) -> int:
    from auglift_ros.commands.simulated_demo import run_demo

    return run_demo(out_dir=args.out, seed=args.seed, quick=args.quick)


def register(sub: argparse._SubParsersAction) -> None:
    """Add `demo` and `simulated-demo` to the `auglift-ros` subcommands."""
    demo = sub.add_parser(
        "demo",
        help="the pipeline on real footage (pose2sim): bag, 3D skeletons, accuracy vs 4-view triangulation",
    )
    demo.add_argument("--out", default="out/demo", help="output folder, replaced (default: %(default)s)")
    demo.add_argument(
        "--depth-model",
        default="depth_anything_v2_small",
        help="Depth Anything V2 ONNX path or weights-manifest name; used when present (default: %(default)s)",
    )
    demo.add_argument("--max-frames", type=int, default=0, help="frames of the video; 0 = all")
    demo.set_defaults(handler=_demo)

    simulated = sub.add_parser(
        "simulated-demo",
        help="simulate camera scenes, train xy and AugLift (uadd) lifters, export ONNX, evaluate both",
    )
    simulated.add_argument("--out", default="out/simulated_demo", help="output folder (default: %(default)s)")
    simulated.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    simulated.add_argument("--quick", action="store_true", help="a small run for smoke tests (seconds)")
    simulated.set_defaults(handler=_simulated_demo)
