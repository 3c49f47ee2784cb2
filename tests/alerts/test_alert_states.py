"""Alert states on an injected clock: for windows, hysteresis, errors, stored transitions,
the built-in offline alert, reminders, grouping — delivered by real apprise to a loopback sink."""

from __future__ import annotations

from collections.abc import Callable

from hub.clock import ManualClock
from hub.hub import Hub
from tests.alerts.conftest import Sink, cpu_widget, deliver, register, report

HIGH_CPU = {
    "condition": "value > 90",
    "severity": "error",
    "message": "CPU at {value}% on {axon} ({label})",
    "for": 30,
}


def states(hub: Hub) -> list[tuple[str, str]]:
    return [(e.from_state, e.to_state) for e in reversed(hub.alerts.events())]


def test_an_alert_fires_only_after_its_condition_held_for_its_for_window(
    alert_hub: Callable[..., Hub], clock: ManualClock, sink: Sink
) -> None:
    hub = alert_hub()
    register(hub, widgets=cpu_widget(HIGH_CPU))
    report(hub, {"cpu": 95})
    clock.advance(29)
    deliver(hub)
    assert sink.received == []
    assert hub.monitors.monitor_states()[0]["state"] == "pending"
    clock.advance(1)
    deliver(hub)
    assert sink.titles() == ["[FIRING] CPU at 95% on Basement NAS (CPU)"]
    assert sink.received[0]["type"] == "failure"
    assert states(hub) == [("ok", "pending"), ("pending", "firing")]
    [alert] = hub.alerts.list()
    assert (alert.state, alert.fired_at, alert.notified) == ("firing", clock.now(), True)


def test_a_condition_that_clears_inside_the_for_window_never_fires(
    alert_hub: Callable[..., Hub], clock: ManualClock, sink: Sink
) -> None:
    hub = alert_hub()
    register(hub, widgets=cpu_widget(HIGH_CPU))
    report(hub, {"cpu": 95})
    clock.advance(20)
    report(hub, {"cpu": 50})
    clock.advance(60)
    deliver(hub)
    assert sink.received == []
    assert states(hub) == [("ok", "pending"), ("pending", "ok")]
    assert "cleared before 30s" in hub.alerts.events()[0].reason


def test_flapping_at_the_threshold_sends_one_notification_thanks_to_recover(
    alert_hub: Callable[..., Hub], clock: ManualClock, sink: Sink
) -> None:
    hub = alert_hub()
    register(hub, widgets=cpu_widget({"condition": "value > 90", "recover": "80"}))
    for value in [91, 89, 92, 88, 95, 85, 91, 89] * 5:
        report(hub, {"cpu": value})
        clock.advance(5)
        deliver(hub)
    assert sink.titles() == ["[FIRING] value > 90"]
    report(hub, {"cpu": 79})
    deliver(hub)
    assert sink.titles() == ["[FIRING] value > 90", "[RESOLVED] value > 90"]
    assert hub.alerts.events()[0].reason == "the recover expression holds (value 79)"


def test_without_recover_an_alert_resolves_when_its_condition_clears(
    alert_hub: Callable[..., Hub], sink: Sink
) -> None:
    hub = alert_hub()
    register(hub, widgets=cpu_widget({"condition": "value > 90", "message": "hot"}))
    report(hub, {"cpu": 95})
    deliver(hub)
    report(hub, {"cpu": 50})
    deliver(hub)
    assert sink.titles() == ["[FIRING] hot", "[RESOLVED] hot"]
    assert hub.alerts.events()[0].reason == "the condition cleared (value 50)"


def test_an_alert_that_fires_and_resolves_before_it_is_sent_stays_quiet(
    alert_hub: Callable[..., Hub], sink: Sink
) -> None:
    hub = alert_hub()
    register(hub, widgets=cpu_widget({"condition": "value > 90", "message": "hot"}))
    report(hub, {"cpu": 95})
    report(hub, {"cpu": 50})
    deliver(hub)
    assert sink.received == []
    outcomes = [e.outcome for e in reversed(hub.alerts.events())]
    assert outcomes == ["quiet (resolved within the group window)",
                        "quiet (its firing was not sent)"]  # fmt: skip


def test_a_run_time_error_puts_the_monitor_in_a_visible_error_state(
    alert_hub: Callable[..., Hub], sink: Sink
) -> None:
    hub = alert_hub()
    register(hub, widgets=cpu_widget({"condition": "value > 90"}))
    report(hub, {"cpu": "very high"})
    [monitor] = hub.monitors.monitor_states()
    assert monitor["state"] == "error"
    assert "not supported between instances of 'str' and 'int'" in monitor["error"]
    assert hub.alerts.events()[0].to_state == "error"
    report(hub, {"cpu": 95})
    [monitor] = hub.monitors.monitor_states()
    assert (monitor["state"], monitor["error"]) == ("firing", None)
    deliver(hub)
    assert sink.titles() == ["[FIRING] value > 90"]


