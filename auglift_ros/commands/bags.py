"""`auglift-ros make-bag | evaluate-bag | play`: evaluation bags, their offline replay, and playing them."""

from __future__ import annotations

import argparse


def _make_bag(args: argparse.Namespace) -> int:
    from auglift_ros.bags.make import write_simulated_bag, write_video_bag_from_file
    from auglift_ros.mocap.datasets import load_sequences

    if args.sequences:
        sequences = load_sequences(args.sequences)
        summary = write_simulated_bag(
            sequences[: args.max_sequences] if args.max_sequences else sequences,
            args.out,
            seed=args.seed,
            fps=args.fps or None,
            image_size=tuple(args.image_size),
            max_frames=args.max_frames or None,
            storage=args.storage,
            depth_delays_ms=args.depth_delay_ms,
        )
    else:
        summary = write_video_bag_from_file(
            args.video,
            args.calibration,
            args.out,
            camera=args.camera,
            max_frames=args.max_frames or None,
            scale=args.scale,
            storage=args.storage,
        )
    print(
        f"[make-bag] {summary.path}: {summary.sequences} sequence(s), {summary.frames} frames"
        + (f" ({summary.frames_with_person} with the person in view)" if args.sequences else "")
        + f"; topics {', '.join(summary.topics)}"
    )
    return 0


def _evaluate_bag(args: argparse.Namespace) -> int:
    from auglift_ros.bags.replay import evaluate_bag

    evaluate_bag(
        args.bag,
        args.out,
        model=args.model,
        fallback_model=args.fallback_model,
        depth_model=args.depth_model,
        depth_model_kind=args.depth_model_kind,
    )
    return 0


def _play(args: argparse.Namespace) -> int:
    from auglift_ros.bags.player import play_bag

    return play_bag(args.bag, rate=args.rate, wait_s=args.wait, delay_s=args.delay, topics=args.topics)


def register(sub: argparse._SubParsersAction) -> None:
    """Add `make-bag`, `evaluate-bag` and `play` to the `auglift-ros` subcommands."""
    make_bag = sub.add_parser(
        "make-bag",
        help="write an evaluation bag: mocap through the camera simulation, or a video with calibration",
    )
    source = make_bag.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--sequences", help="mocap or dataset file/folder (.bvh, .npz, VideoPose3D, MotionBERT, list file)"
    )
    source.add_argument("--video", help="a video file (images; needs --calibration)")
    make_bag.add_argument("--out", required=True, help="new bag folder")
    make_bag.add_argument("--storage", choices=("mcap", "sqlite3"), default="mcap")
    make_bag.add_argument("--max-frames", type=int, default=0, help="frames per sequence; 0 = all")
    make_bag.add_argument("--max-sequences", type=int, default=0, help="--sequences: how many; 0 = all")
    make_bag.add_argument("--seed", type=int, default=0, help="--sequences: simulation seed")
    make_bag.add_argument(
        "--fps", type=float, default=30.0, help="--sequences: frame rate of the bag (0 = the take's)"
    )
    make_bag.add_argument(
        "--image-size", type=int, nargs=2, default=(640, 480), metavar=("W", "H"), help="--sequences"
    )
    make_bag.add_argument(
        "--depth-delay-ms",
        type=float,
        nargs="+",
        default=[0.0],
        metavar="MS",
        help="--sequences: log each frame's depth this long after its stamp, cycling frame by frame through "
        "the values (keypoints follow their stamp by 10 ms; e.g. 0 20: depth before, then after them)",
    )
    make_bag.add_argument(
        "--calibration", help="--video: ROS camera_info YAML or Qualisys .qca.txt (with --camera)"
    )
    make_bag.add_argument("--camera", help="--video: camera name in a multi-camera calibration")
    make_bag.add_argument("--scale", type=float, default=1.0, help="--video: resize frames (and K) by this")
    make_bag.set_defaults(handler=_make_bag)

    evaluate_bag = sub.add_parser(
        "evaluate-bag",
        help="replay a bag offline through the pipeline's code and score it against its ground truth",
    )
    evaluate_bag.add_argument("bag", help="bag folder with ground truth (auglift-ros make-bag)")
    evaluate_bag.add_argument(
        "--out", required=True, help="output folder for metrics.json, metrics.md, plots"
    )
    evaluate_bag.add_argument("--model", help="depth lifter (default: the lifter node's model parameter)")
    evaluate_bag.add_argument("--fallback-model", help="no-depth lifter ('' = none; default: the node's)")
    evaluate_bag.add_argument("--depth-model", help="Depth Anything V2 ONNX: estimate depth from the images")
    evaluate_bag.add_argument("--depth-model-kind", choices=("metric", "relative"), default="metric")
    evaluate_bag.set_defaults(handler=_evaluate_bag)

    play = sub.add_parser(
        "play", help="publish a bag over DDS at its recorded pace (ros2 bag play without ROS)"
    )
    play.add_argument("bag", help="bag folder")
    play.add_argument("--rate", type=float, default=1.0, help="playback speed factor (default: %(default)s)")
    play.add_argument(
        "--wait",
        type=float,
        default=10.0,
        help="seconds to wait for subscribers first (default: %(default)s)",
    )
    play.add_argument(
        "--delay", type=float, default=3.0, help="seconds between matching and playing (default: %(default)s)"
    )
    play.add_argument("--topics", nargs="+", help="only these topics (default: all)")
    play.set_defaults(handler=_play)
