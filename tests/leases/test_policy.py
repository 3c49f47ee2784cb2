"""Lease decisions under a simulated host and an injected clock: no sleeping, no real load."""

from __future__ import annotations

import pytest

from hub.clock import ManualClock
from hub.errors import ConflictError, LeaseError, NotFoundError, ValidationError
from hub.hub import Hub
from hub.quiet import QuietLevel

from .conftest import Host, ask


def test_an_idle_host_grants_a_lease_with_a_heartbeat_ttl(hub: Hub, host: Host) -> None:
    lease = ask(hub)
    assert (lease.approved, lease.state) == (True, "active")
    assert lease.lease_id and lease.limits["heartbeat_ttl_sec"] == 30
    assert lease.reason == "Granted: used=40 of capacity=100, system QUIET"


def test_capacity_is_counted_across_leases_and_named_in_the_denial(hub: Hub, host: Host) -> None:
    assert ask(hub, "nas-01", cost_units=60).approved
    denied = ask(hub, "nas-02", cost_units=50)
    assert not denied.approved and denied.lease_id is None
    assert denied.reason == "Capacity exceeded: used=60, requested=50, capacity=100"
    assert denied.retry_after_sec == 30
    assert ask(hub, "media-01", cost_units=40).approved  # 60 + 40 fits exactly


def test_capacity_shrinks_with_the_quiet_score_above_the_headroom(hub: Hub, host: Host) -> None:
    host.cpu(20)  # score 80, still QUIET: (80 - 20) / 80 of 100 units
    denied = ask(hub, cost_units=80)
    assert denied.reason == "Capacity exceeded: used=0, requested=80, capacity=75"


def test_a_busy_host_soft_denies_unless_the_priority_is_high(hub: Hub, host: Host) -> None:
    assert host.settle(70) == QuietLevel.BUSY  # score 30
    denied = ask(hub, priority="normal")
    assert denied.reason.startswith("System is BUSY; waiting for QUIET")
    assert denied.retry_after_sec == 60
    high = ask(hub, priority="High", cost_units=5)
    assert high.approved and high.priority == "HIGH"


def test_panic_hard_denies_even_high_priority_then_cools_down(
    hub: Hub, host: Host, clock: ManualClock
) -> None:
    assert host.cpu(95) == QuietLevel.PANIC  # entered at once, no dwell
    denied = ask(hub, priority="HIGH")
    assert denied.reason.startswith("System is in PANIC (CPU at 95%")
    assert denied.retry_after_sec == 300
    clock.advance(60)
    assert host.cpu(0) == QuietLevel.QUIET  # PANIC lasted past the dwell: it may leave at once
    cooling = ask(hub, priority="HIGH")
    assert cooling.reason == "Recent PANIC detected; cooling down for 300 more s"  # from its end
    clock.advance(240)
    assert ask(hub, priority="HIGH").retry_after_sec == 60
    clock.advance(60)
    assert ask(hub, priority="HIGH").approved


def test_global_and_per_axon_caps_limit_active_leases(lease_hub, clock: ManualClock) -> None:
    hub = lease_hub(lease_max_active=2)
    Host(hub, clock).cpu(0)
    assert ask(hub, "nas-01", cost_units=10).approved
    own = ask(hub, "nas-01", cost_units=10, job_type="scrub")
    assert own.reason.startswith("Axon nas-01 already holds 1 of 1 active lease(s) (backup,")
    assert ask(hub, "nas-02", cost_units=10).approved
    assert ask(hub, "media-01", cost_units=10).reason == "Too many active leases: 2 of 2"


def test_one_lease_per_constraint_runs_at_a_time(hub: Hub, host: Host) -> None:
    assert ask(hub, "nas-01", cost_units=10, constraints=["disk_write_heavy"]).approved
    denied = ask(hub, "nas-02", cost_units=10, constraints={"disk_write_heavy": True})
    assert denied.reason == "Another disk_write_heavy lease is active (backup on nas-01)"
    assert ask(hub, "media-01", cost_units=10, constraints=["network_heavy"]).approved


