"""`auglift-ros train | evaluate | study | temporal-study`: lifters from mocap via the scene simulation."""

from __future__ import annotations

import argparse

from auglift_ros.core.features import FEATURE_SETS


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


def register(sub: argparse._SubParsersAction) -> None:
    """Add `train`, `evaluate`, `study` and `temporal-study` to the `auglift-ros` subcommands."""
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
