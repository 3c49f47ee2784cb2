"""Storm prevention: one real event must not become a flood of notifications."""

from __future__ import annotations

from collections.abc import Callable

from hub.clock import ManualClock
from hub.hub import Hub
from tests.alerts.conftest import Sink, deliver, register, report

CHILDREN = [f"vm-{i:03d}" for i in range(100)]


def _fleet(hub: Hub, *, parent: str | None) -> None:
    register(hub, "host-1", widgets=[], ttl=60)
    report(hub, {}, "host-1")
    for axon in CHILDREN:
        register(hub, axon, widgets=[], ttl=60, **({"parent": parent} if parent else {}))
        report(hub, {}, axon)


def test_a_hundred_axons_under_one_parent_going_offline_make_a_bounded_number_of_messages(
    alert_hub: Callable[..., Hub], clock: ManualClock, sink: Sink
) -> None:
    hub = alert_hub(alert_group_window=10)
    _fleet(hub, parent="host-1")
    clock.advance(61)
    hub.liveness_step()  # the host and all its VMs fall silent together
    for _ in range(12):
        clock.advance(1)
        deliver(hub)
    assert len(sink.received) == 1
    [message] = sink.received
    assert message["title"] == "Synapse: 1 firing, 100 held back"
    assert "[FIRING] host-1: Basement NAS is offline" in message["message"]
    assert "100 alert(s) held back: their parent host-1 is offline" in message["message"]
    held = hub.alerts.list(state="firing", limit=1000)
    assert sum(a.held == "parent host-1 offline" for a in held) == 100


def test_children_still_down_after_their_parent_returns_are_sent_as_one_message(
    alert_hub: Callable[..., Hub], clock: ManualClock, sink: Sink
) -> None:
    hub = alert_hub(alert_group_window=10)
    _fleet(hub, parent="host-1")
    clock.advance(61)
    hub.liveness_step()
    clock.advance(10)
    deliver(hub)
    report(hub, {}, "host-1")  # the host is back; its VMs are not
    for _ in range(12):
        clock.advance(1)
        deliver(hub)
    assert [m["title"] for m in sink.received] == [
        "Synapse: 1 firing, 100 held back",
        "Synapse: 100 firing, 1 resolved",
    ]
    assert "… and 81 more" in sink.received[-1]["message"]


def test_without_a_parent_a_storm_is_grouped_and_the_rate_limit_bounds_the_rest(
    alert_hub: Callable[..., Hub], clock: ManualClock, sink: Sink
) -> None:
    hub = alert_hub(alert_group_window=5, notify_burst=3, notify_rate_per_minute=1)
    _fleet(hub, parent=None)
    clock.advance(61)
    hub.liveness_step()
    clock.advance(5)
    deliver(hub)
    assert [m["title"] for m in sink.received] == ["Synapse: 101 firing"]
    for i in range(10):  # a script floods the notify endpoint
        hub.outbox.notify({"title": f"disk full {i}"})
    deliver(hub)
    assert len(sink.received) == 3  # the burst is spent
    clock.advance(60)
    deliver(hub)
    assert len(sink.received) == 4  # one more per minute; the rest wait in the outbox
    assert sum(n.state == "queued" for n in hub.outbox.recent()) == 7
