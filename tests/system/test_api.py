"""/api/v1/system and /metrics on a running hub."""

from __future__ import annotations

from hub.clock import ManualClock
from hub.sampler import Snapshot


def test_the_system_endpoints_show_snapshot_history_health_and_streaks(make_running_hub) -> None:
    clock = ManualClock()
    running = make_running_hub(clock, stats_interval=3600)
    running.call(running.hub.system.sample())
    running.run(running.hub.system.record, Snapshot(clock.now(), {"host": {"cpu_percent": 99}}))
    current = running.http.get("/api/v1/system/current").json()
    assert current["quiet"]["level"] == "PANIC" and current["groups"]["host"]["cpu_percent"] == 99
    health = running.http.get("/api/v1/system/health").json()
    assert health["status"] == "error" and health["reasons"][-1].startswith("host in PANIC")
    history = running.http.get("/api/v1/system/history", params={"group": "quiet", "step": 60})
    assert history.status_code == 200 and history.json()[-1]["score"] < 100
    bad = running.http.get("/api/v1/system/history", params={"group": "gpu"})
    assert bad.status_code == 422 and "group must be one of" in bad.json()["detail"]
    assert running.http.get("/api/v1/system/streaks").status_code == 200
    assert (
        running.http.get("/api/v1/system/current", headers={"Authorization": ""}).status_code == 401
    )


def test_metrics_are_in_the_prometheus_format_and_count_the_api(make_running_hub) -> None:
    running = make_running_hub(stats_interval=3600)
    running.call(running.hub.system.sample())
    for _ in range(3):
        running.http.get("/api/v1/axons")
    response = running.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "synapse_http_requests_total " in text and 'synapse_quiet_state{state="QUIET"}' in text
    assert "synapse_leases_active 0.0" in text and "synapse_host_cpu_percent " in text
    assert "synapse_mqtt_connected_axons 0.0" in text
