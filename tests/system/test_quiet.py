"""The quiet state: a score from readings, and a state that holds at a boundary."""

from __future__ import annotations

import pytest

from hub.clock import ManualClock
from hub.quiet import QuietLevel, QuietTracker, Readings, Thresholds, assess


@pytest.fixture
def tracker(clock: ManualClock) -> QuietTracker:
    tracker = QuietTracker(Thresholds(), clock)
    tracker.observe(Readings(cpu_percent=0))
    return tracker


def test_the_worst_input_sets_the_score_and_every_high_one_is_a_reason() -> None:
    result = assess(Readings(cpu_percent=40, memory_percent=90, swap_percent=10))
    assert result.score == 20.0  # memory 90% is pressure 80
    assert result.reasons == ("memory 90% used (pressure 80)", "CPU at 40% (pressure 40)")
    assert result.inputs == {"cpu_percent": 40, "memory_percent": 90, "swap_percent": 10}


def test_the_first_sample_sets_the_state_at_once(tracker: QuietTracker) -> None:
    assert tracker.state.level == QuietLevel.QUIET and tracker.state.score == 100


def test_a_score_wandering_around_a_boundary_does_not_flip_the_state(
    tracker: QuietTracker, clock: ManualClock
) -> None:
    for cpu in (31, 29, 35, 38, 31, 39):  # scores 61–71 around QUIET's 70, inside the margin
        clock.advance(60)
        assert tracker.observe(Readings(cpu_percent=cpu)).level == QuietLevel.QUIET
    clock.advance(60)
    assert tracker.observe(Readings(cpu_percent=41)).level == QuietLevel.NORMAL  # below 60
    for cpu in (35, 31, 39):  # back above 60 but not to 70: stays NORMAL
        clock.advance(60)
        assert tracker.observe(Readings(cpu_percent=cpu)).level == QuietLevel.NORMAL
    clock.advance(60)
    assert tracker.observe(Readings(cpu_percent=30)).level == QuietLevel.QUIET


def test_a_change_waits_for_the_minimum_dwell_except_into_panic(
    tracker: QuietTracker, clock: ManualClock
) -> None:
    clock.advance(5)
    state = tracker.observe(Readings(cpu_percent=80))
    assert (state.level, state.pending) == (QuietLevel.QUIET, QuietLevel.BUSY)
    clock.advance(25)
    assert tracker.observe(Readings(cpu_percent=80)).level == QuietLevel.BUSY
    clock.advance(1)
    assert tracker.observe(Readings(cpu_percent=95)).level == QuietLevel.PANIC  # at once
    clock.advance(1)
    assert tracker.observe(Readings(cpu_percent=0)).level == QuietLevel.PANIC  # dwell first
    clock.advance(30)
    state = tracker.observe(Readings(cpu_percent=0))
    assert state.level == QuietLevel.QUIET and state.last_panic_at == clock.now()
    assert [(old, new) for _at, old, new, _why in state.history][1:] == [
        ("QUIET", "BUSY"), ("BUSY", "PANIC"), ("PANIC", "QUIET")
    ]  # fmt: skip


def test_levels_out_of_order_are_refused_with_the_values() -> None:
    with pytest.raises(ValueError, match="got panic=50, busy=35.0, quiet=70.0"):
        Thresholds(panic=50)
