"""The pose2sim single-person demo: four calibrated 60 fps videos of one person (BSD-3-Clause).

The files ship in the ``pose2sim`` wheel (pinned to 0.10.49, so the calibration and videos never
change under the tests): ``Demo_SinglePerson/videos/cam01..cam04.mp4`` and the Qualisys calibration
``Demo_SinglePerson/calibration/Calib.qca.txt``. :func:`fetch_pose2sim_demo` downloads the wheel once
into the cache and unpacks those five files beside it; :func:`cached_pose2sim_demo` finds them
without any network access (for tests).

The wheel also holds ``Demo_MultiPerson`` (``demo_dir=MULTI_PERSON_DIR``): the same recording with a
second person composited in, which ``benchmarks/fit_detector_errors.py`` measures the detector on
(docs/simulation.md says why only that person).

Measured on this wheel: every video has 100 frames at 60 fps (1.67 s); cam01 and cam02 are 1080x1920
and cam03 and cam04 1088x1920 (portrait), while the calibration describes 1088x1920 images for all four.
1088 is 1080 rounded up to H.264's 16-pixel macroblocks, and decoders crop such padding at the right
and bottom, so the same intrinsics hold for the 1080-wide videos
(``auglift_ros.footage.calibration.check_image_size``). Equal frame counts do not make the videos
synchronous: cam03 started about 5 frames (80 ms) before the others, its frame i + 5 showing their
frame i (``auglift_ros.footage.reference.estimate_frame_offsets``).

    python -m auglift_ros.footage.pose2sim [--cache DIR] [--stride N] [--scale S] [--out reference.npz]

fetches the demo, prints the videos and cameras, and builds the triangulated reference.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from auglift_ros.footage.calibration import CalibratedCamera, read_qca_calibration
from auglift_ros.footage.video import VideoInfo, same_timing, video_info
from auglift_ros.footage.wheels import FetchError, download_wheel, extract_member

POSE2SIM_VERSION = "0.10.49"
DEMO_DIR = "Demo_SinglePerson"
MULTI_PERSON_DIR = "Demo_MultiPerson"
CAMERA_NAMES: tuple[str, ...] = ("cam01", "cam02", "cam03", "cam04")


def demo_members(demo_dir: str = DEMO_DIR) -> tuple[str, ...]:
    """Wheel members of one demo folder: the four videos, then the calibration file."""
    return (
        *(f"{demo_dir}/videos/{name}.mp4" for name in CAMERA_NAMES),
        f"{demo_dir}/calibration/Calib.qca.txt",
    )


DEMO_MEMBERS: tuple[str, ...] = demo_members()
VIDEO_MEMBERS: tuple[str, ...] = DEMO_MEMBERS[:-1]
CALIBRATION_MEMBER = DEMO_MEMBERS[-1]


def default_cache() -> Path:
    """``$XDG_CACHE_HOME/auglift_ros/pose2sim`` (``~/.cache/...`` when the variable is unset)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "auglift_ros" / "pose2sim"


@dataclass(frozen=True)
class Pose2SimDemo:
    """Paths of the demo's four videos (cam01..cam04) and calibration file."""

    videos: tuple[Path, ...]
    calibration: Path

    def cameras(self) -> list[CalibratedCamera]:
        """The calibrated cameras, in the order of :attr:`videos` (ValueError if a name is missing)."""
        by_name = {camera.name: camera for camera in read_qca_calibration(self.calibration)}
        missing = [name for name in CAMERA_NAMES if name not in by_name]
        if missing:
            raise ValueError(f"{self.calibration} has no camera(s) {missing}; it has {sorted(by_name)}")
        return [by_name[name] for name in CAMERA_NAMES]


def _demo_in(cache: Path, demo_dir: str) -> Pose2SimDemo:
    root = cache / f"pose2sim-{POSE2SIM_VERSION}"
    *videos, calibration = (root / member for member in demo_members(demo_dir))
    return Pose2SimDemo(tuple(videos), calibration)


def _unpacked(demo: Pose2SimDemo) -> bool:
    return all(path.is_file() and path.stat().st_size > 0 for path in (*demo.videos, demo.calibration))


