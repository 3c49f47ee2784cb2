"""Reports: both wire forms, strict values, batched history that survives a restart."""

from __future__ import annotations

import pytest

from hub.clock import ManualClock
from hub.hub import Hub
from tests.factories import registration, send


def test_json_and_bare_value_reports_land_in_memory_and_history(
    make_hub, clock: ManualClock
) -> None:
    hub: Hub = make_hub()
    send(hub, "synapse/register/nas-01", registration())
    send(hub, "synapse/report/nas-01", {"cpu": 41.5, "status": "ok"})
    send(hub, "synapse/report/nas-01/cpu", b"87")
    send(hub, "synapse/report/nas-01/status", b"degraded")
    assert hub.axon("nas-01").values == {"cpu": 87, "status": "degraded"}
    assert hub.history_of("nas-01", "cpu", 0) == []  # not yet flushed: batched
    assert hub.flush().samples == 4
    assert hub.history_of("nas-01", "cpu", 0) == [(clock.now(), 41.5), (clock.now(), 87.0)]
    assert hub.history_of("nas-01", "status", 0)[-1][1] == "degraded"


@pytest.mark.parametrize(
    ("payload", "sentence"),
    [
        (b'{"cpu": NaN}', "NaN is not a number"),
        (b'{"cpu": Infinity}', "Infinity is not a number"),
        (b'{"cpu": 1e999}', "not a finite number"),
        (b"\xc3\x28", "not valid UTF-8"),
        (b'{"a": {"b": {"c": {"d": 1}}}}', "nests too deeply"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"cpu": null}', "has no value"),
        (b'{"x": "' + b"y" * 2000 + b'"}', "too long"),
        (b'{"cpu": 1, "ts": "yesterday"}', "ts must be a number"),
        (b'{"a": 1}' + b" " * 70_000, "too large"),
    ],
)
def test_bad_values_are_rejected_with_a_reason(make_hub, payload, sentence) -> None:
    hub: Hub = make_hub()
    send(hub, "synapse/register/nas-01", registration())
    send(hub, "synapse/report/nas-01", {"cpu": 5})
    send(hub, "synapse/report/nas-01", payload)
    hub.flush()
    assert sentence in hub.errors("nas-01")[0].error
    assert hub.axon("nas-01").values == {"cpu": 5}


def test_unknown_widget_ids_are_recorded_and_flagged(make_hub) -> None:
    hub: Hub = make_hub()
    send(hub, "synapse/register/nas-01", registration())
    send(hub, "synapse/report/nas-01", {"cpu": 5, "fan_rpm": 1200})
    detail = hub.axon("nas-01")
    assert detail.values["fan_rpm"] == 1200
    assert detail.unknown_widgets == ["fan_rpm"]
    send(hub, "synapse/register/nas-01", registration(widgets=[{"id": "fan_rpm"}]))
    assert hub.axon("nas-01").unknown_widgets == []


def test_accepted_reports_survive_a_restart(make_hub) -> None:
    hub: Hub = make_hub()
    send(hub, "synapse/register/nas-01", registration())
    for i in range(250):
        send(hub, "synapse/report/nas-01", {"cpu": i})
    hub.stop()  # what SIGTERM does: flush everything accepted
    hub2: Hub = make_hub()
    assert len(hub2.history_of("nas-01", "cpu", 0, limit=10_000)) == 250


def test_an_http_report_needs_the_axons_token(make_hub) -> None:
    from hub.errors import AuthError

    hub: Hub = make_hub()
    token = hub.mint_axon_token("curl-01")
    hub.report_http("curl-01", token, b'{"temp": 21.5}')
    assert hub.axon("curl-01").values == {"temp": 21.5}
    with pytest.raises(AuthError):
        hub.report_http("curl-01", "wrong", b'{"temp": 99}')
    assert hub.axon("curl-01").values == {"temp": 21.5}


def test_sparklines_carry_only_the_chosen_widget_thinned_to_the_point_count(
    make_hub, clock: ManualClock
) -> None:
    hub: Hub = make_hub()
    send(hub, "synapse/register/nas-01", registration())
    start = clock.now()
    for i in range(100):
        send(hub, "synapse/report/nas-01", {"cpu": i, "status": "ok"})
        clock.advance(1)
    send(hub, "synapse/report/nas-01", {"cpu": 999, "ts": start - 10})  # before the window
    hub.flush()
    series = hub.spark_series({"nas-01": "cpu", "ghost": None}, since=start, points=10)
    assert list(series) == ["nas-01"] and list(series["nas-01"]) == ["cpu"]
    assert series["nas-01"]["cpu"] == [float(i) for i in range(0, 100, 10)]
    assert hub.spark_series({}, since=start, points=10) == {}
