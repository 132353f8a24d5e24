"""Balanced frame selection: category shares by frame count ** (1 - balance), uniform within one."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pytest

from auglift_ros.training.frames import category_shares, select_frames


@dataclass
class Take:
    joints3d: np.ndarray
    name: str
    action: str


def take(frames: int, action: str, name: str) -> Take:
    """A take of still frames: where a draw came from is read from sequence_index and frame_index."""
    return Take(np.zeros((frames, 17, 3)), name, action)


# walking is 80% of the frames, sitting 15%, the floor 4%, unlabelled 1% (two takes).
TAKES = [
    take(5000, "walk", "w0"),
    take(3000, "walk", "w1"),
    take(1500, "sit", "s0"),
    take(400, "floor", "f0"),
    take(60, "", "u0"),
    take(40, "", "u1"),
]
FRAMES = {"walk": 8000, "sit": 1500, "floor": 400, "": 100}


def shares(selection: object) -> dict[str, float]:
    counts = Counter(selection.actions.tolist())
    return {action: counts[action] / len(selection.actions) for action in FRAMES}


def test_balance_zero_is_the_uniform_draw_of_before() -> None:
    default = select_frames(TAKES, 3000, np.random.default_rng(7))
    zero = select_frames(TAKES, 3000, np.random.default_rng(7), balance=0.0)
    flat = np.sort(np.random.default_rng(7).choice(10000, size=3000, replace=False))  # today's draw
    starts = np.array([0, 5000, 8000, 9500, 9900, 9960])
    for selection in (default, zero):
        np.testing.assert_array_equal(starts[selection.sequence_index] + selection.frame_index, flat)
    assert shares(zero)["walk"] == pytest.approx(0.8, abs=0.03)


@pytest.mark.parametrize("balance", [0.5, 1.0])
def test_shares_follow_frame_count_to_the_power_one_minus_balance(balance: float) -> None:
    expected = category_shares(list(FRAMES.values()), balance)
    selection = select_frames(TAKES, 20000, np.random.default_rng(0), balance=balance)
    for action, share in zip(FRAMES, expected, strict=True):
        assert shares(selection)[action] == pytest.approx(share, abs=1e-4), action
    if balance == 1.0:
        np.testing.assert_allclose(expected, 0.25)


def test_frames_are_uniform_within_a_category_and_across_its_takes() -> None:
    selection = select_frames(TAKES, 40000, np.random.default_rng(1), balance=1.0)
    floor = selection.frame_index[selection.actions == "floor"]
    per_frame = np.bincount(floor, minlength=400)
    # 25 draws a frame, with replacement: counts spread as a uniform multinomial's, std about sqrt(25).
    assert per_frame.min() > 0 and per_frame.std() < 1.3 * np.sqrt(per_frame.mean())
    unlabelled = selection.sequence_index[selection.actions == ""]
    assert np.mean(unlabelled == 4) == pytest.approx(0.6, abs=0.02)  # u0 has 60 of the 100 frames
    walking = selection.sequence_index[selection.actions == "walk"]
    assert np.mean(walking == 0) == pytest.approx(5000 / 8000, abs=0.02)


def test_draws_without_replacement_while_a_category_has_frames() -> None:
    selection = select_frames(TAKES, 2000, np.random.default_rng(2), balance=1.0)
    origins = list(zip(selection.sequence_index, selection.frame_index, strict=True))
    walking = [o for o, a in zip(origins, selection.actions, strict=True) if a == "walk"]
    assert len(set(walking)) == len(walking) == 500  # walking has 8000 frames for its 500 draws
    assert len(selection.poses) == 2000 and np.all(np.diff(selection.sequence_index) >= 0)


def test_balance_out_of_range_is_an_error() -> None:
    with pytest.raises(ValueError, match="balance"):
        select_frames(TAKES, 10, np.random.default_rng(0), balance=1.5)
