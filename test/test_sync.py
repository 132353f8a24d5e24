"""Approximate-time pairing (the package's stand-in for message_filters where it is absent)."""

from __future__ import annotations

import pytest

from auglift_ros.core.sync import ApproximateSync

MS = 1_000_000


def _sync(inputs: int = 2, **kwargs: int) -> tuple[ApproximateSync, list[tuple]]:
    delivered: list[tuple] = []
    return ApproximateSync(inputs, lambda *m: delivered.append(m), **kwargs), delivered


def test_pairs_within_slop_and_waits_otherwise() -> None:
    sync, out = _sync(slop_ns=10 * MS)
    assert not sync.add(0, 100 * MS, "kp@100")
    assert not sync.add(1, 125 * MS, "depth@125")  # 25 ms apart: no pair yet
    assert sync.add(0, 130 * MS, "kp@130")  # 5 ms from depth@125
    assert out == [("kp@130", "depth@125")]
    assert sync.counters.delivered_sets == 1
    assert sync.counters.dropped == 1  # kp@100 is older than a delivered set: stale, dropped


def test_freshest_matching_set_wins() -> None:
    sync, out = _sync(slop_ns=10 * MS, queue_size=10)
    for stamp in (100, 133, 166):
        sync.add(0, stamp * MS, f"kp@{stamp}")
    sync.add(1, 200 * MS, "depth@200")  # matches nothing
    assert out == []
    assert sync.add(1, 168 * MS, "depth@168") is False  # older than depth@200 queued: out of order
    assert sync.counters.rejected_out_of_order == 1
    sync.add(0, 205 * MS, "kp@205")
    assert out == [("kp@205", "depth@200")]
    assert sync.counters.dropped == 3  # the three older keypoint messages


def test_three_inputs_and_late_messages_are_rejected() -> None:
    sync, out = _sync(3, slop_ns=5 * MS)
    sync.add(0, 10 * MS, "kp")
    sync.add(2, 12 * MS, "info")
    assert sync.add(1, 8 * MS, "depth")
    assert out == [("kp", "depth", "info")]
    assert not sync.add(0, 9 * MS, "late kp")  # older than the delivered set
    assert sync.counters.rejected_out_of_order == 1


def test_full_queue_evicts_the_oldest() -> None:
    sync, out = _sync(queue_size=2, slop_ns=1 * MS)
    for stamp in (10, 20, 30):
        sync.add(0, stamp * MS, stamp)
    assert sync.counters.dropped == 1
    sync.add(1, 10 * MS, "d10")  # its partner was evicted
    assert out == []
    sync.add(1, 20 * MS, "d20")
    assert out == [(20, "d20")]


def test_parameters_are_validated() -> None:
    with pytest.raises(ValueError, match="queue_size"):
        ApproximateSync(2, print, queue_size=0)
    with pytest.raises(ValueError, match="slop"):
        ApproximateSync(2, print, slop_ns=-1)
