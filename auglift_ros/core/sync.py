"""Approximate-time pairing of stamped messages from several inputs, for machines without message_filters.

The lifter node needs keypoints, depth and camera_info of (nearly) the same instant. Where
`message_filters` is importable the node uses its ApproximateTimeSynchronizer; this class gives the
same contract without ROS: one message per input whose stamps lie within `slop`, delivered once.
Choices suited to a live perception pipeline: the freshest matching set wins, anything older than a
delivered set is dropped (never processed late), and a message older than what its input already
delivered or queued is rejected as out of order. Counters feed the node's diagnostics.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class SyncCounters:
    """What happened to the messages offered so far."""

    delivered_sets: int = 0
    dropped: int = 0  # evicted by a full queue, or made stale by a newer delivered set
    rejected_out_of_order: int = 0


class ApproximateSync:
    """Calls `callback(*messages)` with one message per input whose stamps differ by at most `slop_ns`."""

    def __init__(
        self, num_inputs: int, callback: Callable[..., Any], *, queue_size: int = 5, slop_ns: int = 50_000_000
    ) -> None:
        if num_inputs < 1 or queue_size < 1 or slop_ns < 0:
            raise ValueError(
                "need num_inputs >= 1, queue_size >= 1 and slop >= 0; "
                f"got {num_inputs}, {queue_size}, {slop_ns}"
            )
        self._callback = callback
        self._queue_size = queue_size
        self._slop_ns = slop_ns
        self._queues: list[list[tuple[int, Any]]] = [[] for _ in range(num_inputs)]  # sorted by stamp
        self._delivered_up_to = [-1] * num_inputs
        self.counters = SyncCounters()

    def add(self, index: int, stamp_ns: int, message: Any) -> bool:
        """Offer a message of input `index`; True if it completed (and delivered) a set."""
        queue = self._queues[index]
        newest = queue[-1][0] if queue else self._delivered_up_to[index]
        if stamp_ns <= newest:
            self.counters.rejected_out_of_order += 1
            return False
        queue.append((stamp_ns, message))
        if len(queue) > self._queue_size:
            del queue[0]
            self.counters.dropped += 1
        chosen = self._best_set()
        if chosen is None:
            return False
        messages = []
        for i, position in enumerate(chosen):
            stamp, picked = self._queues[i][position]
            messages.append(picked)
            self.counters.dropped += position  # older entries of this input are now stale
            del self._queues[i][: position + 1]
            self._delivered_up_to[i] = stamp
        self.counters.delivered_sets += 1
        self._callback(*messages)
        return True

    def _best_set(self) -> tuple[int, ...] | None:
        """Queue positions of the matching set with the newest oldest stamp (then the tightest)."""
        if any(not queue for queue in self._queues):
            return None
        best, best_key = None, None
        for positions in itertools.product(*(range(len(queue)) for queue in self._queues)):
            stamps = [self._queues[i][p][0] for i, p in enumerate(positions)]
            spread = max(stamps) - min(stamps)
            if spread <= self._slop_ns:
                key = (min(stamps), -spread)
                if best_key is None or key > best_key:
                    best, best_key = positions, key
        return best
