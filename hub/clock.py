"""Time, injected.

Everything that depends on time (TTL, deadlines, throttling) asks a ``Clock`` for "now" once per
operation instead of calling ``time.time()``. Production uses ``SystemClock``; tests use
``ManualClock`` and move it forward explicitly, so no test ever sleeps to wait for a TTL.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (UTC)."""
        ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that moves only when told to, and never backwards."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError(f"a clock cannot go backwards (asked to advance by {seconds})")
        self._now += seconds
        return self._now

    def set(self, when: float) -> None:
        if when < self._now:
            raise ValueError(f"a clock cannot go backwards (from {self._now} to {when})")
        self._now = float(when)
