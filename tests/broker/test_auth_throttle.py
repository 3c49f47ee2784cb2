"""The login throttle, driven by a manual clock: no test here sleeps."""

from __future__ import annotations

from broker.auth_throttle import AuthThrottle
from hub.clock import ManualClock


def throttle(clock: ManualClock, max_delay: float = 30.0, **kw: float) -> AuthThrottle:
    return AuthThrottle(clock, max_delay, base_delay=0.5, free_failures=2, **kw)  # type: ignore[arg-type]


def test_the_first_failures_are_free_then_the_delay_doubles_up_to_the_cap() -> None:
    clock = ManualClock()
    guard = throttle(clock, max_delay=3.0)
    delays = [guard.record_failure("nas-01", "10.0.0.9") for _ in range(7)]
    assert delays == [0.0, 0.0, 0.5, 1.0, 2.0, 3.0, 3.0]


def test_one_address_guessing_many_usernames_is_slowed_down() -> None:
    guard = throttle(ManualClock())
    delays = [guard.record_failure(f"axon-{n}", "10.0.0.9") for n in range(4)]
    assert delays == [0.0, 0.0, 0.5, 1.0]
    assert guard.delay_for("someone-else", "10.0.0.9") == 2.0
    assert guard.delay_for("someone-else", "10.0.0.10") == 0.0


def test_one_username_guessed_from_many_addresses_is_slowed_down() -> None:
    guard = throttle(ManualClock())
    delays = [guard.record_failure("nas-01", f"10.0.0.{n}") for n in range(4)]
    assert delays == [0.0, 0.0, 0.5, 1.0]


def test_failures_are_forgotten_after_a_quiet_period() -> None:
    clock = ManualClock()
    guard = throttle(clock, forget_after=600)
    for _ in range(5):
        guard.record_failure("nas-01", "10.0.0.9")
    assert guard.delay_for("nas-01", "10.0.0.9") > 0
    clock.advance(601)
    assert guard.delay_for("nas-01", "10.0.0.9") == 0.0
    assert guard.record_failure("nas-01", "10.0.0.9") == 0.0


def test_a_good_login_clears_the_usernames_record() -> None:
    guard = throttle(ManualClock())
    for n in range(5):
        guard.record_failure("nas-01", f"10.0.0.{n}")
    guard.record_success("nas-01", "10.0.0.1")
    assert guard.delay_for("nas-01", "10.0.0.99") == 0.0


def test_a_flood_of_usernames_does_not_grow_the_table_without_bound() -> None:
    guard = throttle(ManualClock(), max_keys=100)  # type: ignore[arg-type]
    for n in range(1000):
        guard.record_failure(f"axon-{n}", f"10.0.{n // 250}.{n % 250}")
    assert len(guard._failures) <= 100


def test_a_zero_cap_disables_the_delay() -> None:
    guard = throttle(ManualClock(), max_delay=0.0)
    assert [guard.record_failure("nas-01", "x") for _ in range(5)] == [0.0] * 5
