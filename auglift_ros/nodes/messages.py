"""Conversions between ROS messages and the arrays the core works on. No algorithm lives here.

Keypoints and skeletons travel as standard `sensor_msgs/PointCloud2` (no custom interface package):
one point per (person, joint), fields

- keypoints: `u`, `v` (pixels), `confidence` (float32), `person_id`, `joint_id` (uint32);
- skeletons: `x`, `y`, `z` (metres, the header's camera optical frame), `confidence` (float32),
  `person_id`, `joint_id` (uint32).

Joint ids index the Human3.6M-17 layout (`auglift_ros.core.skeleton.H36M_JOINT_NAMES`). A joint that
was not detected has NaN coordinates. Depth images follow REP 118: `32FC1` metres or `16UC1`
millimetres (0 = no reading). Every malformed message raises `MessageError` naming the problem, so a
node can log it, drop the frame and count it.
"""

from __future__ import annotations

import numpy as np
from builtin_interfaces.msg import Duration, Time
from geometry_msgs.msg import Point
from sensor_msgs.msg import CameraInfo, Image, PointCloud2, PointField
from std_msgs.msg import ColorRGBA, Header
from visualization_msgs.msg import Marker, MarkerArray

from auglift_ros.core.skeleton import H36M_BONES, H36M_NUM_JOINTS


class MessageError(ValueError):
    """A message the pipeline cannot use: wrong encoding, size, fields or values."""


KEYPOINT_FIELDS = ("u", "v", "confidence")
SKELETON_FIELDS = ("x", "y", "z", "confidence")
ID_FIELDS = ("person_id", "joint_id")


def _cloud_dtype(float_fields: tuple[str, ...]) -> np.dtype:
    return np.dtype([(name, "<f4") for name in float_fields] + [(name, "<u4") for name in ID_FIELDS])


def _to_cloud(
    header: Header,
    values: np.ndarray,
    confidence: np.ndarray,
    names: tuple[str, ...],
    person_ids: np.ndarray | None = None,
) -> PointCloud2:
    """Pack (P, K, C) values and (P, K) confidence into an unorganised cloud of P * K points;
    person_ids (P,) default to 0 .. P-1."""
    persons, joints = confidence.shape
    ids = np.arange(persons) if person_ids is None else np.asarray(person_ids)
    if ids.shape != (persons,) or (persons and ids.min() < 0) or len(set(ids.tolist())) != persons:
        raise ValueError(f"expected {persons} distinct non-negative person ids, got {ids.tolist()}")
    dtype = _cloud_dtype(names)
    points = np.zeros(persons * joints, dtype=dtype)
    for i, name in enumerate(names[:-1]):
        points[name] = values[..., i].reshape(-1)
    points["confidence"] = confidence.reshape(-1)
    points["person_id"] = np.repeat(ids, joints)
    points["joint_id"] = np.tile(np.arange(joints), persons)
    fields = [
        PointField(
            name=name,
            offset=dtype.fields[name][1],
            datatype=PointField.FLOAT32 if dtype.fields[name][0].kind == "f" else PointField.UINT32,
            count=1,
        )
        for name in dtype.names
    ]
    return PointCloud2(
        header=header,
        height=1,
        width=len(points),
        fields=fields,
        is_bigendian=False,
        point_step=dtype.itemsize,
        row_step=dtype.itemsize * len(points),
        data=points.tobytes(),
        is_dense=False,
    )


