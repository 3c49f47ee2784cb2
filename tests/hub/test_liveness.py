"""Liveness: online within the TTL, offline past it or at once on the last will."""

from __future__ import annotations

from hub.clock import ManualClock
from hub.hub import Hub
from tests.factories import registration, send


def statuses(hub: Hub, axon_id: str) -> list[tuple[str, str]]:
    return [(t.to_state, t.reason) for t in reversed(hub.axon(axon_id).transitions)]


def test_it_marks_an_axon_offline_after_its_ttl(make_hub, clock: ManualClock) -> None:
    hub: Hub = make_hub()
    send(hub, "synapse/register/nas-01", registration(ttl=30))
    assert hub.axon("nas-01").status == "online"
    clock.advance(29)
    assert hub.liveness_step() is False
    assert hub.axon("nas-01").status == "online"
    clock.advance(2)
    assert hub.liveness_step() is True
    detail = hub.axon("nas-01")
    assert detail.status == "offline"
    assert detail.status_since == clock.now()
    assert statuses(hub, "nas-01")[-1] == ("offline", "silent for more than 30s (TTL)")


def test_each_report_pushes_the_deadline(make_hub, clock: ManualClock) -> None:
    hub: Hub = make_hub()
    send(hub, "synapse/register/nas-01", registration(ttl=30))
    for _ in range(5):
        clock.advance(20)
        send(hub, "synapse/report/nas-01", {"cpu": 12})
        hub.liveness_step()
    assert hub.axon("nas-01").status == "online"


def test_the_last_will_marks_an_axon_offline_at_once(make_hub, clock: ManualClock) -> None:
    hub: Hub = make_hub()
    send(hub, "synapse/register/nas-01", registration())
    send(hub, "synapse/status/nas-01", "offline")
    assert hub.axon("nas-01").status == "offline"
    assert "said offline" in statuses(hub, "nas-01")[-1][1]
    clock.advance(1000)
    assert hub.liveness_step() is False


def test_a_retained_message_is_not_a_heartbeat(make_hub, clock: ManualClock) -> None:
    hub: Hub = make_hub()
    send(hub, "synapse/register/nas-01", registration(ttl=30))
    clock.advance(25)
    send(hub, "synapse/report/nas-01", {"cpu": 1}, retain=True)
    send(hub, "synapse/status/nas-01", "online", retain=True)
    clock.advance(10)
    hub.liveness_step()
    detail = hub.axon("nas-01")
    assert detail.status == "offline"
    assert detail.values["cpu"] == 1  # the value is still kept


def test_a_replayed_old_report_is_not_a_heartbeat(make_hub, clock: ManualClock) -> None:
    hub: Hub = make_hub()
    send(hub, "synapse/register/nas-01", registration(ttl=30))
    clock.advance(25)
    send(hub, "synapse/report/nas-01", {"cpu": 1, "ts": clock.now() - 3600})
    clock.advance(10)
    hub.liveness_step()
    assert hub.axon("nas-01").status == "offline"


def test_an_overridden_ttl_is_the_one_that_counts(make_hub, clock: ManualClock) -> None:
    hub: Hub = make_hub()
    send(hub, "synapse/register/nas-01", registration(ttl=30))
    hub.patch_overrides("nas-01", {"ttl": 300})
    clock.advance(200)
    hub.liveness_step()
    assert hub.axon("nas-01").status == "online"
    clock.advance(101)
    hub.liveness_step()
    assert hub.axon("nas-01").status == "offline"


def test_a_hub_restart_is_one_event_and_flips_no_axon(make_hub, clock: ManualClock) -> None:
    hub: Hub = make_hub()
    send(hub, "synapse/register/nas-01", registration(ttl=30))
    send(hub, "synapse/register/cam-02", registration(id="cam-02", ttl=30))
    hub.stop()
    clock.advance(3600)  # the hub is down for an hour
    hub2: Hub = make_hub()
    hub2.liveness_step()
    assert {a.id: a.status for a in hub2.axons()} == {"nas-01": "online", "cam-02": "online"}
    with hub2.storage.engine.connect() as conn:
        events = conn.exec_driver_sql("SELECT kind, at, until FROM hub_events").fetchall()
    downs = [e for e in events if e[0] == "hub_down"]
    assert len(downs) == 1 and downs[0][2] - downs[0][1] == 3600
    clock.advance(31)  # silent for a whole TTL after the hub came back
    hub2.liveness_step()
    assert hub2.axon("cam-02").status == "offline"


def test_a_hundred_axons_going_silent_are_swept_in_one_transaction(
    make_hub, clock: ManualClock
) -> None:
    from sqlalchemy import event

    hub: Hub = make_hub(auto_approve=True)
    for i in range(100):
        send(hub, f"synapse/register/vm-{i:03d}", registration(id=f"vm-{i:03d}", ttl=30))
    clock.advance(31)
    commits: list[object] = []
    event.listen(hub.storage.engine, "commit", commits.append)
    assert hub.liveness_step() is True
    assert len(commits) == 1  # listeners (commands, alerts) join the sweep's unit of work
    assert {a.status for a in hub.axons()} == {"offline"}
    assert len(hub.axon("vm-042").transitions) == 2
