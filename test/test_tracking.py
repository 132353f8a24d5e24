"""The keypoint tracker: identities kept across frames, new ids for new people, timeouts."""

from __future__ import annotations

import numpy as np
import pytest

from auglift_ros.core.tracking import KeypointTracker

K = 17
MS = 1_000_000


def _person(x: float, y: float, size: float = 100.0) -> np.ndarray:
    """A square-ish skeleton of box size `size` px at (x, y)."""
    offsets = np.random.default_rng(0).uniform(0.0, size, (K, 2))
    offsets[0], offsets[1] = (0.0, 0.0), (size, size)  # the box is exactly size x size
    return np.array([x, y]) + offsets


def _conf(persons: int) -> np.ndarray:
    return np.full((persons, K), 0.9)


def test_ids_follow_people_when_the_detection_order_changes():
    tracker = KeypointTracker()
    a, b = _person(100, 100), _person(400, 100)
    first = tracker.update(np.stack([a, b]), _conf(2), 0)
    assert first.ids.tolist() == [0, 1]
    second = tracker.update(np.stack([b + 5.0, a - 5.0]), _conf(2), 33 * MS)  # swapped and moved
    assert second.ids.tolist() == [1, 0]
    assert second.ended == []


def test_a_far_jump_starts_a_new_track():
    tracker = KeypointTracker(max_distance=0.5)
    tracker.update(_person(100, 100)[None], _conf(1), 0)
    # 49 px mean shift for a 100 px box: the same person; 60 px: someone else
    assert tracker.update(
        (_person(100, 100) + np.array([49.0, 0.0]))[None], _conf(1), 33 * MS
    ).ids.tolist() == [0]
    assert tracker.update(
        (_person(100, 100) + np.array([109.0, 0.0]))[None], _conf(1), 66 * MS
    ).ids.tolist() == [1]


def test_distance_is_relative_to_box_size():
    """The same 40 px shift is a match for a 100 px person and not for a 50 px one."""
    tracker = KeypointTracker(max_distance=0.5)
    tracker.update(np.stack([_person(0, 0, 100.0), _person(500, 0, 50.0)]), _conf(2), 0)
    moved = np.stack(
        [_person(0, 0, 100.0) + np.array([40.0, 0.0]), _person(500, 0, 50.0) + np.array([40.0, 0.0])]
    )
    assert tracker.update(moved, _conf(2), 33 * MS).ids.tolist() == [0, 2]


def test_low_confidence_joints_are_ignored():
    tracker = KeypointTracker()
    person = _person(100, 100)
    tracker.update(person[None], _conf(1), 0)
    glitch = person.copy()
    glitch[:5] += 500.0  # five wild joints, all with low confidence
    confidence = _conf(1)
    confidence[0, :5] = 0.1
    assert tracker.update(glitch[None], confidence, 33 * MS).ids.tolist() == [0]


def test_timeout_ends_tracks_and_ids_are_never_reused():
    tracker = KeypointTracker(timeout_s=0.5)
    tracker.update(_person(100, 100)[None], _conf(1), 0)
    assert tracker.update(np.zeros((0, K, 2)), np.zeros((0, K)), 400 * MS).ended == []
    update = tracker.update(_person(100, 100)[None], _conf(1), 600 * MS)
    assert update.ended == [0]
    assert update.ids.tolist() == [1]


def test_a_person_not_detected_for_a_while_keeps_the_id_within_the_timeout():
    tracker = KeypointTracker(timeout_s=1.0)
    tracker.update(_person(100, 100)[None], _conf(1), 0)
    tracker.update(np.zeros((0, K, 2)), np.zeros((0, K)), 500 * MS)
    assert tracker.update(_person(102, 100)[None], _conf(1), 900 * MS).ids.tolist() == [0]


@pytest.mark.parametrize("values", [dict(max_distance=0), dict(timeout_s=-1), dict(min_confidence=1.0)])
def test_bad_settings_are_rejected(values):
    with pytest.raises(ValueError):
        KeypointTracker(**values)
