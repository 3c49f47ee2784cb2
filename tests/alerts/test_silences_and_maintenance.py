"""Silences and maintenance windows hold notifications back; maintenance also pauses the TTL."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hub.clock import ManualClock
from hub.errors import ConflictError, ValidationError
from hub.hub import Hub
from tests.alerts.conftest import Sink, cpu_widget, deliver, register, report
from tests.factories import send

HOT = {"condition": "value > 90", "severity": "warning", "message": "hot"}


def test_a_matching_silence_holds_an_alert_back_until_it_ends(
    alert_hub: Callable[..., Hub], clock: ManualClock, sink: Sink
) -> None:
    hub = alert_hub()
    register(hub, widgets=cpu_widget(HOT))
    silence = hub.silences.create(
        {"axon": "nas-*", "widget": "cpu", "duration": 3600, "comment": "replacing the fan"},
        "apikey:tests",
    )
    report(hub, {"cpu": 95})
    deliver(hub)
    assert sink.received == []
    [alert] = hub.alerts.list()
    assert alert.held == f"silence #{silence.id}"
    clock.advance(3600)
    deliver(hub)  # the silence is over and the alert still fires: now it is sent
    deliver(hub)
    assert sink.titles() == ["[FIRING] hot"]


def test_a_silence_for_another_severity_or_axon_does_not_match(
    alert_hub: Callable[..., Hub], sink: Sink
) -> None:
    hub = alert_hub()
    register(hub, widgets=cpu_widget(HOT))
    hub.silences.create({"severity": "critical", "duration": 600}, "tests")
    hub.silences.create({"axon": "web-*", "duration": 600}, "tests")
    report(hub, {"cpu": 95})
    deliver(hub)
    assert sink.titles() == ["[FIRING] hot"]


def test_an_ended_silence_no_longer_holds_anything(
    alert_hub: Callable[..., Hub], clock: ManualClock, sink: Sink
) -> None:
    hub = alert_hub()
    register(hub, widgets=cpu_widget(HOT))
    silence = hub.silences.create({"axon": "nas-01", "duration": 600}, "tests")
    clock.advance(10)
    ended = hub.silences.end(silence.id)
    assert (ended.active, ended.ends_at) == (False, clock.now())
    report(hub, {"cpu": 95})
    deliver(hub)
    assert sink.titles() == ["[FIRING] hot"]


def test_a_silence_must_end_after_it_starts(alert_hub: Callable[..., Hub]) -> None:
    hub = alert_hub()
    with pytest.raises(ValidationError, match="give either ends_at or duration"):
        hub.silences.create({"axon": "x"}, "tests")
    with pytest.raises(ConflictError, match="end before it starts"):
        hub.silences.create({"ends_at": 5.0}, "tests")


def test_an_axon_announces_its_own_maintenance_over_mqtt_and_its_alerts_stay_quiet(
    alert_hub: Callable[..., Hub], clock: ManualClock, sink: Sink
) -> None:
    hub = alert_hub()
    register(hub, widgets=cpu_widget(HOT))
    report(hub, {"cpu": 10})
    maintenance = {"duration": 600, "reason": "backup"}
    send(hub, "synapse/maintenance/nas-01", maintenance, username="nas-01")
    [window] = hub.maintenance.windows("nas-01")
    assert (window.active, window.reason, window.source) == (True, "backup", "mqtt")
    report(hub, {"cpu": 99})  # the backup makes it hot
    clock.advance(300)  # ... and silent, far past its 60 s TTL
    hub.liveness_step()
    deliver(hub)
    assert sink.received == []
    assert hub.axon("nas-01").status == "online"  # no offline while in maintenance
    [alert] = hub.alerts.list()
    assert alert.held == "maintenance"
    report(hub, {"cpu": 10})
    send(hub, "synapse/maintenance/nas-01", {"end": True}, username="nas-01")
    deliver(hub)
    assert sink.received == []  # it recovered inside the window: nothing to say


def test_the_ttl_restarts_when_maintenance_ends_so_there_is_no_false_offline(
    alert_hub: Callable[..., Hub], clock: ManualClock, sink: Sink
) -> None:
    hub = alert_hub()
    register(hub)
    report(hub, {"cpu": 10})
    send(hub, "synapse/maintenance/nas-01", {"duration": 600}, username="nas-01")
    clock.advance(600)
    hub.alerts_step()  # the window ends here: a full TTL (60 s) from now
    clock.advance(59)
    hub.liveness_step()
    assert hub.axon("nas-01").status == "online"
    clock.advance(1)
    hub.liveness_step()
    deliver(hub)
    assert hub.axon("nas-01").status == "offline"
    assert sink.titles() == ["[FIRING] Basement NAS is offline"]


def test_a_bad_maintenance_message_is_answered_with_a_sentence(
    alert_hub: Callable[..., Hub],
) -> None:
    hub = alert_hub()
    register(hub)
    send(hub, "synapse/maintenance/nas-01", {"duration": -5}, username="nas-01")
    send(hub, "synapse/maintenance/nas-01", {"minutes": 5}, username="nas-01")
    send(hub, "synapse/maintenance/nas-01", {"end": True}, username="nas-01")
    hub.flush()
    assert [e.error for e in reversed(hub.errors("nas-01"))] == [
        "duration must be between 0 and 604800 seconds",
        "maintenance has no field 'minutes'",
        "axon 'nas-01' is not in maintenance",
    ]
