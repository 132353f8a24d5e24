"""The pipeline graph, read from config/pipeline.yaml: the one description the launch file and the
`auglift-ros pipeline` runner both start from.

Each node has an executable (its console script, `ros2 run auglift_ros <executable>`), the module with
its `main()` (for machines without ros2 run), parameter defaults and topic remappings. Camera topics
are named once in the camera section and referenced as "{camera.image}" etc.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "pipeline.yaml"
CAMERA_TOPICS = ("image", "camera_info", "depth")
_REFERENCE = re.compile(r"\{camera\.(\w+)\}")


class GraphError(ValueError):
    """The pipeline description is unreadable or inconsistent."""


@dataclass(frozen=True)
class NodeSpec:
    name: str
    executable: str
    parameters: dict[str, Any]
    remappings: dict[str, str]

    @property
    def module(self) -> str:
        return f"auglift_ros.nodes.{self.executable}"

    def ros_arguments(self, namespace: str = "") -> list[str]:
        """`--ros-args` for starting this node by hand: name, namespace, remappings, parameters."""
        args = ["--ros-args", "-r", f"__node:={self.name}"]
        if namespace:
            args += ["-r", f"__ns:=/{namespace.strip('/')}"]
        for source, target in self.remappings.items():
            args += ["-r", f"{source}:={target}"]
        for name, value in self.parameters.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            args += ["-p", f"{name}:={text if text else chr(39) * 2}"]
        return args


def default_config() -> Path:
    """config/pipeline.yaml of the source tree, else the installed share/auglift_ros/config copy."""
    if DEFAULT_CONFIG.is_file():
        return DEFAULT_CONFIG
    from auglift_ros.models import model_dirs  # the same share-folder search the models use

    for models in model_dirs():
        candidate = models.parent / "config" / "pipeline.yaml"
        if candidate.is_file():
            return candidate
    raise GraphError("config/pipeline.yaml not found in the source tree or an installed share folder")


def load_graph(path: str | Path | None = None, camera: dict[str, str] | None = None) -> list[NodeSpec]:
    """The nodes of the pipeline, with camera topics (optionally overridden) filled in."""
    path = Path(path) if path is not None else default_config()
    try:
        values = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise GraphError(f"pipeline config {path}: cannot read ({exc})") from exc
    if not isinstance(values, dict) or not isinstance(values.get("nodes"), dict):
        raise GraphError(f"pipeline config {path}: needs a 'nodes' mapping")
    topics = dict(values.get("camera") or {})
    topics.update({k: v for k, v in (camera or {}).items() if v})
    unknown = sorted(set(topics) - set(CAMERA_TOPICS))
    if unknown:
        raise GraphError(
            f"pipeline config {path}: unknown camera topic(s) {unknown}; known {list(CAMERA_TOPICS)}"
        )

    def resolve(text: str) -> str:
        def camera_topic(match: re.Match[str]) -> str:
            if match.group(1) not in topics:
                raise GraphError(f"pipeline config {path}: {match.group(0)} is not in the camera section")
            return str(topics[match.group(1)])

        return _REFERENCE.sub(camera_topic, str(text))

    nodes = []
    for name, spec in values["nodes"].items():
        if not isinstance(spec, dict) or "executable" not in spec:
            raise GraphError(f"pipeline config {path}: node {name!r} needs an executable")
        nodes.append(
            NodeSpec(
                name=name,
                executable=spec["executable"],
                parameters=dict(spec.get("parameters") or {}),
                remappings={k: resolve(v) for k, v in (spec.get("remappings") or {}).items()},
            )
        )
    return nodes