def _from_cloud(msg: PointCloud2, names: tuple[str, ...], num_joints: int) -> tuple[np.ndarray, np.ndarray]:
    """Unpack a cloud written by `_to_cloud` (any field order) into (P, K, C) values and (P, K)
    confidence, one row per distinct person_id in increasing order (`cloud_person_ids`)."""
    wanted = set(names) | set(ID_FIELDS)
    present = {f.name: f for f in msg.fields}
    missing = sorted(wanted - set(present))
    if missing:
        raise MessageError(f"PointCloud2 lacks field(s) {missing}; expected {list(names) + list(ID_FIELDS)}")
    if msg.is_bigendian:
        raise MessageError("big-endian PointCloud2 is not supported")
    kinds = {PointField.FLOAT32: "<f4", PointField.UINT32: "<u4", PointField.INT32: "<i4"}
    bad = [n for n in wanted if present[n].datatype not in kinds]
    if bad:
        raise MessageError(f"PointCloud2 fields {sorted(bad)} must be float32, uint32 or int32")
    count = msg.width * msg.height
    if msg.point_step <= 0 or len(msg.data) != count * msg.point_step:
        raise MessageError(
            f"PointCloud2 data is {len(msg.data)} bytes, expected {count} points x {msg.point_step} bytes"
        )
    dtype = np.dtype(
        {
            "names": sorted(wanted),
            "formats": [kinds[present[n].datatype] for n in sorted(wanted)],
            "offsets": [present[n].offset for n in sorted(wanted)],
            "itemsize": msg.point_step,
        }
    )
    points = np.frombuffer(bytes(msg.data), dtype=dtype, count=count)
    person = points["person_id"].astype(np.int64)
    joint = points["joint_id"].astype(np.int64)
    if count and (joint.min() < 0 or joint.max() >= num_joints or person.min() < 0):
        raise MessageError(f"joint_id must be in [0, {num_joints}) and person_id non-negative")
    ids, row = np.unique(person, return_inverse=True)
    values = np.full((len(ids), num_joints, len(names) - 1), np.nan)
    confidence = np.zeros((len(ids), num_joints))
    for i, name in enumerate(names[:-1]):
        values[row, joint, i] = points[name]
    confidence[row, joint] = points["confidence"]
    return values, confidence


def cloud_person_ids(msg: PointCloud2) -> np.ndarray:
    """The distinct person_id values of a keypoint or skeleton cloud, in the order the rows of
    `cloud_to_keypoints` / `cloud_to_skeletons` have them (the lifter's are track ids)."""
    present = {f.name: f for f in msg.fields}
    if "person_id" not in present:
        raise MessageError("PointCloud2 lacks field 'person_id'")
    field = present["person_id"]
    kind = {PointField.UINT32: "<u4", PointField.INT32: "<i4"}.get(field.datatype)
    if kind is None:
        raise MessageError("PointCloud2 field person_id must be uint32 or int32")
    dtype = np.dtype(
        {"names": ["person_id"], "formats": [kind], "offsets": [field.offset], "itemsize": msg.point_step}
    )
    return np.unique(
        np.frombuffer(bytes(msg.data), dtype=dtype, count=msg.width * msg.height)["person_id"]
    ).astype(np.int64)


def stamp_ns(header: Header) -> int:
    """A header's stamp in integer nanoseconds (exact, unlike float seconds)."""
    return int(header.stamp.sec) * 1_000_000_000 + int(header.stamp.nanosec)


def stamp_from_ns(nanoseconds: int) -> Time:
    """The inverse of stamp_ns: a header stamp from integer nanoseconds."""
    seconds, rest = divmod(int(nanoseconds), 1_000_000_000)
    return Time(sec=seconds, nanosec=rest)


def keypoints_to_cloud(header: Header, keypoints: np.ndarray, confidence: np.ndarray) -> PointCloud2:
    """2D keypoints (P, K, 2) pixels and confidence (P, K) as a PointCloud2 (u v confidence ids)."""
    return _to_cloud(header, np.asarray(keypoints), np.asarray(confidence), KEYPOINT_FIELDS)


def cloud_to_keypoints(msg: PointCloud2, num_joints: int = H36M_NUM_JOINTS) -> tuple[np.ndarray, np.ndarray]:
    """(keypoints (P, K, 2), confidence (P, K)); joints without a point get NaN / 0."""
    return _from_cloud(msg, KEYPOINT_FIELDS, num_joints)


def skeletons_to_cloud(
    header: Header, joints: np.ndarray, confidence: np.ndarray, person_ids: np.ndarray | None = None
) -> PointCloud2:
    """3D joints (P, K, 3) metres and confidence (P, K) as a PointCloud2 (x y z confidence ids);
    person_ids (P,) are the track ids (default 0 .. P-1)."""
    return _to_cloud(header, np.asarray(joints), np.asarray(confidence), SKELETON_FIELDS, person_ids)


def cloud_to_skeletons(msg: PointCloud2, num_joints: int = H36M_NUM_JOINTS) -> tuple[np.ndarray, np.ndarray]:
    """(joints (P, K, 3) metres, confidence (P, K)) from a skeleton cloud."""
    return _from_cloud(msg, SKELETON_FIELDS, num_joints)


