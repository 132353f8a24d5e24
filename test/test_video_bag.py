"""make-bag from a video and its calibration: images, camera_info scaled with the frames, errors."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from auglift_ros.bags.io import read_messages
from auglift_ros.commands.main import main
from auglift_ros.footage.calibration import load_cameras
from auglift_ros.nodes.messages import camera_matrix, image_to_rgb
from auglift_ros.runtime.graph import pipeline_topics

TOPICS = pipeline_topics()
K = [[100.0, 0.0, 31.5], [0.0, 100.0, 23.5], [0.0, 0.0, 1.0]]


def _video(path: Path, frames: int = 5) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (64, 48))
    for i in range(frames):
        bgr = np.zeros((48, 64, 3), np.uint8)
        bgr[:, :, 2] = 40 * i  # red grows frame by frame
        writer.write(bgr)
    writer.release()
    return path


def _calibration(path: Path, width: int = 64, height: int = 48) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "image_width": width,
                "image_height": height,
                "camera_name": "usb_cam",
                "camera_matrix": {"rows": 3, "cols": 3, "data": [v for row in K for v in row]},
                "distortion_model": "plumb_bob",
                "distortion_coefficients": {"rows": 1, "cols": 5, "data": [0.1, -0.05, 0.0, 0.0, 0.0]},
            }
        )
    )
    return path


def test_video_and_ros_calibration_become_an_image_bag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video, calibration = _video(tmp_path / "clip.avi"), _calibration(tmp_path / "ost.yaml")
    (camera,) = load_cameras(calibration)
    assert camera.name == "usb_cam" and camera.dist[0] == 0.1
    bag = tmp_path / "bag"
    args = ["make-bag", "--video", str(video), "--calibration", str(calibration), "--out", str(bag)]
    assert main([*args, "--scale", "0.5", "--max-frames", "4"]) == 0
    assert "1 sequence(s), 4 frames" in capsys.readouterr().out
    messages: dict[str, list] = {}
    for message in read_messages(bag):
        messages.setdefault(message.topic, []).append(message.msg)
    assert set(messages) == {TOPICS.image, TOPICS.camera_info, TOPICS.sequences}
    images, infos = messages[TOPICS.image], messages[TOPICS.camera_info]
    assert [(m.width, m.height) for m in images] == [(32, 24)] * 4
    assert [i.header.stamp for i in infos] == [m.header.stamp for m in images]
    # K follows the half-size frames: f / 2 and pixel centres (c + 0.5) / 2 - 0.5.
    np.testing.assert_allclose(camera_matrix(infos[0]), [[50.0, 0, 15.5], [0, 50.0, 11.5], [0, 0, 1]])
    assert list(infos[0].d)[:2] == [0.1, -0.05]
    reds = [image_to_rgb(m)[..., 0].mean() for m in images]
    assert reds == sorted(reds) and reds[-1] - reds[0] > 100  # frames in order (MJPG is lossy)
    stamps = [m.header.stamp.sec * 10**9 + m.header.stamp.nanosec for m in images]
    assert np.diff(stamps).tolist() == [33333333, 33333334, 33333333]  # i / 30 s, rounded per frame


def test_video_bag_errors_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    video = _video(tmp_path / "clip.avi")
    wrong = _calibration(tmp_path / "wrong.yaml", width=640, height=480)
    assert (
        main(["make-bag", "--video", str(video), "--calibration", str(wrong), "--out", str(tmp_path / "b")])
        != 0
    )
    assert "calibrated for 640x480" in capsys.readouterr().err
    broken = tmp_path / "broken.yaml"
    broken.write_text("image_width: 64\n")
    assert (
        main(["make-bag", "--video", str(video), "--calibration", str(broken), "--out", str(tmp_path / "c")])
        != 0
    )
    assert "not a ROS camera calibration YAML" in capsys.readouterr().err
    assert (
        main(
            [
                "make-bag",
                "--video",
                str(tmp_path / "none.avi"),
                "--calibration",
                str(wrong),
                "--out",
                str(tmp_path / "d"),
            ]
        )
        != 0
    )
    assert "cannot open the video" in capsys.readouterr().err
