"""Queued intents: ordered by priority then age, granted when leases end or the host calms
down, withdrawn when they wait too long, kept across a restart."""

from __future__ import annotations

from hub.clock import ManualClock
from hub.hub import Hub
from hub.quiet import QuietLevel

from .conftest import Host, ask


def test_a_waiting_request_is_queued_and_granted_when_a_lease_ends(hub: Hub, host: Host) -> None:
    first = ask(hub, "nas-01", cost_units=80)
    queued = ask(hub, "nas-02", cost_units=50, wait=True)
    assert (queued.state, queued.approved) == ("queued", False)
    assert queued.reason == "Queued: Capacity exceeded: used=80, requested=50, capacity=100"
    hub.leases.release("nas-01", first.lease_id)
    granted = hub.leases.get(queued.lease_id)
    assert (granted.state, granted.approved) == ("active", True)


def test_the_queue_runs_by_priority_then_age_and_a_big_job_is_not_overtaken(
    hub: Hub, host: Host, clock: ManualClock
) -> None:
    blocker = ask(hub, "db-01", cost_units=90)
    big = ask(hub, "nas-01", cost_units=60, wait=True)
    clock.advance(1)
    small = ask(hub, "nas-02", cost_units=5, wait=True)  # fits now, but joins behind the big one
    assert small.state == "queued"
    clock.advance(1)
    urgent = ask(hub, "media-01", cost_units=30, priority="HIGH", wait=True)
    assert [q.lease_id for q in hub.leases.queued()] == [
        urgent.lease_id, big.lease_id, small.lease_id
    ]  # fmt: skip
    hub.leases.release("db-01", blocker.lease_id)
    states = {q: hub.leases.get(q).state for q in (urgent.lease_id, big.lease_id, small.lease_id)}
    assert states == {urgent.lease_id: "active", big.lease_id: "active", small.lease_id: "active"}


def test_a_queued_intent_blocked_only_by_its_own_axon_is_skipped(hub: Hub, host: Host) -> None:
    ask(hub, "nas-01", cost_units=95)
    mine = ask(hub, "nas-01", cost_units=5, wait=True, job_type="scrub")
    other = ask(hub, "nas-02", cost_units=5, wait=True)
    assert other.state == "active"  # mine waits for its own axon only: nobody queues behind it
    hub.leases.step()
    assert hub.leases.get(mine.lease_id).state == "queued"


def test_the_queue_is_re_evaluated_when_the_host_becomes_quiet(
    hub: Hub, host: Host, clock: ManualClock
) -> None:
    assert host.settle(50) == QuietLevel.NORMAL
    queued = ask(hub, wait=True)
    assert (
        queued.reason == "Queued: System is NORMAL; waiting for QUIET (score 50, priority NORMAL)"
    )
    assert host.settle(5) == QuietLevel.QUIET  # the listener drains the queue
    assert hub.leases.get(queued.lease_id).state == "active"


def test_panic_is_never_queued(hub: Hub, host: Host) -> None:
    host.cpu(99)
    assert ask(hub, wait=True).state == "denied"


def test_an_intent_that_waits_too_long_is_cancelled(
    hub: Hub, host: Host, clock: ManualClock
) -> None:
    ask(hub, "nas-01", cost_units=100)
    queued = ask(hub, "nas-02", wait=True, wait_timeout_sec=60)
    clock.advance(61)
    assert hub.leases.step()
    cancelled = hub.leases.get(queued.lease_id)
    assert (cancelled.state, cancelled.reason) == ("cancelled", "Waited 61 s without a grant")


def test_a_restart_keeps_the_queue(lease_hub, clock: ManualClock) -> None:
    hub = lease_hub()
    Host(hub, clock).cpu(0)
    first = ask(hub, "nas-01", cost_units=100)
    queued = ask(hub, "nas-02", wait=True)
    restarted = lease_hub()
    Host(restarted, clock).cpu(0)
    assert [q.lease_id for q in restarted.leases.queued()] == [queued.lease_id]
    restarted.leases.release("nas-01", first.lease_id)
    assert restarted.leases.get(queued.lease_id).state == "active"