def test_the_offline_alert_is_built_in_and_resolves_when_the_axon_is_back(
    alert_hub: Callable[..., Hub], clock: ManualClock, sink: Sink
) -> None:
    hub = alert_hub()
    register(hub)
    report(hub, {"cpu": 10})
    clock.advance(61)
    hub.liveness_step()
    deliver(hub)
    assert sink.titles() == ["[FIRING] Basement NAS is offline"]
    report(hub, {"cpu": 10})
    deliver(hub)
    assert sink.titles()[-1] == "[RESOLVED] Basement NAS is offline"
    [alert] = hub.alerts.list()
    assert (alert.key, alert.state, alert.severity) == ("offline", "resolved", "error")


def test_a_restart_never_resends_a_notification_that_went_out(
    alert_hub: Callable[..., Hub], clock: ManualClock, sink: Sink
) -> None:
    hub = alert_hub()
    register(hub, widgets=cpu_widget({"condition": "value > 90"}))
    report(hub, {"cpu": 95})
    deliver(hub)
    assert len(sink.received) == 1
    hub.stop()
    again = alert_hub()  # same database: a restart
    clock.advance(5)
    report(again, {"cpu": 96})  # still firing: no new transition
    deliver(again)
    assert len(sink.received) == 1
    report(again, {"cpu": 10})
    deliver(again)
    assert sink.titles() == ["[FIRING] value > 90", "[RESOLVED] value > 90"]


def test_a_still_firing_alert_is_repeated_at_the_repeat_interval(
    alert_hub: Callable[..., Hub], clock: ManualClock, sink: Sink
) -> None:
    hub = alert_hub(alert_repeat_interval=600)
    register(hub, widgets=cpu_widget({"condition": "value > 90", "message": "hot"}))
    report(hub, {"cpu": 95})
    deliver(hub)
    clock.advance(599)
    deliver(hub)
    assert len(sink.received) == 1
    clock.advance(1)
    deliver(hub)
    clock.advance(600)
    deliver(hub)
    assert sink.titles() == ["[FIRING] hot", "[STILL FIRING] hot", "[STILL FIRING] hot"]


def test_alerts_firing_within_the_group_window_arrive_as_one_message(
    alert_hub: Callable[..., Hub], clock: ManualClock, sink: Sink
) -> None:
    hub = alert_hub(alert_group_window=10)
    for axon in ("nas-01", "nas-02", "nas-03"):
        register(hub, axon, widgets=cpu_widget({"condition": "value > 90", "severity": "critical"}))
        report(hub, {"cpu": 99}, axon)
        clock.advance(2)
    deliver(hub)
    assert sink.received == []  # the oldest is 6 s old: still gathering
    clock.advance(4)
    deliver(hub)
    assert len(sink.received) == 1
    assert sink.received[0]["title"] == "Synapse: 3 firing"
    assert sink.received[0]["message"].count("[FIRING]") == 3


def test_prev_and_age_describe_the_widgets_previous_report(
    alert_hub: Callable[..., Hub], clock: ManualClock, sink: Sink
) -> None:
    hub = alert_hub()
    jump = {"condition": "value - prev > 40", "message": "jumped to {value}"}
    stale = {"condition": "age > 300", "message": "late by {value}"}
    register(hub, widgets=cpu_widget(jump, stale))
    report(hub, {"cpu": 10})
    clock.advance(10)
    report(hub, {"cpu": 60})
    deliver(hub)
    assert sink.titles() == ["[FIRING] jumped to 60"]
    clock.advance(301)
    report(hub, {"cpu": 61})
    deliver(hub)
    assert sink.titles()[1] == "Synapse: 1 firing, 1 resolved"
    assert sink.received[1]["message"] == (
        "[RESOLVED] nas-01: jumped to 60\n[FIRING] nas-01: late by 61"
    )


def test_changing_a_monitor_by_override_closes_the_alert_it_had_opened(
    alert_hub: Callable[..., Hub], sink: Sink
) -> None:
    hub = alert_hub()
    register(hub, widgets=cpu_widget({"condition": "value > 90", "message": "hot"}))
    report(hub, {"cpu": 95})
    deliver(hub)
    hub.patch_overrides("nas-01", {"widgets": {"cpu": {"monitors": [{"condition": "value > 99"}]}}})
    report(hub, {"cpu": 95})
    deliver(hub)
    assert sink.titles() == ["[FIRING] hot", "[RESOLVED] hot"]
    assert hub.alerts.events()[0].reason == "the monitor was changed or removed"
