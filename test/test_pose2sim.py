"""QCA calibration parsing, calibrated cameras, wheel fetching and video reading; the pose2sim demo
itself when its wheel is in the cache (never downloaded here)."""

import subprocess
import zipfile

import cv2
import numpy as np
import pytest

from auglift_ros.core.skeleton import H36M_JOINT_NAMES
from auglift_ros.footage.calibration import CalibratedCamera, check_image_size, read_qca_calibration
from auglift_ros.footage.pose2sim import (
    CALIBRATION_MEMBER,
    POSE2SIM_VERSION,
    VIDEO_MEMBERS,
    cached_pose2sim_demo,
)
from auglift_ros.footage.video import VideoFrames, same_timing, video_info
from auglift_ros.footage.wheels import FetchError, download_wheel, extract_member

J = {name: i for i, name in enumerate(H36M_JOINT_NAMES)}

# Two cameras 3 m from the world origin (Qualisys world: z up), both level and facing it:
# cam_a at (0, -3, 1) m looking along +y, cam_b at (3, 0, 1.5) m looking along -x.
# Qualisys camera axes are x right, y up, z backward; r11..r33 are their world directions, row by row.
QCA = """<?xml version='1.0' encoding='ASCII'?>
<calibration source="hand written" type="regular">
  <cameras>
    <camera active="1" avg-residual="0.4" serial="cam_b" viewrotation="{rotation}">
      <fov_video bottom="1919" left="0" right="1087" top="0"/>
      <transform r11="0" r12="1" r13="0" r21="0" r22="0" r23="1" r31="1" r32="0" r33="0"
                 x="3000" y="0" z="1500"/>
      <intrinsic centerPointU="34816" centerPointV="61440" focalLengthU="96000" focalLengthV="96000"
                 radialDistortion1="0" radialDistortion2="0" radialDistortion3="0" skew="0"
                 tangentalDistortion1="0" tangentalDistortion2="0"/>
    </camera>
    <camera active="1" avg-residual="0.4" serial="cam_a" viewrotation="0">
      <fov_video bottom="1935" left="8" right="1087" top="16"/>
      <transform r11="1" r12="0" r13="0" r21="0" r22="0" r23="1" r31="0" r32="{r32}" r33="0"
                 x="0" y="-3000" z="1000"/>
      <intrinsic centerPointU="35072" centerPointV="62464" focalLengthU="64000" focalLengthV="64064"
                 radialDistortion1="-0.05" radialDistortion2="0.1" radialDistortion3="0.01" skew="0"
                 tangentalDistortion1="0.001" tangentalDistortion2="-0.002"/>
    </camera>
  </cameras>
</calibration>
"""


def _write_qca(tmp_path, rotation="0", r32="-1"):
    path = tmp_path / "Calib.qca.txt"
    path.write_text(QCA.format(rotation=rotation, r32=r32))
    return path