def test_a_legacy_cost_class_maps_to_units(hub: Hub, host: Host) -> None:
    lease = ask(hub, cost_units=None, cost_class="high")
    assert lease.cost_units == 60


@pytest.mark.parametrize(
    ("fields", "sentence"),
    [
        ({"cost_units": 0}, "cost_units is too small (min 1)"),
        ({"cost_units": 101}, "cost_units is too large (max 100)"),
        ({"cost_units": None}, "cost_units (1-100) is required"),
        ({"priority": "urgent"}, "priority must be LOW, NORMAL or HIGH"),
        ({"constraints": ["gpu_heavy"]}, "unknown constraint 'gpu_heavy'"),
        ({"colour": "red"}, "colour is not a known field"),
    ],
)
def test_a_bad_request_is_refused_with_one_sentence(
    hub: Hub, host: Host, fields: dict, sentence: str
) -> None:
    with pytest.raises(ValidationError, match=sentence.replace("(", r"\(").replace(")", r"\)")):
        ask(hub, **fields)


def test_a_pending_axon_cannot_hold_leases(make_hub) -> None:
    hub = make_hub()
    hub.ingest.state_for("stranger")
    with pytest.raises(ConflictError, match="'stranger' is pending"):
        ask(hub, "stranger")


def test_a_repeated_request_returns_the_same_lease_or_decision(
    hub: Hub, host: Host, clock: ManualClock
) -> None:
    first = ask(hub, idempotency_key="backup-2026-11-23")
    again = ask(hub, idempotency_key="backup-2026-11-23")
    assert again.lease_id == first.lease_id and again.approved
    denied = ask(hub, "nas-02", cost_units=70, idempotency_key="k")
    assert ask(hub, "nas-02", cost_units=70, idempotency_key="k").decision_id == denied.decision_id
    clock.advance(denied.retry_after_sec)  # past the hint, the same key is decided afresh
    assert ask(hub, "nas-02", cost_units=70, idempotency_key="k").decision_id != denied.decision_id


def test_a_lease_without_heartbeat_expires_and_frees_its_units(
    hub: Hub, host: Host, clock: ManualClock
) -> None:
    lease = ask(hub, cost_units=90)
    clock.advance(20)
    hub.leases.heartbeat("nas-01", lease.lease_id)
    clock.advance(29)
    assert not hub.leases.step()
    clock.advance(2)
    assert hub.leases.step()
    expired = hub.leases.get(lease.lease_id)
    assert (
        expired.state == "expired" and expired.reason == "Expired: no heartbeat for 31 s (ttl 30 s)"
    )
    with pytest.raises(LeaseError, match="is expired, not active"):
        hub.leases.heartbeat("nas-01", lease.lease_id)
    assert ask(hub, "nas-02", cost_units=90).approved


def test_release_progress_and_revoke_are_stored_decisions(hub: Hub, host: Host) -> None:
    one = ask(hub, "nas-01")
    two = ask(hub, "nas-02")
    assert hub.leases.progress("nas-01", one.lease_id, 40).progress["progress"] == 40
    assert hub.leases.release("nas-01", one.lease_id, "done").state == "released"
    revoked = hub.leases.revoke(two.lease_id, "disk swap", "apikey:admin")
    assert revoked.reason == "Revoked by apikey:admin: disk swap"
    kinds = [e["kind"] for e in reversed(hub.leases.events())]
    assert kinds == ["grant", "grant", "release", "revoke"]
    summary = {s["axon_id"]: s for s in hub.leases.summary()}
    assert summary["nas-02"]["last_reason"] == "Revoked by apikey:admin: disk swap"
    assert (summary["nas-01"]["grants"], summary["nas-01"]["denies"]) == (1, 0)


def test_another_axon_cannot_release_a_lease_it_does_not_hold(hub: Hub, host: Host) -> None:
    lease = ask(hub, "nas-01")
    with pytest.raises(NotFoundError, match="there is no lease"):
        hub.leases.release("nas-02", lease.lease_id)
