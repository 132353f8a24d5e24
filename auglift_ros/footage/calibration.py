"""Calibrated cameras (OpenCV conventions) and a reader for Qualisys QCA calibration files.

A :class:`CalibratedCamera` maps world points (metres) to pixels of its recorded image: world ->
optical frame with ``x_cam = R @ x_world + t`` (x right, y down, z forward, the OpenCV and ROS
``_optical_frame`` convention), then the pinhole ``K`` and OpenCV's lens distortion (k1, k2, p1, p2, k3).

QCA files (Qualisys Track Manager's XML export, also written by Pose2Sim for its demos) describe
each camera differently. :func:`read_qca_calibration` converts them; the conventions below were worked
out from Pose2Sim's converter and checked physically on its demo (measured on pose2sim 0.10.49):

- ``intrinsic`` focal lengths and principal point are in sensor units of 1/64 pixel, and the
  principal point is measured on the whole sensor: the recorded image is the ``fov_video`` window,
  whose inclusive pixel bounds (left, top, right, bottom) give its size and the offset to subtract;
- lens distortion coefficients are OpenCV's, unscaled (``radialDistortion1..3`` = k1, k2, k3,
  ``tangentalDistortion1..2`` = p1, p2). Pose2Sim divides them by 64 as well, which all but removes
  the distortion; on the demo's own checkerboard images (intrinsics/) a board pose fitted with the
  unscaled coefficients reprojects with RMS 0.37/0.44/0.41/0.74 px per camera against
  0.37/0.52/0.46/0.79 px divided by 64, close to the file's ``avg-residual`` (0.40-0.50 px). Around the
  person the difference is under 2.5 px either way;
- ``transform`` holds the camera's position in the world in millimetres and a rotation matrix
  whose rows, read as written (r11 r12 r13 / r21 ...), are the camera's axes in world coordinates,
  i.e. the world -> camera rotation. Qualisys cameras look along their -z axis with y up, so the
  OpenCV optical frame is that frame turned by 180 degrees about x: y and z flip sign. Checked: all
  four cameras see the person 2.4-4.5 m in front of them, and MediaPipe detections triangulated from
  the four views reproject with a median of 11 px (about 2 cm at that distance); reading the matrix
  transposed puts the person behind cameras and the error at 300 px;
- ``viewrotation`` (a camera mounted sideways whose images are shown rotated) must be 0: its effect on
  the intrinsics is not documented, and a silently wrong calibration is worse than an error.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from auglift_ros.core.camera import PinholeCamera
from auglift_ros.core.triangulation import undistort_pixels

QCA_SUBPIXELS = 64
"""Qualisys sensor units per pixel."""
_OPTICAL_FROM_QUALISYS = np.diag(
    [1.0, -1.0, -1.0]
)  # 180 degrees about x: (right, up, back) -> (right, down, forward)


@dataclass(frozen=True, eq=False)
class CalibratedCamera:
    """One camera: intrinsics of its recorded image, OpenCV distortion, world -> optical-frame pose.

    ``K`` (3, 3) in pixels with pixel centres at integer coordinates; ``dist`` (5,) OpenCV's
    (k1, k2, p1, p2, k3); ``R`` (3, 3) and ``t`` (3,) metres with ``x_cam = R @ x_world + t``.
    """

    name: str
    width: int
    height: int
    K: np.ndarray
    dist: np.ndarray
    R: np.ndarray
    t: np.ndarray

    @property
    def projection(self) -> np.ndarray:
        """3x4 ``K [R | t]``: world points to pixels of the undistorted image."""
        return self.K @ np.hstack([self.R, self.t[:, None]])

    @property
    def centre(self) -> np.ndarray:
        """The camera's optical centre in world coordinates (metres)."""
        return -self.R.T @ self.t

    def to_camera(self, points_world: np.ndarray) -> np.ndarray:
        """World points (..., 3) in this camera's optical frame: ``R @ x + t``."""
        return np.asarray(points_world, dtype=np.float64) @ self.R.T + self.t

    def project(self, points_world: np.ndarray, *, distort: bool = True) -> np.ndarray:
        """Pixels (..., 2) of world points (..., 3) in the recorded image (``distort=False``: the
        ideal pinhole image); NaN for points not in front of the camera.

        OpenCV's distortion model written out in numpy (as ``cv2.projectPoints`` computes it), so
        it broadcasts over any shape and never wraps points behind the camera into the image.
        """
        cam = self.to_camera(points_world)
        z = cam[..., 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            x, y = cam[..., 0] / z, cam[..., 1] / z
        if distort:
            k1, k2, p1, p2, k3 = self.dist
            r2 = x * x + y * y
            radial = 1.0 + r2 * (k1 + r2 * (k2 + r2 * k3))
            x, y = (
                x * radial + 2.0 * p1 * x * y + p2 * (r2 + 2.0 * x * x),
                y * radial + p1 * (r2 + 2.0 * y * y) + 2.0 * p2 * x * y,
            )
        u = self.K[0, 0] * x + self.K[0, 1] * y + self.K[0, 2]
        v = self.K[1, 1] * y + self.K[1, 2]
        return np.where((z > 0)[..., None], np.stack([u, v], axis=-1), np.nan)

    def undistort(self, pixels: np.ndarray) -> np.ndarray:
        """Recorded-image pixels (..., 2) -> pixels of the ideal pinhole image (same K)."""
        return undistort_pixels(pixels, self.K, self.dist)

    def resized(self, width: int, height: int) -> CalibratedCamera:
        """The same camera for its images resized to ``width`` x ``height`` (not cropped).

        Pixel centres sit at integers, so a coordinate maps as ``(c + 0.5) * scale - 0.5``.
        """
        sx, sy = width / self.width, height / self.height
        scale = np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5], [0.0, 0.0, 1.0]])
        return CalibratedCamera(self.name, width, height, scale @ self.K, self.dist, self.R, self.t)

    def pinhole(self) -> PinholeCamera:
        """The ideal pinhole camera of the undistorted image (what the lifter's camera_info needs)."""
        return PinholeCamera(
            float(self.K[0, 0]), float(self.K[1, 1]), float(self.K[0, 2]), float(self.K[1, 2]),
            self.width, self.height,
        )  # fmt: skip