def _unpack(wheel: Path, demo: Pose2SimDemo, demo_dir: str) -> None:
    for member, target in zip(demo_members(demo_dir), (*demo.videos, demo.calibration), strict=True):
        if not (target.is_file() and target.stat().st_size > 0):
            extract_member(wheel, member, target)


def cached_pose2sim_demo(cache: Path | None = None, *, demo_dir: str = DEMO_DIR) -> Pose2SimDemo | None:
    """The demo from the cache without network: unpacked files, else unpacked from a cached wheel;
    None when neither is there."""
    cache = default_cache() if cache is None else cache
    demo = _demo_in(cache, demo_dir)
    if _unpacked(demo):
        return demo
    wheels = sorted(cache.glob(f"pose2sim-{POSE2SIM_VERSION}-*.whl"))
    if not wheels:
        return None
    _unpack(wheels[-1], demo, demo_dir)
    return demo


def fetch_pose2sim_demo(
    cache: Path | None = None, *, demo_dir: str = DEMO_DIR, log: Callable[[str], None] | None = print
) -> Pose2SimDemo:
    """The demo files, fetched on first use (``pip download --no-deps pose2sim==0.10.49``, about
    50 MB; the wheel stays in the cache). FetchError with pip's message when that fails."""
    cache = default_cache() if cache is None else cache
    demo = cached_pose2sim_demo(cache, demo_dir=demo_dir)
    if demo is not None:
        return demo
    wheel = download_wheel("pose2sim", cache, version=POSE2SIM_VERSION, log=log)
    demo = _demo_in(cache, demo_dir)
    _unpack(wheel, demo, demo_dir)
    return demo


def describe_videos(infos: Sequence[VideoInfo]) -> str:
    """One line per video and the timing verdict (for logs and the demo's report)."""
    lines = [
        f"{info.path.name}: {info.width}x{info.height}, {info.frame_count} frames at {info.fps:g} fps "
        f"({info.duration_s:.2f} s)"
        for info in infos
    ]
    verdict = (
        "same frame count and rate (start offsets are estimated from the geometry)"
        if same_timing(infos)
        else "DIFFERENT frame counts or rates"
    )
    return "\n".join([*lines, f"videos: {verdict}"])


def main(argv: Sequence[str] | None = None) -> int:
    """Fetch the demo, describe it and build the triangulated reference (timed)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--cache", type=Path, default=None, help="download cache (default: %(prog)s's XDG cache)"
    )
    parser.add_argument("--stride", type=int, default=1, help="detect every N-th frame")
    parser.add_argument("--scale", type=float, default=1.0, help="downscale frames before detection")
    parser.add_argument("--max-frames", type=int, default=None, help="frames per view")
    parser.add_argument("--out", type=Path, default=None, help="save the reference as .npz")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    from auglift_ros.footage.reference import triangulated_reference  # mediapipe: only when run

    try:
        demo = fetch_pose2sim_demo(args.cache)
    except FetchError as error:
        print(f"pose2sim demo: {error}", file=sys.stderr)
        return 1
    print(describe_videos([video_info(path) for path in demo.videos]))
    cameras = demo.cameras()
    for camera in cameras:
        centre = ", ".join(f"{c:.2f}" for c in camera.centre)
        print(
            f"{camera.name}: {camera.width}x{camera.height}, f {camera.K[0, 0]:.1f}/{camera.K[1, 1]:.1f} px, "
            f"c ({camera.K[0, 2]:.1f}, {camera.K[1, 2]:.1f}), k1 {camera.dist[0]:+.4f}, centre ({centre}) m"
        )
    start = time.perf_counter()
    reference = triangulated_reference(
        demo.videos,
        cameras,
        stride=args.stride,
        scale=args.scale,
        max_frames=args.max_frames,
        progress=not args.no_progress,
    )
    elapsed = time.perf_counter() - start
    print(reference.summary())
    print(f"reference built in {elapsed:.1f} s (stride {args.stride}, scale {args.scale:g})")
    if args.out is not None:
        reference.save(args.out)
        print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
