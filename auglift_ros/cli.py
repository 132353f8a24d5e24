"""The `auglift-ros` command: one entry point, a subcommand per job."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from auglift_ros.core.features import FEATURE_SETS
from auglift_ros.graph import DEPTH_SOURCES, graph_arguments
from auglift_ros.weights_cli import add_models_command


def _demo(args: argparse.Namespace) -> int:
    from auglift_ros.demo import run_demo

    return run_demo(args.out, depth_model=args.depth_model, max_frames=args.max_frames or None)


def _simulated_demo(args: argparse.Namespace) -> int:
    from auglift_ros.simulated_demo import run_demo

    return run_demo(out_dir=args.out, seed=args.seed, quick=args.quick)


def _train(args: argparse.Namespace) -> int:
    from auglift_ros.training.job import TrainJob, run_training

    job = TrainJob.from_yaml(args.config).with_overrides(seed=args.seed, feature_set=args.feature_set)
    run_training(job, args.out)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from auglift_ros.training.evaluate import run_evaluation

    run_evaluation(
        args.model,
        args.sequences,
        args.out,
        seed=args.seed,
        frames=args.frames or None,
        detector_noise_scale=args.detector_noise_scale,
        depth_error_scale=args.depth_error_scale,
        streamed=args.streamed,
    )
    return 0


def _study(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from auglift_ros.training.study import StudyConfig, run_study

    config = StudyConfig.from_yaml(args.config, data_root=args.data_root)
    if args.seeds is not None:
        config = replace(config, seeds=tuple(args.seeds))
    if args.feature_sets is not None:
        config = replace(config, feature_sets=tuple(args.feature_sets))
    if args.train_sets is not None:
        unknown = sorted(set(args.train_sets) - {train for train, _ in config.directions})
        if unknown:
            raise ValueError(f"--train-sets {unknown}: not a training set of {args.config}")
        config = replace(config, directions=[d for d in config.directions if d[0] in args.train_sets])
    for name in ("depth_error_scale", "detector_noise_scale"):
        if getattr(args, name) is not None:
            config = replace(config, simulation=replace(config.simulation, **{name: getattr(args, name)}))
    run_study(config, args.out)
    return 0


def _temporal_study(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from auglift_ros.training.temporal_study import TemporalStudyConfig, run_temporal_study

    config = TemporalStudyConfig.from_yaml(args.config, data_root=args.data_root)
    if args.seeds is not None:
        config = replace(config, seeds=tuple(args.seeds))
    if args.variants is not None:
        unknown = sorted(set(args.variants) - {v.name for v in config.variants})
        if unknown:
            raise ValueError(f"--variants {unknown}: not a variant of {args.config}")
        config = replace(config, variants=[v for v in config.variants if v.name in args.variants])
    run_temporal_study(config, args.out, resume=args.resume)
    return 0


def _pipeline(args: argparse.Namespace) -> int:
    from auglift_ros.pipeline_runner import run_pipeline

    camera = {"image": args.image_topic, "camera_info": args.camera_info_topic, "depth": args.depth_topic}
    arguments = {name: getattr(args, name) for name in graph_arguments() if getattr(args, name) is not None}
    return run_pipeline(
        args.config,
        namespace=args.namespace,
        camera=camera,
        depth_source=args.depth_source,
        arguments=arguments,
        evaluate=args.evaluate,
    )


def _make_bag(args: argparse.Namespace) -> int:
    from auglift_ros.bags.make import write_simulated_bag, write_video_bag_from_file
    from auglift_ros.data.datasets import load_sequences

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="auglift-ros", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
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

    train = sub.add_parser(
        "train", help="train a lifter from a YAML config; writes ONNX, model card, checkpoint"
    )
    train.add_argument("--config", required=True, help="training config (see config/train_uadd.yaml)")
    train.add_argument("--out", required=True, help="output folder")
    train.add_argument("--seed", type=int, help="override training.seed")
    train.add_argument("--feature-set", choices=sorted(FEATURE_SETS), help="override features.feature_set")
    train.set_defaults(handler=_train)

    evaluate = sub.add_parser(
        "evaluate", help="simulate cameras, detector and depth for mocap sequences and score a lifter"
    )
    evaluate.add_argument("--model", required=True, help="ONNX model file or a model name from models/")
    evaluate.add_argument(
        "--sequences", required=True, help="folder of .bvh or .npz sequences, a list file, or one file"
    )
    evaluate.add_argument("--out", required=True, help="output folder for metrics.json, metrics.md, plots")
    evaluate.add_argument("--seed", type=int, default=0, help="simulation seed (default: %(default)s)")
    evaluate.add_argument(
        "--frames",
        type=int,
        default=3000,
        help="frames drawn from the sequences; 0 = all (default: %(default)s)",
    )
    evaluate.add_argument("--detector-noise-scale", type=float, help="override the model card's setting")
    evaluate.add_argument("--depth-error-scale", type=float, help="override the model card's setting")
    evaluate.add_argument(
        "--streamed",
        action="store_true",
        help="score each frame as the lifter node publishes it, from the frames up to it only; differs "
        "from the default for sequence-to-sequence (MotionBERT) models, which offline see their chunk",
    )
    evaluate.set_defaults(handler=_evaluate)

    study = sub.add_parser("study", help="the cross-dataset study: every input variant x seed x direction")
    study.add_argument("--config", default="config/study.yaml", help="study config (default: %(default)s)")
    study.add_argument("--out", default="out/study", help="output folder (default: %(default)s)")
    study.add_argument("--data-root", help="folder holding the datasets (overrides the config's data_root)")
    study.add_argument("--seeds", type=int, nargs="+", help="override the config's seeds")
    study.add_argument(
        "--feature-sets", nargs="+", choices=sorted(FEATURE_SETS), help="override feature_sets"
    )
    study.add_argument("--train-sets", nargs="+", help="only the directions training on these datasets")
    study.add_argument(
        "--depth-error-scale", type=float, help="override simulation.depth_error_scale (0: oracle)"
    )
    study.add_argument("--detector-noise-scale", type=float, help="override simulation.detector_noise_scale")
    study.set_defaults(handler=_study)

    temporal = sub.add_parser(
        "temporal-study",
        help="lifter families x window lengths x (xy, uadd), ID and OOD, and reversed / re-timed motion",
    )
    temporal.add_argument(
        "--config", default="config/temporal_study.yaml", help="study config (default: %(default)s)"
    )
    temporal.add_argument("--out", default="out/temporal_study", help="output folder (default: %(default)s)")
    temporal.add_argument(
        "--data-root", help="folder holding the datasets (overrides the config's data_root)"
    )
    temporal.add_argument("--seeds", type=int, nargs="+", help="override the config's seeds")
    temporal.add_argument("--variants", nargs="+", help="only these variants (by name)")
    temporal.add_argument(
        "--resume", action="store_true", help="keep the finished runs in --out and do only the rest"
    )
    temporal.set_defaults(handler=_temporal_study)

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

    pipeline = sub.add_parser(
        "pipeline", help="start the ROS 2 nodes of config/pipeline.yaml (for machines without ros2 launch)"
    )
    pipeline.add_argument("--config", help="pipeline graph (default: the package's config/pipeline.yaml)")
    pipeline.add_argument("--namespace", default="", help="ROS namespace for every node")
    pipeline.add_argument("--image-topic", help="camera image topic (overrides the config)")
    pipeline.add_argument("--camera-info-topic", help="camera_info topic (overrides the config)")
    pipeline.add_argument("--depth-topic", help="metric depth image topic (overrides the config)")
    pipeline.add_argument(
        "--depth-source",
        choices=DEPTH_SOURCES,
        help="camera: the depth topic; node: estimate depth from the image (overrides the config)",
    )
    pipeline.add_argument(
        "--evaluate", action="store_true", help="also start the evaluator (score against a played bag)"
    )
    for name, (node, parameter) in graph_arguments().items():
        option = f"--{name.replace('_', '-')}"
        pipeline.add_argument(option, help=f"{node}.{parameter} (overrides the config)")
    pipeline.set_defaults(handler=_pipeline)

    add_models_command(sub)
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
