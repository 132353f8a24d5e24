"""Reading and writing ROS 2 bags (MCAP or sqlite3) as rclpy messages, without rosbag2.

`rosbags` handles the storage formats and writes the message definitions `ros2 bag play` needs;
rclpy's CDR (de)serialisation turns the stored bytes into the same message objects the nodes
receive, so offline replay converts them with the nodes' own code (auglift_ros.nodes.messages).
Every failure of a corrupt, truncated or foreign bag is raised as BagError naming the bag.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from rclpy.serialization import deserialize_message, serialize_message
from rosbags.rosbag2 import Reader, StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore

from auglift_ros.nodes.messages import stamp_ns

STORAGES = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}
BAG_VERSION = 8
"""rosbag2 metadata version written: the older of the two rosbags can write, since rosbag2 reads its
own and older versions."""
TYPESTORE = Stores.ROS2_KILTED
"""Message definitions stored in the bag: those of the rclpy wheels this package runs on."""


class BagError(RuntimeError):
    """A bag that cannot be read or written as asked."""


def msgtype_of(msg: Any) -> str:
    """The ROS type name of an rclpy message, e.g. sensor_msgs/msg/Image."""
    package = type(msg).__module__.split(".")[0]
    return f"{package}/msg/{type(msg).__name__}"


def message_class(msgtype: str) -> type:
    """The rclpy message class of a ROS type name; BagError if it is not installed."""
    package, kind, name = [*msgtype.split("/"), "", ""][:3]
    try:
        return getattr(importlib.import_module(f"{package}.{kind}"), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise BagError(f"message type {msgtype!r} is not available in this Python environment") from exc


def stamp_of(msg: Any) -> int | None:
    """A message's header stamp in nanoseconds, or None if it has no header."""
    header = getattr(msg, "header", None)
    return None if header is None else stamp_ns(header)


class BagWriter:
    """Writes rclpy messages to a new bag folder; one connection per topic, created on first use."""

    def __init__(self, path: str | Path, storage: str = "mcap") -> None:
        if storage not in STORAGES:
            raise BagError(f"bag storage must be one of {sorted(STORAGES)}, got {storage!r}")
        self.path = Path(path)
        if self.path.exists():
            raise BagError(f"bag {self.path}: already exists (choose a new folder)")
        self._typestore = get_typestore(TYPESTORE)
        self._writer = Writer(self.path, version=BAG_VERSION, storage_plugin=STORAGES[storage])
        self._connections: dict[str, Any] = {}
        self._writer.open()

    def write(self, topic: str, msg: Any, log_time_ns: int | None = None) -> None:
        """Store msg on topic at log_time_ns (default: its header stamp; 0 if it has none)."""
        msgtype = msgtype_of(msg)
        if topic not in self._connections:
            self._connections[topic] = self._writer.add_connection(topic, msgtype, typestore=self._typestore)
        elif self._connections[topic].msgtype != msgtype:
            raise BagError(
                f"bag {self.path}: topic {topic} holds {self._connections[topic].msgtype}, not {msgtype}"
            )
        when = log_time_ns if log_time_ns is not None else (stamp_of(msg) or 0)
        self._writer.write(self._connections[topic], when, serialize_message(msg))

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> BagWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@dataclass(frozen=True)
class BagMessage:
    topic: str
    log_time_ns: int
    msg: Any


def _open(path: Path) -> Reader:
    if not path.exists():
        raise BagError(f"bag {path}: not found")
    try:
        reader = Reader(path)
        reader.open()
    except Exception as exc:  # rosbags raises its own errors, sqlite3, yaml and OS errors
        raise BagError(f"bag {path}: cannot open ({exc})") from exc
    return reader


def bag_topics(path: str | Path) -> dict[str, str]:
    """Topic -> message type of every topic in the bag."""
    reader = _open(Path(path))
    try:
        return {topic: info.msgtype for topic, info in reader.topics.items()}
    finally:
        reader.close()


def bag_message_counts(path: str | Path) -> dict[str, int]:
    """Topic -> number of messages, from the bag's metadata."""
    reader = _open(Path(path))
    try:
        return {topic: info.msgcount for topic, info in reader.topics.items()}
    finally:
        reader.close()


def read_messages(path: str | Path, topics: Iterable[str] | None = None) -> Iterator[BagMessage]:
    """The bag's messages (on `topics` if given) in log-time order, as rclpy messages."""
    path = Path(path)
    reader = _open(path)
    try:
        wanted = set(topics) if topics is not None else None
        connections = [c for c in reader.connections if wanted is None or c.topic in wanted]
        classes = {c.id: message_class(c.msgtype) for c in connections}
        try:
            for connection, log_time, raw in reader.messages(connections=connections):
                yield BagMessage(connection.topic, log_time, deserialize_message(raw, classes[connection.id]))
        except Exception as exc:  # truncated chunks, bad CDR, a broken sqlite file
            raise BagError(f"bag {path}: cannot read its messages ({exc})") from exc
    finally:
        reader.close()