MAX_PADDING_PX = 16
"""Largest shortfall of a decoded frame against the calibrated size that is read as codec padding."""


def check_image_size(camera: CalibratedCamera, width: int, height: int) -> None:
    """Accept images of the calibrated size or smaller by codec padding only; ValueError otherwise.

    Video codecs code whole 16-pixel macroblocks and decoders crop the padding at the right and bottom
    edges (1088 coded rows -> 1080 shown), which leaves ``K`` unchanged: its origin stays at the
    top-left pixel. Anything else (a resized or rotated video) needs another camera, e.g.
    :meth:`CalibratedCamera.resized`.
    """
    short_w, short_h = camera.width - width, camera.height - height
    if not (0 <= short_w < MAX_PADDING_PX and 0 <= short_h < MAX_PADDING_PX):
        raise ValueError(
            f"camera {camera.name} is calibrated for {camera.width}x{camera.height} images, got "
            f"{width}x{height}: not codec padding (a resized video needs camera.resized())"
        )


def _attributes(element: ET.Element | None, names: tuple[str, ...], where: str) -> list[float]:
    if element is None:
        raise ValueError(f"{where}: missing element")
    missing = [name for name in names if name not in element.attrib]
    if missing:
        raise ValueError(f"{where}: <{element.tag}> lacks {missing}")
    try:
        return [float(element.attrib[name]) for name in names]
    except ValueError as error:
        raise ValueError(f"{where}: <{element.tag}> has a non-numeric value ({error})") from None


