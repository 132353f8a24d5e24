"""A catalogue of bad input sent over DDS to the running lifter and detector nodes.

The two nodes run as processes, started as `auglift-ros pipeline` starts them (config/pipeline.yaml,
the camera topics; /diagnostics every 0.2 s). A harness node in this process sends, for each kind of
bad input, the bad message(s), then one good frame (camera_info, a 16UC1 depth image and keypoints of
one generated person for the lifter; an rgb8 image for the detector), and reports per kind:
- logged: the node's output gained a "dropped ..." line naming the problem (the text is shown);
- counted: the node's /diagnostics rejection count went up;
- alive: the node process is still running;
- served: the good frame that followed came out (skeletons from the lifter, keypoints from the detector).
Some kinds are valid input in disguise (big-endian depth, depth with holes, a person partly without
keypoints): those must be served without a rejection. Target (issue 21): every node alive and every
next good frame served, every invalid kind logged and counted.

    .venv/bin/python benchmarks/bench_bad_input.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import rclpy
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, Image, PointCloud2, PointField
from std_msgs.msg import Header

from auglift_ros.core.camera import PinholeCamera
from auglift_ros.mocap.generated import random_poses
from auglift_ros.nodes.diagnostics import REJECTED_PREFIX
from auglift_ros.nodes.messages import (
    camera_info_message,
    keypoints_to_cloud,
    metres_to_depth_image,
    rgb_to_image,
)
from auglift_ros.nodes.qos import EVERY_FRAME
from auglift_ros.runtime.graph import fastdds_profile_environment, load_graph, pipeline_topics

FRAME = "camera_color_optical_frame"
CAMERA = PinholeCamera.from_fov(640, 480, 60.0)
PERSON = random_poses(1, np.random.default_rng(0)) + np.array([0.0, 0.0, 3.0])
WAIT_S = 5.0


@dataclass(frozen=True)
class Kind:
    """One kind of bad input: what `send` publishes (given the harness and a fresh stamp), the node it
    targets, and whether the node must reject it (False: valid input that looks odd, must be served)."""

    name: str
    node: str
    send: Callable[[Harness, int], None]
    invalid: bool = True


class Harness(Node):
    def __init__(self) -> None:
        super().__init__("bad_input_harness")
        topics = pipeline_topics()
        self.keypoints = self.create_publisher(PointCloud2, topics.keypoints, EVERY_FRAME)
        self.depth = self.create_publisher(Image, topics.depth, qos_profile_sensor_data)
        self.info = self.create_publisher(CameraInfo, topics.camera_info, qos_profile_sensor_data)
        self.image = self.create_publisher(Image, topics.image, qos_profile_sensor_data)
        self.skeleton_stamps: set[int] = set()
        self.keypoint_stamps: set[int] = set()
        self.rejected: dict[str, int] = {}
        self.create_subscription(
            PointCloud2, topics.skeletons, lambda m: self.skeleton_stamps.add(_ns(m.header)), EVERY_FRAME
        )
        self.create_subscription(
            PointCloud2, topics.keypoints, lambda m: self.keypoint_stamps.add(_ns(m.header)), EVERY_FRAME
        )
        self.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 10)

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            node = status.name.split(":")[0].strip()
            self.rejected[node] = sum(
                int(kv.value) for kv in status.values if kv.key.startswith(REJECTED_PREFIX)
            )

    def spin_for(self, seconds: float, until: Callable[[], bool] = lambda: False) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            rclpy.spin_once(self, timeout_sec=0.02)
            if until():
                return True
        return until()

    # --- good messages -----------------------------------------------------------------------------
    def good_info(self, stamp: int) -> CameraInfo:
        return camera_info_message(_header(stamp), CAMERA.K, CAMERA.width, CAMERA.height, np.zeros(5))

    def good_depth(self, stamp: int, depth: np.ndarray | None = None) -> Image:
        values = np.full((CAMERA.height, CAMERA.width), 3.0) if depth is None else depth
        return metres_to_depth_image(_header(stamp), values, "16UC1")

    def good_keypoints(self, stamp: int, joints: int = 17) -> PointCloud2:
        return keypoints_to_cloud(_header(stamp), CAMERA.project(PERSON)[:, :joints], np.ones((1, joints)))

    def good_lifter_frame(self, stamp: int) -> None:
        self.info.publish(self.good_info(stamp))
        self.depth.publish(self.good_depth(stamp))
        self.spin_for(0.05)
        self.keypoints.publish(self.good_keypoints(stamp))

    def good_image(self, stamp: int) -> None:
        rgb = np.full((CAMERA.height, CAMERA.width, 3), 128, np.uint8)
        self.image.publish(rgb_to_image(_header(stamp), rgb))


def _header(stamp: int) -> Header:
    return Header(stamp=Time(sec=stamp // 10**9, nanosec=stamp % 10**9), frame_id=FRAME)


def _ns(header: Header) -> int:
    return header.stamp.sec * 10**9 + header.stamp.nanosec


# --- the catalogue ----------------------------------------------------------------------------------


def _cloud(stamp: int, edit: Callable[[PointCloud2], None]) -> PointCloud2:
    msg = keypoints_to_cloud(_header(stamp), CAMERA.project(PERSON), np.ones((1, 17)))
    edit(msg)
    return msg


def _lifter_with(
    *, info: Callable[[CameraInfo], None] | None = None, depth: Callable[[Image], None] | None = None
) -> Callable[[Harness, int], None]:
    """A lifter frame whose camera_info or depth image is edited to be bad."""

    def send(h: Harness, stamp: int) -> None:
        camera_info = h.good_info(stamp)
        if info is not None:
            info(camera_info)
        depth_image = h.good_depth(stamp)
        if depth is not None:
            depth(depth_image)
        h.info.publish(camera_info)
        h.depth.publish(depth_image)
        h.spin_for(0.05)
        h.keypoints.publish(h.good_keypoints(stamp))
        h.spin_for(0.3)
        h.info.publish(h.good_info(stamp))  # the good frame that follows needs good camera_info again

    return send


def _keypoints(edit: Callable[[PointCloud2], None]) -> Callable[[Harness, int], None]:
    def send(h: Harness, stamp: int) -> None:
        h.info.publish(h.good_info(stamp))
        h.keypoints.publish(_cloud(stamp, edit))

    return send


def _set(**fields: object) -> Callable[[object], None]:
    def edit(msg: object) -> None:
        for key, value in fields.items():
            setattr(msg, key, value)

    return edit


def _k(values: Sequence[float]) -> Callable[[CameraInfo], None]:
    def edit(info: CameraInfo) -> None:
        info.k = [float(v) for v in values]

    return edit


def _depth_values(values: np.ndarray, encoding: str = "16UC1") -> Callable[[Harness, int], None]:
    def send(h: Harness, stamp: int) -> None:
        h.info.publish(h.good_info(stamp))
        h.depth.publish(metres_to_depth_image(_header(stamp), values, encoding))
        h.spin_for(0.05)
        h.keypoints.publish(h.good_keypoints(stamp))

    return send


def _big_endian_depth(h: Harness, stamp: int) -> None:
    depth = np.full((CAMERA.height, CAMERA.width), 3000, np.uint16)
    msg = h.good_depth(stamp)
    msg.is_bigendian, msg.data = 1, depth.astype(">u2").tobytes()
    h.info.publish(h.good_info(stamp))
    h.depth.publish(msg)
    h.spin_for(0.05)
    h.keypoints.publish(h.good_keypoints(stamp))


def _stamp_back(h: Harness, stamp: int) -> None:
    h.info.publish(h.good_info(stamp))
    h.keypoints.publish(h.good_keypoints(stamp - 20 * 10**9))  # older than the last lifted frame


def _depth_stops_and_restarts(h: Harness, stamp: int) -> None:
    """Three frames without depth (the stream stopped), then depth again with the good frame."""
    for i in range(3):
        h.info.publish(h.good_info(stamp + i))
        h.keypoints.publish(h.good_keypoints(stamp + i))
        h.spin_for(0.2)


def _image(
    edit: Callable[[Image], None], size: tuple[int, int] = (640, 480)
) -> Callable[[Harness, int], None]:
    def send(h: Harness, stamp: int) -> None:
        msg = rgb_to_image(_header(stamp), np.full((size[1], size[0], 3), 128, np.uint8))
        edit(msg)
        h.image.publish(msg)

    return send


def _no_change(msg: object) -> None:
    pass


def _float64_u(msg: PointCloud2) -> None:
    msg.fields[0].datatype = PointField.FLOAT64


KINDS = [
    Kind("keypoints: no fields", "lifter", _keypoints(_set(fields=[]))),
    Kind("keypoints: a field missing", "lifter", _keypoints(lambda m: setattr(m, "fields", m.fields[1:]))),
    Kind("keypoints: a field of the wrong type", "lifter", _keypoints(_float64_u)),
    Kind(
        "keypoints: data shorter than its size",
        "lifter",
        _keypoints(lambda m: setattr(m, "data", m.data[:40])),
    ),
    Kind("keypoints: point step too small", "lifter", _keypoints(_set(point_step=4))),
    Kind(  # one joint missing from the cloud: lifted with that joint unknown, as detectors report misses
        "keypoints: 16 joints, not 17",
        "lifter",
        lambda h, s: h.keypoints.publish(h.good_keypoints(s, 16)),
        False,
    ),
    Kind("keypoints: stamp going back", "lifter", _stamp_back),
    Kind("camera_info: K all zero", "lifter", _lifter_with(info=_k([0.0] * 9))),
    Kind("camera_info: NaN in K", "lifter", _lifter_with(info=_k([np.nan, 0, 320, 0, 500, 240, 0, 0, 1]))),
    Kind("camera_info: inf in K", "lifter", _lifter_with(info=_k([np.inf, 0, 320, 0, 500, 240, 0, 0, 1]))),
    Kind("camera_info: no image size", "lifter", _lifter_with(info=_set(width=0, height=0))),
    Kind(
        "camera_info: K disagrees with the image size",
        "lifter",
        _lifter_with(info=_k([500, 0, 3000, 0, 500, 2000, 0, 0, 1])),
    ),
    Kind(
        "camera_info: unsupported distortion model",
        "lifter",
        _lifter_with(info=_set(distortion_model="fisheye_unknown", d=[0.1, 0.0, 0.0, 0.0])),
    ),
    Kind("depth: wrong encoding (rgb8)", "lifter", _lifter_with(depth=_set(encoding="rgb8"))),
    Kind(
        "depth: data shorter than its size",
        "lifter",
        _lifter_with(depth=lambda m: setattr(m, "data", m.data[:100])),
    ),
    Kind("depth: step smaller than a row", "lifter", _lifter_with(depth=_set(step=10))),
    Kind(
        "depth: size differs from camera_info",
        "lifter",
        _lifter_with(depth=_set(width=320, height=240, step=640, data=bytes(320 * 240 * 2))),
    ),
    Kind("depth: all holes (16UC1 zeros)", "lifter", _depth_values(np.zeros((480, 640))), invalid=False),
    Kind(
        "depth: all NaN (32FC1)", "lifter", _depth_values(np.full((480, 640), np.nan), "32FC1"), invalid=False
    ),
    Kind(
        "depth: inf values (32FC1)",
        "lifter",
        _depth_values(np.full((480, 640), np.inf), "32FC1"),
        invalid=False,
    ),
    Kind("depth: big-endian 16UC1", "lifter", _big_endian_depth, invalid=False),
    Kind("depth: stream stops, then restarts", "lifter", _depth_stops_and_restarts, invalid=False),
    Kind("image: unsupported encoding (yuv422)", "detector", _image(_set(encoding="yuv422"))),
    Kind(
        "image: data shorter than its size", "detector", _image(lambda m: setattr(m, "data", m.data[:1000]))
    ),
    Kind("image: zero size", "detector", _image(_set(width=0, height=0, step=0, data=b""))),
    Kind("image: step smaller than a row", "detector", _image(_set(step=100))),
    Kind("image: huge (3840x2160 rgb8, 25 MB)", "detector", _image(_no_change, (3840, 2160)), invalid=False),
]


@dataclass
class Outcome:
    logged: str
    counted: bool
    alive: bool
    served: bool


def run_kind(
    h: Harness, kind: Kind, stamp: int, logs: dict[str, Path], children: dict[str, subprocess.Popen]
) -> Outcome:
    h.spin_for(0.4)  # the latest diagnostics
    before_log = logs[kind.node].stat().st_size
    before_count = h.rejected.get(kind.node, 0)
    kind.send(h, stamp)
    h.spin_for(0.5)
    good = stamp + 5 * 10**8
    if kind.node == "lifter":
        h.good_lifter_frame(good)
        served = h.spin_for(WAIT_S, lambda: good in h.skeleton_stamps)
    else:
        h.good_image(good)
        served = h.spin_for(WAIT_S, lambda: good in h.keypoint_stamps)
    h.spin_for(0.5)  # diagnostics after the good frame
    with logs[kind.node].open(errors="replace") as log:
        log.seek(before_log)
        lines = [line.strip() for line in log if "dropped" in line]
    logged = lines[0].split("]: ", 1)[-1][:110] if lines else ""
    return Outcome(
        logged, h.rejected.get(kind.node, 0) > before_count, children[kind.node].poll() is None, served
    )


def main() -> int:
    os.environ.setdefault("ROS_DOMAIN_ID", str(120 + os.getpid() % 50))
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    os.environ.update(fastdds_profile_environment(os.environ))  # camera-sized images over shared memory
    specs = {s.name: s for s in load_graph() if s.name in ("lifter", "detector")}
    children, logs = {}, {}
    scratch = Path(tempfile.mkdtemp(prefix="bench_bad_input_"))
    for name, spec in specs.items():
        spec = replace(spec, parameters={**spec.parameters, "diagnostics_period": 0.2})
        logs[name] = scratch / f"{name}.log"
        with logs[name].open("w") as log:
            children[name] = subprocess.Popen(spec.command(), stdout=log, stderr=subprocess.STDOUT)
    rclpy.init()
    harness = Harness()
    failures = 0
    try:
        stamp = 1_000 * 10**9
        deadline = time.monotonic() + 90.0
        while not (harness.skeleton_stamps and harness.keypoint_stamps):  # both nodes up and connected
            if time.monotonic() > deadline:
                raise RuntimeError(f"the nodes served no frame within 90 s; logs in {scratch}")
            stamp += 10**8
            harness.good_lifter_frame(stamp)
            harness.good_image(stamp + 1)
            harness.spin_for(0.5)
        print(
            "| kind | node | logged | counted | alive | next good frame served |\n|---|---|---|---|---|---|"
        )
        for kind in KINDS:
            stamp += 10 * 10**9
            outcome = run_kind(harness, kind, stamp, logs, children)
            ok = (
                outcome.alive
                and outcome.served
                and ((bool(outcome.logged) and outcome.counted) if kind.invalid else not outcome.counted)
            )
            failures += not ok
            logged = (
                f"yes: {outcome.logged}"
                if outcome.logged
                else ("no (valid input)" if not kind.invalid else "NO")
            )
            print(
                f"| {kind.name} | {kind.node} | {logged} | {'yes' if outcome.counted else 'no'} | "
                f"{'yes' if outcome.alive else 'NO'} | {'yes' if outcome.served else 'NO'} |",
                flush=True,
            )
    finally:
        harness.destroy_node()
        rclpy.try_shutdown()
        for child in children.values():
            child.terminate()
            child.wait(timeout=30)
    print(f"{len(KINDS)} kinds, {failures} not handled as the target asks")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
