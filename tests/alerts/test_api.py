"""The alert, silence, maintenance and notify API over a real server (loopback, free ports)."""

from __future__ import annotations

import time

import paho.mqtt.client as mqtt
import pytest

from hub.clock import ManualClock
from tests.alerts.conftest import Sink, cpu_widget
from tests.factories import registration, send
from tests.runtime import RunningHub


@pytest.fixture
def running(make_running_hub, sink: Sink) -> RunningHub:  # noqa: ANN001
    running: RunningHub = make_running_hub(clock=ManualClock(), alert_group_window=0.0)
    widgets = cpu_widget({"condition": "value > 90", "message": "hot"})
    running.run(
        send,
        running.hub,
        "synapse/register/nas-01",
        registration(auth_token="t-nas-01", widgets=widgets),
    )
    running.run(running.hub.approve, "nas-01")
    return running


def report(running: RunningHub, values: dict[str, object]) -> None:
    running.run(send, running.hub, "synapse/report/nas-01", values, username="nas-01")


def test_a_channel_is_added_tested_and_never_shows_its_secret_url(
    running: RunningHub, sink: Sink
) -> None:
    url = f"json://bot:s3cret-token@127.0.0.1:{sink.port}/test"
    created = running.http.post("/api/v1/notify/channels", json={"name": "ops", "url": url})
    assert created.status_code == 201
    listed = running.http.get("/api/v1/notify/channels")
    for response in (created, listed):
        assert "s3cret" not in response.text
    assert listed.json()[0]["scheme"] == "json://…"
    queued = running.http.post(f"/api/v1/notify/channels/{created.json()['id']}/test")
    assert queued.status_code == 202
    running.run(running.hub.delivery_step)
    running.wait_for(lambda: sink.received, what="the test notification")
    assert sink.titles() == ["Synapse test notification"]
    detail = running.http.get(f"/api/v1/notify/notifications/{queued.json()['id']}").json()
    assert [d["outcome"] for d in detail["deliveries"]] == ["ok"]


def test_a_bad_channel_url_is_refused_with_a_sentence(running: RunningHub) -> None:
    response = running.http.post("/api/v1/notify/channels", json={"name": "x", "url": "nope"})
    assert response.status_code == 422
    assert response.json()["detail"] == "url must be an apprise URL such as json://host/path"


def test_notify_deduplicates_by_key_within_the_window(running: RunningHub, sink: Sink) -> None:
    running.http.post(
        "/api/v1/notify/channels", json={"name": "ops", "url": sink.url("scripts")}
    ).raise_for_status()
    body = {"title": "backup failed", "body": "exit 2", "severity": "error", "dedup_key": "bk"}
    first = running.http.post("/api/v1/notify", json=body)
    second = running.http.post("/api/v1/notify", json=body)
    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json()["duplicate"] is True and second.json()["id"] == first.json()["id"]
    running.run(running.hub.delivery_step)
    running.wait_for(lambda: sink.received, what="the notification")
    running.run(running.hub.delivery_step)
    assert [(m["title"], m["message"]) for m in sink.received] == [("backup failed", "exit 2")]


def test_silences_are_created_listed_and_ended_through_the_api(running: RunningHub) -> None:
    created = running.http.post(
        "/api/v1/silences", json={"axon": "nas-01", "duration": 600, "comment": "fan swap"}
    )
    assert created.status_code == 201
    silence = created.json()
    assert (silence["active"], silence["created_by"]) == (True, "apikey:tests")
    assert [s["id"] for s in running.http.get("/api/v1/silences").json()] == [silence["id"]]
    ended = running.http.post(f"/api/v1/silences/{silence['id']}/end").json()
    assert ended["active"] is False
    assert running.http.get("/api/v1/silences").json() == []
    everything = running.http.get("/api/v1/silences", params={"include_ended": True}).json()
    assert [s["comment"] for s in everything] == ["fan swap"]


def test_a_backup_job_switches_its_alerts_off_and_on_over_http_with_its_token(
    running: RunningHub,
) -> None:
    url = "/api/v1/axons/nas-01/maintenance"
    job = {"Authorization": "Bearer t-nas-01"}
    started = running.http.post(url, json={"duration": 900, "reason": "backup"}, headers=job)
    assert started.status_code == 200
    assert (started.json()["active"], started.json()["source"]) == (True, "http")
    wrong = running.http.post(url, json={"end": True}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    ended = running.http.post(url, json={"end": True}, headers=job)
    assert ended.json()["active"] is False
    by_admin = running.http.post(url, json={"duration": 60})
    assert by_admin.json()["active"] is True
    assert len(running.http.get("/api/v1/maintenance").json()) == 2


def test_alerts_and_monitor_errors_are_visible_in_the_api(running: RunningHub) -> None:
    report(running, {"cpu": "very high"})
    [monitor] = running.http.get("/api/v1/monitors").json()
    assert monitor["state"] == "error" and "not supported" in monitor["error"]
    report(running, {"cpu": 95})
    [alert] = running.http.get("/api/v1/alerts", params={"state": "firing"}).json()
    assert (alert["axon_id"], alert["key"], alert["message"]) == ("nas-01", "cpu/0", "hot")
    events = running.http.get(f"/api/v1/alerts/{alert['id']}/events").json()
    assert [(e["from_state"], e["to_state"]) for e in events] == [("ok", "firing")]


def test_an_axon_announces_maintenance_over_the_real_broker(running: RunningHub) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="nas-01")
    client.username_pw_set("nas-01", "t-nas-01")
    client.connect("127.0.0.1", running.mqtt_port, keepalive=30)
    client.loop_start()
    try:
        body = b'{"duration": 600, "reason": "nightly backup"}'
        client.publish("synapse/maintenance/nas-01", body, qos=1).wait_for_publish(5)
        running.wait_for(
            lambda: running.hub.maintenance.active("nas-01", running.hub.clock.now()),
            what="the maintenance window",
        )
        client.publish("synapse/maintenance/nas-01", b'{"end": true}', qos=1).wait_for_publish(5)
        running.wait_for(
            lambda: not running.hub.maintenance.active("nas-01", running.hub.clock.now()),
            what="the end of the window",
        )
    finally:
        client.loop_stop()
        client.disconnect()
    [window] = running.http.get("/api/v1/maintenance").json()
    assert (window["reason"], window["source"], window["active"]) == (
        "nightly backup",
        "mqtt",
        False,
    )


def test_a_slow_channel_never_blocks_ingest(running: RunningHub, sink: Sink) -> None:
    running.http.post(
        "/api/v1/notify/channels", json={"name": "slow", "url": sink.url("slow")}
    ).raise_for_status()
    sink.gate.clear()  # the channel hangs
    running.http.post("/api/v1/notify", json={"title": "hello"}).raise_for_status()
    assert sink.waiting.wait(10), "the runtime's delivery worker did not try to send"
    started = time.perf_counter()
    for value in range(50):  # the delivery is stuck in its thread; reports go on
        report(running, {"cpu": value})
    assert running.http.get("/api/v1/axons/nas-01").json()["values"]["cpu"] == 49
    assert time.perf_counter() - started < 5
    sink.gate.set()
    running.wait_for(lambda: sink.received, what="the slow delivery")