def test_qca_intrinsics_come_from_sensor_units_and_the_video_window(tmp_path):
    cam_b, cam_a = read_qca_calibration(_write_qca(tmp_path))
    assert (cam_a.name, cam_b.name) == ("cam_a", "cam_b")  # file order
    assert (cam_a.width, cam_a.height) == (1080, 1920)  # inclusive bounds 8..1087 and 16..1935
    # 64000 / 64 = 1000 px; principal point 35072 / 64 = 548 on the sensor, 540 in the window from x = 8
    np.testing.assert_allclose(cam_a.K, [[1000.0, 0.0, 540.0], [0.0, 1001.0, 960.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(cam_a.dist, [-0.05, 0.1, 0.001, -0.002, 0.01])  # k1 k2 p1 p2 k3, unscaled
    np.testing.assert_allclose(cam_b.K, [[1500.0, 0.0, 544.0], [0.0, 1500.0, 960.0], [0.0, 0.0, 1.0]])
    assert (cam_b.width, cam_b.height) == (1088, 1920)


def test_qca_pose_becomes_opencv_world_to_camera(tmp_path):
    cam_b, cam_a = read_qca_calibration(_write_qca(tmp_path))
    # cam_a: x right = world +x, y down = world -z, z forward = world +y; centre (0, -3, 1) m
    np.testing.assert_allclose(cam_a.R, [[1, 0, 0], [0, 0, -1], [0, 1, 0]], atol=1e-12)
    np.testing.assert_allclose(cam_a.t, [0.0, 1.0, 3.0], atol=1e-12)
    np.testing.assert_allclose(cam_a.centre, [0.0, -3.0, 1.0], atol=1e-12)
    # cam_b: x right = world +y, y down = world -z, z forward = world -x; centre (3, 0, 1.5) m
    np.testing.assert_allclose(cam_b.R, [[0, 1, 0], [0, 0, -1], [-1, 0, 0]], atol=1e-12)
    np.testing.assert_allclose(cam_b.t, [0.0, 1.5, 3.0], atol=1e-12)
    # The origin on the floor is 3 m ahead of each camera and below its optical axis (image y down).
    origin = np.zeros(3)
    np.testing.assert_allclose(cam_a.to_camera(origin), [0.0, 1.0, 3.0], atol=1e-12)
    np.testing.assert_allclose(cam_a.project(origin, distort=False), [540.0, 960.0 + 1001.0 / 3.0])
    np.testing.assert_allclose(cam_b.project(origin), [544.0, 960.0 + 1500.0 * 1.5 / 3.0])
    # A point 1 m along world +x is right of the image centre in cam_a.
    assert cam_a.project(np.array([1.0, 0.0, 0.0]), distort=False)[0] > 540.0
    np.testing.assert_allclose(
        cam_a.projection @ np.array([0.0, 0.0, 0.0, 1.0]), cam_a.K @ cam_a.t, atol=1e-12
    )


def test_qca_errors_are_named(tmp_path):
    with pytest.raises(ValueError, match="viewrotation=90"):
        read_qca_calibration(_write_qca(tmp_path, rotation="90"))
    with pytest.raises(ValueError, match="not a rotation"):
        read_qca_calibration(_write_qca(tmp_path, r32="-0.5"))
    bad = tmp_path / "bad.qca.txt"
    bad.write_text("<calibration><cameras/></calibration>")
    with pytest.raises(ValueError, match="no <cameras>"):
        read_qca_calibration(bad)
    bad.write_text("not xml")
    with pytest.raises(ValueError, match="not a QCA XML"):
        read_qca_calibration(bad)
    bad.write_text(
        '<calibration><cameras><camera serial="c"><fov_video left="0" top="0" right="9" bottom="9"/>'
        "</camera></cameras></calibration>"
    )
    with pytest.raises(ValueError, match="camera c: missing"):
        read_qca_calibration(bad)


def _camera():
    rotation = cv2.Rodrigues(np.array([0.3, -0.5, 0.2]))[0]
    intrinsics = np.array([[1680.0, 0.0, 533.0], [0.0, 1681.0, 948.0], [0.0, 0.0, 1.0]])
    dist = np.array([-0.2, 0.1, 0.002, -0.001, 0.03])
    return CalibratedCamera("c", 1088, 1920, intrinsics, dist, rotation, np.array([0.1, -0.2, 3.5]))


def test_camera_projection_matches_opencv_and_hides_points_behind():
    camera = _camera()
    rng = np.random.default_rng(0)
    points = camera.R.T @ (rng.uniform([-1.0, -1.5, 2.0], [1.0, 1.5, 5.0], (50, 3)) - camera.t).T
    points = points.T
    expected, _ = cv2.projectPoints(points, cv2.Rodrigues(camera.R)[0], camera.t, camera.K, camera.dist)
    np.testing.assert_allclose(camera.project(points), expected.reshape(-1, 2), atol=1e-8)
    ideal = camera.project(points, distort=False)
    np.testing.assert_allclose(camera.undistort(camera.project(points)), ideal, atol=1e-6)
    behind = camera.R.T @ (np.array([0.0, 0.0, -1.0]) - camera.t)
    assert np.isnan(camera.project(behind)).all()


def test_resized_camera_maps_pixel_centres():
    camera = _camera()
    half = camera.resized(544, 960)
    points = camera.R.T @ (np.array([[0.2, 0.3, 3.0], [-0.5, 0.8, 4.0]]) - camera.t).T
    full_px = camera.project(points.T, distort=False)
    np.testing.assert_allclose(half.project(points.T, distort=False), (full_px + 0.5) * 0.5 - 0.5, atol=1e-9)
    assert half.pinhole().width == 544 and half.pinhole().fx == pytest.approx(840.0)


def test_image_size_check_accepts_codec_padding_only():
    camera = _camera()  # 1088 x 1920
    check_image_size(camera, 1088, 1920)
    check_image_size(camera, 1080, 1920)  # the 8 padding columns cropped by the decoder
    for width, height in ((544, 960), (1920, 1088), (1100, 1920)):
        with pytest.raises(ValueError, match="calibrated for 1088x1920"):
            check_image_size(camera, width, height)


# --- fetching ---------------------------------------------------------------------------------------


def _fake_wheel(directory, members):
    wheel = directory / f"pose2sim-{POSE2SIM_VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in members.items():
            archive.writestr(f"Pose2Sim/{name}", data)
    return wheel


def test_cached_demo_unpacks_a_cached_wheel_and_orders_cameras(tmp_path):
    assert cached_pose2sim_demo(tmp_path) is None
    qca = QCA.format(rotation="0", r32="-1")
    for old, new in (("cam_a", "cam03"), ("cam_b", "cam01")):
        qca = qca.replace(old, new)
    cameras = qca[qca.index("<camera ") : qca.index("</cameras>")]
    qca = qca.replace(cameras, cameras + cameras.replace("cam03", "cam04").replace("cam01", "cam02"))
    members = {member: f"video {i}".encode() for i, member in enumerate(VIDEO_MEMBERS)}
    members[CALIBRATION_MEMBER] = qca.encode()
    _fake_wheel(tmp_path, members)
    demo = cached_pose2sim_demo(tmp_path)
    assert demo is not None
    assert [p.read_bytes() for p in demo.videos] == [b"video 0", b"video 1", b"video 2", b"video 3"]
    assert [camera.name for camera in demo.cameras()] == ["cam01", "cam02", "cam03", "cam04"]
    assert [camera.width for camera in demo.cameras()] == [1088, 1088, 1080, 1080]


def test_download_reuses_a_wheel_in_the_directory_without_pip(tmp_path, monkeypatch):
    wheel = _fake_wheel(tmp_path, {"x.txt": b"x"})

    def no_pip(*args, **kwargs):
        raise AssertionError("pip must not run when the wheel is there")

    monkeypatch.setattr(subprocess, "run", no_pip)
    assert download_wheel("pose2sim", tmp_path, version=POSE2SIM_VERSION, log=None) == wheel
    extract_member(wheel, "x.txt", tmp_path / "out" / "x.txt")
    assert (tmp_path / "out" / "x.txt").read_bytes() == b"x"
    with pytest.raises(FetchError, match=r"has no y\.txt"):
        extract_member(wheel, "y.txt", tmp_path / "y.txt")
    assert not (tmp_path / "y.txt").exists()


def test_download_failure_is_a_fetch_error_with_pips_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # pip fails at once, with no network access
    with pytest.raises(FetchError, match=r"pose2sim==0\.10\.49 wheel with pip.*No matching distribution"):
        download_wheel("pose2sim", tmp_path / "cache", version=POSE2SIM_VERSION, log=None)
    assert not list((tmp_path / "cache").glob("*.whl"))


# --- video ------------------------------------------------------------------------------------------


def test_video_frames_are_rgb_with_stride_limit_and_scale(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (64, 48))
    colours_rgb = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    for i in range(12):
        writer.write(np.full((48, 64, 3), colours_rgb[i % 3][::-1], np.uint8))  # the writer takes BGR
    writer.release()
    info = video_info(path)
    assert (info.width, info.height, info.fps, info.frame_count) == (64, 48, 30.0, 12)
    assert same_timing([info, info])
    frames = list(VideoFrames(path))
    assert len(frames) == 12 and frames[0].dtype == np.uint8 and frames[0].shape == (48, 64, 3)
    for i, frame in enumerate(frames):
        assert np.argmax(frame.reshape(-1, 3).mean(axis=0)) == i % 3  # red, green, blue, red, ...
    strided = VideoFrames(path, stride=3, max_frames=3, scale=0.5)
    kept = list(strided)
    assert len(kept) == len(strided) == 3 and kept[0].shape == (24, 32, 3)
    assert all(np.argmax(frame.reshape(-1, 3).mean(axis=0)) == 0 for frame in kept)  # frames 0, 3, 6
    with pytest.raises(ValueError, match="cannot open"):
        VideoFrames(tmp_path / "missing.mp4")


# --- the real demo (cached wheel only) ---------------------------------------------------------------

DEMO = cached_pose2sim_demo()
needs_demo = pytest.mark.skipif(
    DEMO is None,
    reason=f"the pose2sim {POSE2SIM_VERSION} wheel is not in the cache "
    "(python -m auglift_ros.footage.pose2sim fetches it); tests never download",
)


@needs_demo
def test_demo_cameras_surround_the_capture_volume():
    cameras = DEMO.cameras()
    for camera in cameras:
        # The calibration origin (a corner of the treadmill the person stands on) is 2.5-5 m in front
        # of every camera and inside its image.
        assert 2.5 < camera.to_camera(np.zeros(3))[2] < 5.0
        u, v = camera.project(np.zeros(3))
        assert 0 <= u < camera.width and 0 <= v < camera.height
        assert 1.5 < camera.centre[2] < 2.2  # mounted 1.7-2.1 m high (world z up)
    videos = [VideoFrames(path) for path in DEMO.videos]  # container figures (video_info decodes: slow)
    assert [(len(v), v.fps, v.native_height) for v in videos] == [(100, 60.0, 1920)] * 4


@needs_demo
def test_demo_reference_reprojects_into_every_view():
    from auglift_ros.footage.reference import triangulated_reference

    cameras = DEMO.cameras()
    reference = triangulated_reference(
        DEMO.videos, cameras, max_frames=8, scale=0.5, frame_offsets=None, progress=False
    )
    assert reference.joints_world.shape == (8, 17, 3)
    assert np.isfinite(reference.joints_world).all()
    for camera in cameras:
        assert (camera.to_camera(reference.joints_world)[..., 2] > 1.5).all()  # the person is in front
    stats = reference.error_stats()
    # Measured: 13.0 px median over these 8 frames (11.0 px over all 100 frames with cam03's start
    # offset of 5 frames, which 8 frames are too few to estimate), per view 8-17 px. 20 px is 4 cm
    # at the cameras' 3.5 m (px * z / f, f = 1680 px); a wrong axis convention gives > 300 px.
    assert stats["median_px"] < 20.0
    assert all(stats[f"median_px_{camera.name}"] < 25.0 for camera in cameras)
    thigh = np.linalg.norm(
        reference.joints_world[:, [J["right_hip"], J["left_hip"]]]
        - reference.joints_world[:, [J["right_knee"], J["left_knee"]]],
        axis=-1,
    )
    assert 0.3 < np.median(thigh) < 0.55  # metres, not millimetres
