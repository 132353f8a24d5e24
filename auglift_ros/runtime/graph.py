"""The pipeline graph, read from config/pipeline.yaml: the one description the launch file and the
`auglift-ros pipeline` runner both start from.

Each node has an executable (its console script, `ros2 run auglift_ros <executable>`), the module with
its `main()` (for machines without ros2 run), parameter defaults and topic remappings. Camera topics
are named once in the camera section and referenced as "{camera.image}" etc.

`depth_source` says where the lifter's depth comes from: `camera` (an RGB-D camera's registered depth
topic) or `node` (the depth node estimates it from the image). A node with a `depth_source` key runs
only with that source, and a remapping may name one topic per source. A node with `evaluate: true`
(the evaluator) runs only when evaluation is asked for; "{evaluation.X}" refers to the evaluation
section's ground-truth topics. The `arguments` section maps launch arguments (and the runner's
options) to node parameters, so both expose the same settings.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config" / "pipeline.yaml"
CAMERA_TOPICS = ("image", "camera_info", "depth")
DEPTH_SOURCES = ("camera", "node")
_REFERENCE = re.compile(r"\{(camera|evaluation)\.(\w+)\}")


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

    def command(self, namespace: str = "") -> list[str]:
        """How the pipeline runner and benchmarks start this node: this Python, the module that makes a
        Ctrl-C during start-up a clean stop (auglift_ros.nodes.start), and the `--ros-args`."""
        return [
            sys.executable,
            "-m",
            "auglift_ros.nodes.start",
            self.executable,
            *self.ros_arguments(namespace),
        ]

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
    from auglift_ros.runtime.models import model_dirs  # the same share-folder search the models use

    for models in model_dirs():
        candidate = models.parent / "config" / "pipeline.yaml"
        if candidate.is_file():
            return candidate
    raise GraphError("config/pipeline.yaml not found in the source tree or an installed share folder")


FASTDDS_PROFILES_VARIABLE = "FASTDDS_DEFAULT_PROFILES_FILE"
FASTDDS_PROFILE_VARIABLES = (FASTDDS_PROFILES_VARIABLE, "FASTRTPS_DEFAULT_PROFILES_FILE")
"""Environment variables through which a user names a Fast DDS profile (new and legacy names)."""


def fastdds_profile() -> Path:
    """config/fastdds_large_shm.xml beside the pipeline config: a 16 MB shared-memory segment, which
    camera-sized images need (Fast DDS's 512 KB default loses most of them)."""
    return default_config().parent / "fastdds_large_shm.xml"


def fastdds_profile_environment(environment: Mapping[str, str]) -> dict[str, str]:
    """What to add to the nodes' environment so they use :func:`fastdds_profile`: nothing under
    another middleware or where ``environment`` already names a profile (the user's own wins)."""
    if environment.get("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp") != "rmw_fastrtps_cpp":
        return {}
    if any(variable in environment for variable in FASTDDS_PROFILE_VARIABLES):
        return {}
    return {FASTDDS_PROFILES_VARIABLE: str(fastdds_profile())}


def _read(path: Path) -> dict[str, Any]:
    try:
        values = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise GraphError(f"pipeline config {path}: cannot read ({exc})") from exc
    if not isinstance(values, dict) or not isinstance(values.get("nodes"), dict):
        raise GraphError(f"pipeline config {path}: needs a 'nodes' mapping")
    return values


def graph_arguments(path: str | Path | None = None) -> dict[str, tuple[str, str]]:
    """The config's arguments: name -> (node, parameter) that the launch file and runner expose."""
    path = Path(path) if path is not None else default_config()
    return _arguments(_read(path), path)


def _arguments(values: dict[str, Any], path: Path) -> dict[str, tuple[str, str]]:
    arguments = {}
    for name, target in (values.get("arguments") or {}).items():
        node, _, parameter = str(target).partition(".")
        spec = values["nodes"].get(node)
        if not isinstance(spec, dict) or parameter not in (spec.get("parameters") or {}):
            raise GraphError(
                f"pipeline config {path}: argument {name!r} names no node parameter ({target!r})"
            )
        arguments[name] = (node, parameter)
    return arguments


def _typed(text: str, default: Any) -> Any:
    """An argument's text as the type of the parameter's default (launch arguments are strings)."""
    if isinstance(default, str):
        return text
    value = yaml.safe_load(text)
    if type(value) is not type(default) and not (isinstance(default, float) and type(value) is int):
        raise GraphError(f"{text!r} is not a {type(default).__name__} like the default {default!r}")
    return float(value) if isinstance(default, float) else value


def load_graph(
    path: str | Path | None = None,
    camera: dict[str, str] | None = None,
    *,
    depth_source: str | None = None,
    arguments: dict[str, str] | None = None,
    evaluate: bool = False,
) -> list[NodeSpec]:
    """The nodes of the pipeline for a depth source (and the evaluator when evaluate), with camera
    topics and arguments (empty values keep the config's) filled in."""
    path = Path(path) if path is not None else default_config()
    values = _read(path)
    topics = dict(values.get("camera") or {})
    topics.update({k: v for k, v in (camera or {}).items() if v})
    unknown = sorted(set(topics) - set(CAMERA_TOPICS))
    if unknown:
        raise GraphError(
            f"pipeline config {path}: unknown camera topic(s) {unknown}; known {list(CAMERA_TOPICS)}"
        )
    source = depth_source or values.get("depth_source", "camera")
    if source not in DEPTH_SOURCES:
        raise GraphError(f"depth_source must be one of {DEPTH_SOURCES}, got {source!r}")
    overrides: dict[str, dict[str, str]] = {}
    known = _arguments(values, path) if arguments else {}
    for name, text in (arguments or {}).items():
        if name not in known:
            raise GraphError(f"unknown argument {name!r}; known {sorted(known)}")
        if text != "":
            node, parameter = known[name]
            overrides.setdefault(node, {})[parameter] = text

    def resolve(remapping: str, target: Any) -> str:
        if isinstance(target, dict):
            if source not in target:
                raise GraphError(
                    f"pipeline config {path}: remapping {remapping!r} has no topic for {source!r}"
                )
            target = target[source]

        def section_topic(match: re.Match[str]) -> str:
            section = topics if match.group(1) == "camera" else values.get("evaluation") or {}
            if match.group(2) not in section:
                raise GraphError(
                    f"pipeline config {path}: {match.group(0)} is not in the {match.group(1)} section"
                )
            return str(section[match.group(2)])

        return _REFERENCE.sub(section_topic, str(target))

    nodes = []
    for name, spec in values["nodes"].items():
        if not isinstance(spec, dict) or "executable" not in spec:
            raise GraphError(f"pipeline config {path}: node {name!r} needs an executable")
        parameters = dict(spec.get("parameters") or {})
        for parameter, text in overrides.get(name, {}).items():
            try:
                parameters[parameter] = _typed(text, parameters[parameter])
            except GraphError as exc:  # checked even for a node this depth source does not start
                raise GraphError(f"argument for {name}.{parameter}: {exc}") from None
        if spec.get("depth_source", source) != source or (spec.get("evaluate", False) and not evaluate):
            continue
        nodes.append(
            NodeSpec(
                name=name,
                executable=spec["executable"],
                parameters=parameters,
                remappings={k: resolve(k, v) for k, v in (spec.get("remappings") or {}).items()},
            )
        )
    return nodes


@dataclass(frozen=True)
class PipelineTopics:
    """Absolute names of the topics a bag or a test harness touches, all derived from the graph."""

    image: str
    camera_info: str
    depth: str
    keypoints: str
    skeletons: str
    markers: str
    ground_truth: str
    sequences: str


def _absolute(name: str, namespace: str) -> str:
    """A relative topic name resolved in namespace ('' = the root), as the launch file resolves it."""
    if name.startswith("/"):
        return name
    prefix = namespace.strip("/")
    return f"/{prefix}/{name}" if prefix else f"/{name}"


def pipeline_topics(
    path: str | Path | None = None, *, namespace: str = "", depth_source: str = "camera"
) -> PipelineTopics:
    """The pipeline's topics: camera topics and keypoints as the lifter reads them, its outputs, and
    the evaluation section's ground truth (the depth topic is the lifter's for depth_source)."""
    path = Path(path) if path is not None else default_config()
    specs = {spec.name: spec for spec in load_graph(path, depth_source=depth_source)}
    for name in ("detector", "lifter"):
        if name not in specs:
            raise GraphError(f"pipeline config {path}: no {name!r} node")
    detector, lifter = specs["detector"], specs["lifter"]
    evaluation = _read(path).get("evaluation") or {}
    missing = sorted({"ground_truth", "sequences"} - set(evaluation))
    if missing:
        raise GraphError(f"pipeline config {path}: the evaluation section lacks {missing}")
    return PipelineTopics(
        image=_absolute(detector.remappings["image"], namespace),
        camera_info=_absolute(lifter.remappings["camera_info"], namespace),
        depth=_absolute(lifter.remappings["depth"], namespace),
        keypoints=_absolute(lifter.remappings["keypoints"], namespace),
        skeletons=_absolute(f"{lifter.name}/skeletons", namespace),  # the lifter's private ~/skeletons
        markers=_absolute(f"{lifter.name}/markers", namespace),
        ground_truth=_absolute(str(evaluation["ground_truth"]), namespace),
        sequences=_absolute(str(evaluation["sequences"]), namespace),
    )
