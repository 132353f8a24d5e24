"""Bag files written and read back through rosbags + rclpy serialisation, and broken bags named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from builtin_interfaces.msg import Time
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header

from auglift_ros.bags.io import BagError, BagWriter, bag_topics, message_class, msgtype_of, read_messages
from auglift_ros.nodes.messages import (
    cloud_to_keypoints,
    depth_image_to_metres,
    keypoints_to_cloud,
    metres_to_depth_image,
)


def _header(ms: int) -> Header:
    return Header(stamp=Time(sec=ms // 1000, nanosec=(ms % 1000) * 1_000_000), frame_id="camera")


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_messages_round_trip_in_log_time_order(tmp_path: Path, storage: str) -> None:
    rng = np.random.default_rng(0)
    keypoints, confidence = rng.uniform(0, 600, (2, 17, 2)), rng.uniform(0, 1, (2, 17)).astype(np.float32)
    depth = rng.uniform(1, 5, (6, 8)).astype(np.float32)
    path = tmp_path / "bag"
    with BagWriter(path, storage=storage) as bag:
        for ms in (0, 33, 66):
            bag.write("/camera/camera_info", CameraInfo(header=_header(ms), width=8, height=6))
            bag.write("/detector/keypoints", keypoints_to_cloud(_header(ms), keypoints, confidence))
        bag.write("/camera/depth", metres_to_depth_image(_header(10), depth))
    assert bag_topics(path) == {
        "/camera/camera_info": "sensor_msgs/msg/CameraInfo",
        "/detector/keypoints": "sensor_msgs/msg/PointCloud2",
        "/camera/depth": "sensor_msgs/msg/Image",
    }
    messages = list(read_messages(path))
    assert [m.log_time_ns for m in messages] == sorted(m.log_time_ns for m in messages)
    assert [m.log_time_ns // 1_000_000 for m in messages] == [0, 0, 10, 33, 33, 66, 66]
    (stored_depth,) = [m.msg for m in messages if m.topic == "/camera/depth"]
    np.testing.assert_array_equal(depth_image_to_metres(stored_depth), depth)
    clouds = [m.msg for m in read_messages(path, topics=["/detector/keypoints"])]
    assert len(clouds) == 3 and clouds[1].header.stamp.nanosec == 33_000_000
    got_keypoints, got_confidence = cloud_to_keypoints(clouds[0])
    np.testing.assert_allclose(got_keypoints, keypoints, rtol=1e-6)
    np.testing.assert_array_equal(got_confidence, confidence)


def test_type_names() -> None:
    assert msgtype_of(Image()) == "sensor_msgs/msg/Image"
    assert message_class("sensor_msgs/msg/CameraInfo") is CameraInfo
    with pytest.raises(BagError, match="'acme_msgs/msg/Thing' is not available"):
        message_class("acme_msgs/msg/Thing")


def test_bad_writes_are_named(tmp_path: Path) -> None:
    with pytest.raises(BagError, match="storage must be one of"):
        BagWriter(tmp_path / "a", storage="rosbag1")
    (tmp_path / "taken").mkdir()
    with pytest.raises(BagError, match="already exists"):
        BagWriter(tmp_path / "taken")
    with BagWriter(tmp_path / "b") as bag:
        bag.write("/x", Image(header=_header(0)))
        with pytest.raises(BagError, match="/x holds sensor_msgs/msg/Image, not sensor_msgs/msg/CameraInfo"):
            bag.write("/x", CameraInfo(header=_header(1)))


def _bag_with_images(path: Path, count: int, storage: str = "mcap") -> Path:
    image = Image(header=_header(0), height=64, width=64, encoding="mono8", step=64, data=bytes(64 * 64))
    with BagWriter(path, storage=storage) as bag:
        for ms in range(count):
            image.header = _header(ms)
            bag.write("/camera/image", image)
    return path


def test_missing_corrupt_and_truncated_bags_are_named(tmp_path: Path) -> None:
    with pytest.raises(BagError, match="not found"):
        list(read_messages(tmp_path / "nothing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(BagError, match="empty: cannot open"):
        bag_topics(tmp_path / "empty")
    garbled = _bag_with_images(tmp_path / "garbled", 3)
    (garbled / "metadata.yaml").write_text("rosbag2_bagfile_information: [unclosed")
    with pytest.raises(BagError, match="garbled: cannot open"):
        list(read_messages(garbled))
    truncated = _bag_with_images(tmp_path / "truncated", 200)
    (data,) = truncated.glob("*.mcap")
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    with pytest.raises(BagError, match="truncated"):
        list(read_messages(truncated))
