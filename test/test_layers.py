"""The layering rules of docs/architecture.md, enforced on the source: which folder may import which,
where ROS may be imported, and that no import cycle exists. The rules are read from that page's
table, so the page and this test cannot disagree."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "auglift_ros"
ROS_MODULES = re.compile(
    r"^(rclpy|\w+_msgs|builtin_interfaces|message_filters|cv_bridge|rosbags|launch|launch_ros)(\.|$)"
)


def layer_table() -> dict[str, tuple[set[str], bool]]:
    """folder -> (folders it may import, whether it may import ROS), from docs/architecture.md."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    table = text.split("<!-- layers:", 1)[1].split("\n\n", 1)[0]
    rows: dict[str, tuple[set[str], bool]] = {}
    for line in table.splitlines()[3:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        folder = cells[0].strip("`")
        allowed = set() if cells[2] == "(nothing)" else {name.strip() for name in cells[2].split(",")}
        rows[folder] = (allowed, {"yes": True, "no": False}[cells[3]])
    return rows


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import in the file, at the top or inside functions; a
    `from package import name` counts name when it is a module of the package."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import"
            found.append((node.lineno, node.module))
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                if (ROOT / (candidate.replace(".", "/") + ".py")).exists() or (
                    ROOT / candidate.replace(".", "/") / "__init__.py"
                ).exists():
                    found.append((node.lineno, candidate))
    return found


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def folder_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "auglift_ros" else None


def test_the_table_names_every_folder_and_nothing_sits_loose() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert folders == set(layer_table())
    assert sorted(p.name for p in PACKAGE.glob("*.py")) == ["__init__.py"]
    for folder, (allowed, _) in layer_table().items():
        assert allowed <= set(layer_table()), f"{folder} may import unknown folders {allowed - folders}"


def test_folder_docstrings_state_the_same_rule() -> None:
    """Each folder opens with a docstring whose 'May import:' names exactly the table's folders."""
    table = layer_table()
    for folder, (allowed, _) in table.items():
        doc = ast.get_docstring(ast.parse((PACKAGE / folder / "__init__.py").read_text()))
        assert doc and "May import:" in doc, f"{folder}/__init__.py has no 'May import:' line"
        clause = re.split(r"[.;]", doc.split("May import:", 1)[1].replace("\n", " "), maxsplit=1)[0]
        named = {word for word in re.findall(r"\w+", clause) if word in table}
        assert named == allowed, f"{folder}/__init__.py says {sorted(named)}, the table {sorted(allowed)}"


def breaches(path: Path, folder: str) -> list[str]:
    """The imports of a file in `folder` that the table forbids."""
    table = layer_table()
    allowed, ros = table[folder]
    found = []
    for line, module in imports_of(path):
        target = folder_of(module)
        if module == "auglift_ros":  # the package itself: __version__
            continue
        if target is not None and target != folder and target not in allowed:
            found.append(f"{path.name}:{line}: {folder} imports {module}")
        elif target is None and ROS_MODULES.match(module) and not ros:
            found.append(f"{path.name}:{line}: {folder} imports ROS ({module})")
    return found


@pytest.mark.parametrize(
    "path", [p for p in sources() if p.parent != PACKAGE], ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_imports_follow_the_layers(path: Path) -> None:
    assert breaches(path, path.relative_to(PACKAGE).parts[0]) == []


def test_no_import_cycle() -> None:
    graph = {module_name(p): {m for _, m in imports_of(p) if m.startswith("auglift_ros.")} for p in sources()}
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                pytest.fail("import cycle: " + " -> ".join([*path[path.index(target) :], target]))
            if target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_the_rules_catch_a_breach(tmp_path: Path) -> None:
    """An upward import and a ROS import inside a function of core are both reported; the same
    lines in commands are not, and ament_index_python (a path lookup) is not ROS."""
    breach = tmp_path / "breach.py"
    breach.write_text(
        "def f():\n    from auglift_ros.nodes import messages\n    import rclpy.node\n"
        "    import ament_index_python\n    from auglift_ros import __version__\n"
    )
    assert breaches(breach, "core") == [
        "breach.py:2: core imports auglift_ros.nodes",
        "breach.py:2: core imports auglift_ros.nodes.messages",
        "breach.py:3: core imports ROS (rclpy.node)",
    ]
    assert breaches(breach, "commands") == []