def depth_image_to_metres(msg: Image) -> np.ndarray:
    """Depth (H, W) float32 metres from a `32FC1` (metres) or `16UC1` (millimetres) image; no reading
    (0 in 16UC1, NaN or non-positive in 32FC1) becomes NaN, which UADD ignores."""
    formats = {"32FC1": (np.float32, 4, 1.0), "16UC1": (np.uint16, 2, 0.001)}
    if msg.encoding not in formats:
        raise MessageError(
            f"depth image encoding {msg.encoding!r} not supported; use 32FC1 (m) or 16UC1 (mm)"
        )
    kind, size, scale = formats[msg.encoding]
    if msg.height == 0 or msg.width == 0 or msg.step < msg.width * size:
        raise MessageError(f"depth image {msg.width}x{msg.height} with step {msg.step} is malformed")
    if len(msg.data) != msg.step * msg.height:
        raise MessageError(f"depth image data is {len(msg.data)} bytes, expected {msg.step} x {msg.height}")
    dtype = np.dtype(kind).newbyteorder(">" if msg.is_bigendian else "<")
    rows = np.frombuffer(msg.data, dtype=np.uint8).reshape(msg.height, msg.step)  # a view, no copy
    depth = rows[:, : msg.width * size].view(dtype).astype(np.float32)  # the one copy
    if scale != 1.0:
        depth *= np.float32(scale)
    depth[~(depth > 0)] = np.nan  # zero, negative, NaN: no reading
    return depth


def metres_to_depth_image(header: Header, depth: np.ndarray, encoding: str = "32FC1") -> Image:
    """An Image of an (H, W) depth map in metres (REP 118, little-endian): `32FC1` metres with NaN =
    no value, or `16UC1` millimetres (as RGB-D cameras publish; half the bytes) with 0 = no value."""
    depth = np.asarray(depth)
    if depth.ndim != 2 or min(depth.shape) < 1:
        raise MessageError(f"depth map must be (H, W), got shape {depth.shape}")
    if encoding == "32FC1":
        pixels = np.ascontiguousarray(depth, dtype="<f4")
    elif encoding == "16UC1":
        millimetres = np.round(1000.0 * np.nan_to_num(depth.astype(np.float64), nan=0.0))
        pixels = np.ascontiguousarray(np.clip(millimetres, 0, np.iinfo(np.uint16).max), dtype="<u2")
    else:
        raise MessageError(f"depth encoding must be 32FC1 or 16UC1, got {encoding!r}")
    height, width = depth.shape
    return Image(
        header=header,
        height=height,
        width=width,
        encoding=encoding,
        is_bigendian=0,
        step=pixels.itemsize * width,
        data=pixels.tobytes(),
    )


def image_to_rgb(msg: Image) -> np.ndarray:
    """An (H, W, 3) uint8 RGB array from an `rgb8`, `bgr8` or `mono8` image (no cv_bridge needed)."""
    channels = {"rgb8": 3, "bgr8": 3, "mono8": 1}
    if msg.encoding not in channels:
        raise MessageError(f"image encoding {msg.encoding!r} not supported; use rgb8, bgr8 or mono8")
    row_bytes = msg.width * channels[msg.encoding]
    if msg.height == 0 or msg.width == 0 or msg.step < row_bytes:
        raise MessageError(f"image {msg.width}x{msg.height} with step {msg.step} is malformed")
    if len(msg.data) != msg.step * msg.height:
        raise MessageError(f"image data is {len(msg.data)} bytes, expected {msg.step} x {msg.height}")
    rows = np.frombuffer(bytes(msg.data), dtype=np.uint8).reshape(msg.height, msg.step)[:, :row_bytes]
    pixels = rows.reshape(msg.height, msg.width, channels[msg.encoding])
    if msg.encoding == "bgr8":
        pixels = pixels[..., ::-1]
    elif msg.encoding == "mono8":
        pixels = np.repeat(pixels, 3, axis=-1)
    return np.ascontiguousarray(pixels)


