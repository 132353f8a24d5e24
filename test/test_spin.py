"""nodes/spin.spin_node: an error rclpy raises once shutdown has begun is a stop; before, a fault."""

from __future__ import annotations

import pytest

rclpy = pytest.importorskip("rclpy")
from rclpy.node import Node  # noqa: E402

from auglift_ros.nodes import spin  # noqa: E402


def _spin_raising(monkeypatch: pytest.MonkeyPatch, *, shut_down_first: bool) -> None:
    def spin_once_then_fail(node: Node, executor: object = None) -> None:
        if shut_down_first:  # the SIGTERM race: the context goes away under the executor
            rclpy.shutdown()
        raise RuntimeError("failed to initialize wait set: the given context is not valid")

    monkeypatch.setattr(spin.rclpy, "spin", spin_once_then_fail)


def test_an_error_after_shutdown_began_is_a_clean_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    _spin_raising(monkeypatch, shut_down_first=True)
    assert spin.spin_node(lambda: Node("spin_test_stop"), "test", args=[]) == 0
    assert not rclpy.ok()


def test_an_error_while_running_propagates(monkeypatch: pytest.MonkeyPatch) -> None:
    _spin_raising(monkeypatch, shut_down_first=False)
    with pytest.raises(RuntimeError, match="wait set"):
        spin.spin_node(lambda: Node("spin_test_fault"), "test", args=[])
    assert not rclpy.ok()  # shut down all the same


def test_ctrl_c_while_the_node_starts_is_a_clean_stop() -> None:
    def interrupted() -> Node:
        raise KeyboardInterrupt  # as rclpy's SIGINT handler raises it in the middle of construction

    assert spin.spin_node(interrupted, "test", args=[]) == 0
    assert not rclpy.ok()


def test_a_sigterm_while_the_node_starts_is_a_clean_stop(capsys: pytest.CaptureFixture[str]) -> None:
    def terminated() -> Node:
        rclpy.shutdown()  # what rclpy's SIGTERM handler does; the node then cannot be built
        return Node("spin_test_terminated")

    assert spin.spin_node(terminated, "test", args=[]) == 0
    assert "cannot start" not in capsys.readouterr().err


def test_a_node_that_cannot_start_says_why_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    def broken() -> Node:
        raise ValueError("parameter model names no file")

    assert spin.spin_node(broken, "test", args=[]) == 1
    assert "test: cannot start: parameter model names no file" in capsys.readouterr().err
    assert not rclpy.ok()


def test_ctrl_c_while_a_node_module_imports_is_a_clean_stop(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from auglift_ros.nodes import start

    def interrupted_import(name: str) -> None:
        raise KeyboardInterrupt  # Ctrl-C while numpy, rclpy or onnxruntime load

    monkeypatch.setattr(start.importlib, "import_module", interrupted_import)
    assert start.lifter_node() == 0
    assert start.run("no_such_node") == 2
    assert "unknown node 'no_such_node'" in capsys.readouterr().err


def test_the_runner_starts_nodes_through_the_start_module() -> None:
    """(The console scripts do too: test_package checks the wheel's entry points.)"""
    from auglift_ros.nodes import start
    from auglift_ros.runtime.graph import load_graph

    for spec in load_graph(evaluate=True):
        assert spec.command()[1:4] == ["-m", "auglift_ros.nodes.start", spec.executable]
        assert spec.executable in start.EXECUTABLES and callable(getattr(start, spec.executable))


def test_an_executor_cut_short_in_its_constructor_is_collected_quietly() -> None:
    """A Ctrl-C inside rclpy's Executor.__init__ leaves an instance without its attributes; its
    __del__ must not raise (rclpy's raised AttributeError, printed as a traceback on stop)."""
    unfinished = spin._Executor.__new__(spin._Executor)
    unfinished.__del__()
