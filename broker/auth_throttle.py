"""Slowing down password guessing: a growing delay per username and per remote address.

After ``free_failures`` failed logins for a key, each further failure is answered later: the
delay doubles from ``base_delay`` up to ``max_delay``. A username and an address are throttled
independently and the longer delay wins, so guessing one axon's token from many addresses and
guessing many axons' tokens from one address both slow down. Only *failures* are delayed: a
correct token is answered at once, so an attacker cannot lock a healthy axon out. Failures are
forgotten ``forget_after`` seconds after the last one and the table is bounded, so a flood of
random usernames cannot grow memory. Time comes from the injected ``Clock``; the class never
sleeps, it only says how long the caller should wait.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from hub.clock import Clock


@dataclass(slots=True)
class _Failures:
    count: int
    last: float


class AuthThrottle:
    def __init__(
        self,
        clock: Clock,
        max_delay: float,
        *,
        base_delay: float = 0.5,
        free_failures: int = 2,
        forget_after: float = 900.0,
        max_keys: int = 10_000,
    ) -> None:
        self._clock = clock
        self._max_delay = max_delay
        self._base_delay = base_delay
        self._free = free_failures
        self._forget_after = forget_after
        self._max_keys = max_keys
        self._failures: OrderedDict[str, _Failures] = OrderedDict()

    def delay_for(self, username: str | None, address: str | None) -> float:
        """Seconds to hold back the answer to the *next* failed login from this user/address."""
        now = self._clock.now()
        return max(
            self._delay_of(_user_key(username), now, ahead=1),
            self._delay_of(_addr_key(address), now, ahead=1),
        )

    def record_failure(self, username: str | None, address: str | None) -> float:
        """Count a failed login; returns the delay to apply before answering it."""
        now = self._clock.now()
        for key in (_user_key(username), _addr_key(address)):
            entry = self._failures.pop(key, None)
            if entry is None or now - entry.last > self._forget_after:
                entry = _Failures(0, now)
            entry.count += 1
            entry.last = now
            self._failures[key] = entry
        while len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)
        return max(
            self._delay_of(_user_key(username), now), self._delay_of(_addr_key(address), now)
        )

    def record_success(self, username: str | None, address: str | None) -> None:
        """A good login clears the username's record; the address keeps its history."""
        self._failures.pop(_user_key(username), None)

    def _delay_of(self, key: str, now: float, ahead: int = 0) -> float:
        entry = self._failures.get(key)
        count = 0 if entry is None or now - entry.last > self._forget_after else entry.count
        excess = count + ahead - self._free
        if excess <= 0:
            return 0.0
        return min(self._max_delay, self._base_delay * 2 ** min(excess - 1, 32))


def _user_key(username: str | None) -> str:
    return "u:" + (username or "")


def _addr_key(address: str | None) -> str:
    return "a:" + (address or "")