def rgb_to_image(header: Header, rgb: np.ndarray) -> Image:
    """An `rgb8` Image of an (H, W, 3) uint8 array (test publishers, the pipeline runner's camera)."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width = rgb.shape[:2]
    return Image(
        header=header, height=height, width=width, encoding="rgb8", step=3 * width, data=rgb.tobytes()
    )


def camera_info_message(
    header: Header, k: np.ndarray, width: int, height: int, distortion: np.ndarray | None = None
) -> CameraInfo:
    """A CameraInfo for intrinsics K (3x3) and OpenCV distortion (k1, k2, p1, p2, k3; 'plumb_bob'),
    with the projection P = [K | 0] of a monocular camera."""
    k = np.asarray(k, dtype=np.float64).reshape(3, 3)
    coefficients = np.zeros(5) if distortion is None else np.asarray(distortion, dtype=np.float64).reshape(-1)
    return CameraInfo(
        header=header,
        width=int(width),
        height=int(height),
        distortion_model="plumb_bob",
        d=coefficients.tolist(),
        k=k.reshape(-1).tolist(),
        r=np.eye(3).reshape(-1).tolist(),
        p=np.hstack([k, np.zeros((3, 1))]).reshape(-1).tolist(),
    )


def camera_matrix(info: CameraInfo) -> np.ndarray:
    """The 3x3 intrinsic matrix K of a CameraInfo; MessageError if it is unset (all zeros)."""
    k = np.asarray(info.k, dtype=np.float64).reshape(3, 3)
    if not np.isfinite(k).all():
        raise MessageError(f"camera_info K has non-finite values: {k.ravel().tolist()}")
    if k[0, 0] <= 0 or k[1, 1] <= 0:
        raise MessageError(
            f"camera_info has no valid intrinsics (K has non-positive focal lengths): {k.ravel().tolist()}"
        )
    return k


DISTORTION_MODELS = {"plumb_bob": (5,), "rational_polynomial": (8,)}
"""CameraInfo distortion models the lifter undistorts (OpenCV's coefficient order, REP 104)."""


def distortion_coefficients(info: CameraInfo) -> np.ndarray | None:
    """The lens's OpenCV distortion coefficients, or None for a rectified or distortion-free camera;
    MessageError for a model the lifter cannot invert (rectify those images first)."""
    d = np.asarray(info.d, dtype=np.float64)
    if d.size == 0 or not np.any(d):
        return None
    model = info.distortion_model
    if model not in DISTORTION_MODELS:
        raise MessageError(
            f"camera_info distortion model {model!r} is not supported (use one of "
            f"{sorted(DISTORTION_MODELS)}, "
            "or rectify the image with image_proc and publish its camera_info)"
        )
    if d.size not in DISTORTION_MODELS[model] or not np.isfinite(d).all():
        raise MessageError(
            f"camera_info {model} needs {DISTORTION_MODELS[model][0]} finite coefficients, got {d.tolist()}"
        )
    return d


PERSON_COLOURS = (
    (0.90, 0.10, 0.10),
    (0.10, 0.60, 0.90),
    (0.20, 0.80, 0.20),
    (0.95, 0.70, 0.10),
    (0.70, 0.30, 0.90),
)


def skeleton_markers(
    header: Header,
    joints: np.ndarray,
    person_ids: np.ndarray,
    *,
    lifetime_s: float = 0.5,
    namespace: str = "auglift",
) -> MarkerArray:
    """Per person: a SPHERE_LIST of joints and a LINE_LIST of bones, in a per-person colour, with a
    lifetime so skeletons of people who left the view vanish. Non-finite joints and their bones are
    left out."""
    markers = MarkerArray()
    seconds = int(lifetime_s)
    lifetime = Duration(sec=seconds, nanosec=round((lifetime_s - seconds) * 1e9))
    for pose, person in zip(np.asarray(joints, dtype=np.float64), np.asarray(person_ids), strict=True):
        r, g, b = PERSON_COLOURS[int(person) % len(PERSON_COLOURS)]
        colour = ColorRGBA(r=r, g=g, b=b, a=1.0)
        finite = np.isfinite(pose).all(axis=-1)
        for kind, marker_id, size in (
            (Marker.SPHERE_LIST, 2 * int(person), 0.05),
            (Marker.LINE_LIST, 2 * int(person) + 1, 0.02),
        ):
            marker = Marker(
                header=header, ns=namespace, id=marker_id, type=kind, action=Marker.ADD, lifetime=lifetime
            )
            marker.pose.orientation.w = 1.0
            marker.scale.x = marker.scale.y = marker.scale.z = size
            marker.color = colour
            if kind == Marker.SPHERE_LIST:
                chosen = [j for j in range(len(pose)) if finite[j]]
            else:
                chosen = [j for bone in H36M_BONES if finite[list(bone)].all() for j in bone]
            marker.points = [
                Point(x=float(pose[j, 0]), y=float(pose[j, 1]), z=float(pose[j, 2])) for j in chosen
            ]
            markers.markers.append(marker)
    return markers