def qca_camera(element: ET.Element) -> CalibratedCamera:
    """One ``<camera>`` element of a QCA file as a :class:`CalibratedCamera` (module docstring)."""
    name = element.attrib.get("serial", "?")
    where = f"QCA camera {name}"
    if float(element.attrib.get("viewrotation", "0")) != 0:
        raise ValueError(f"{where}: viewrotation={element.attrib['viewrotation']} is not supported")
    left, top, right, bottom = _attributes(
        element.find("fov_video"), ("left", "top", "right", "bottom"), where
    )
    fu, fv, cu, cv = (
        value / QCA_SUBPIXELS
        for value in _attributes(
            element.find("intrinsic"), ("focalLengthU", "focalLengthV", "centerPointU", "centerPointV"), where
        )
    )
    intrinsic = element.find("intrinsic")
    assert intrinsic is not None  # checked by _attributes above
    skew = float(intrinsic.attrib.get("skew", "0")) / QCA_SUBPIXELS
    distortion = ("radialDistortion1", "radialDistortion2", "tangentalDistortion1", "tangentalDistortion2")
    k1, k2, p1, p2 = _attributes(intrinsic, distortion, where)
    k3 = float(intrinsic.attrib.get("radialDistortion3", "0"))
    rotation_names = tuple(f"r{i}{j}" for i in (1, 2, 3) for j in (1, 2, 3))
    transform = element.find("transform")
    values = _attributes(transform, (*rotation_names, "x", "y", "z"), where)
    qualisys_rotation = np.array(values[:9]).reshape(3, 3)  # rows: camera axes in the world
    position = np.array(values[9:]) / 1000.0  # mm -> m
    if not np.allclose(qualisys_rotation @ qualisys_rotation.T, np.eye(3), atol=1e-4):
        raise ValueError(f"{where}: the transform's r11..r33 are not a rotation matrix")
    rotation = _OPTICAL_FROM_QUALISYS @ qualisys_rotation
    K = np.array([[fu, skew, cu - left], [0.0, fv, cv - top], [0.0, 0.0, 1.0]])  # noqa: N806
    return CalibratedCamera(
        name=name,
        width=round(right - left + 1),
        height=round(bottom - top + 1),
        K=K,
        dist=np.array([k1, k2, p1, p2, k3]),
        R=rotation,
        t=-rotation @ position,
    )


def read_qca_calibration(path: str | Path) -> list[CalibratedCamera]:
    """The cameras of a Qualisys ``.qca.txt`` file, in file order (ValueError on a malformed file)."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as error:
        raise ValueError(f"{path}: not a QCA XML file ({error})") from None
    elements = root.findall("cameras/camera")
    if not elements:
        raise ValueError(f"{path}: no <cameras>/<camera> elements")
    return [qca_camera(element) for element in elements]


def match_frame_size(camera: CalibratedCamera, width: int, height: int) -> CalibratedCamera:
    """The camera for decoded frames of width x height: the calibrated one less codec padding
    (:func:`check_image_size`; K unchanged), so camera_info states the size the images have."""
    check_image_size(camera, width, height)
    return CalibratedCamera(camera.name, width, height, camera.K, camera.dist, camera.R, camera.t)


def read_camera_info_yaml(path: str | Path) -> CalibratedCamera:
    """A ROS camera calibration file (camera_calibration's ost.yaml, camera_info_manager's format):
    image_width, image_height, camera_matrix and distortion_coefficients (plumb_bob); the camera is
    its own world frame (R = I, t = 0). ValueError naming the file and field otherwise."""
    import yaml

    try:
        values = yaml.safe_load(Path(path).read_text())
        k = np.asarray(values["camera_matrix"]["data"], dtype=np.float64).reshape(3, 3)
        dist = np.zeros(5)
        given = np.asarray(values.get("distortion_coefficients", {}).get("data", []), dtype=np.float64)
        dist[: min(5, given.size)] = given[:5]
        width, height = int(values["image_width"]), int(values["image_height"])
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as error:
        raise ValueError(
            f"{path}: not a ROS camera calibration YAML ({type(error).__name__}: {error})"
        ) from None
    if values.get("distortion_model", "plumb_bob") != "plumb_bob":
        raise ValueError(
            f"{path}: distortion model {values['distortion_model']!r}; only plumb_bob is supported"
        )
    name = str(values.get("camera_name", Path(path).stem))
    return CalibratedCamera(name, width, height, k, dist, np.eye(3), np.zeros(3))


def load_cameras(path: str | Path) -> list[CalibratedCamera]:
    """The cameras of a calibration file: a ROS camera_info YAML (.yaml, .yml) or a Qualisys QCA file."""
    if Path(path).suffix.lower() in (".yaml", ".yml"):
        return [read_camera_info_yaml(path)]
    return read_qca_calibration(path)
