"""Leases over HTTP: an axon with its own token, an admin key, and who may not."""

from __future__ import annotations

import httpx

from hub.quiet import Readings
from tests.runtime import RunningHub


def quiet_hub(make_running_hub) -> RunningHub:
    running = make_running_hub(auto_approve=True, stats_interval=3600)
    running.run(running.hub.quiet.observe, Readings(cpu_percent=0))
    return running


def test_an_axon_asks_heartbeats_and_releases_with_its_own_token(make_running_hub) -> None:
    running = quiet_hub(make_running_hub)
    token = running.run(running.hub.mint_axon_token, "nas-01")
    running.run(running.hub.ingest.state_for, "nas-01")
    axon = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=str(running.http.base_url), headers=axon, timeout=10) as http:
        body = {"axon_id": "nas-01", "job_type": "backup", "cost_units": 40, "priority": "low"}
        granted = http.post("/api/v1/scheduler/leases", json=body)
        assert granted.status_code == 200, granted.text
        lease = granted.json()
        assert lease["approved"] and lease["limits"]["heartbeat_ttl_sec"] == 30
        lease_id = lease["lease_id"]
        assert http.post(f"/api/v1/scheduler/leases/{lease_id}/heartbeat").status_code == 200
        progressed = http.post(
            f"/api/v1/scheduler/leases/{lease_id}/progress", json={"progress": 50}
        )
        assert progressed.json()["progress"]["progress"] == 50
        denied = http.post("/api/v1/scheduler/leases", json={**body, "job_type": "scrub"})
        assert denied.status_code == 200 and not denied.json()["approved"]
        assert denied.json()["retry_after_sec"] == 30
        released = http.post(f"/api/v1/scheduler/leases/{lease_id}/release", json={"note": "ok"})
        assert released.json()["state"] == "released"
        other = http.post("/api/v1/scheduler/leases", json={**body, "axon_id": "nas-02"})
        assert other.status_code == 401 and "does not match" in other.json()["detail"]
    status = running.http.get("/api/v1/scheduler/status").json()
    assert status["quiet"]["level"] == "QUIET" and status["recent"][0]["state"] == "denied"
    summary = running.http.get("/api/v1/scheduler/axons").json()
    assert summary[0]["grants"] == 1 and summary[0]["denies"] == 1


def test_an_admin_queues_and_revokes_and_a_viewer_may_only_read(make_running_hub) -> None:
    running = quiet_hub(make_running_hub)
    for axon_id in ("nas-01", "nas-02"):
        running.run(running.hub.ingest.state_for, axon_id)
    first = running.http.post(
        "/api/v1/scheduler/leases", json={"axon_id": "nas-01", "job_type": "x", "cost_units": 100}
    ).json()
    queued = running.http.post(
        "/api/v1/scheduler/leases",
        json={"axon_id": "nas-02", "job_type": "y", "cost_units": 10, "wait": True},
    )
    assert queued.status_code == 202 and queued.json()["state"] == "queued"
    revoked = running.http.post(
        f"/api/v1/scheduler/leases/{first['lease_id']}/revoke", json={"reason": "maintenance"}
    )
    assert revoked.json()["reason"] == "Revoked by apikey:tests: maintenance"
    granted = running.http.get(f"/api/v1/scheduler/leases/{queued.json()['lease_id']}")
    assert granted.json()["state"] == "active"
    viewer = running.run(running.hub.mint_api_key, "eyes", "viewer")
    headers = {"Authorization": f"Bearer {viewer}"}
    assert running.http.get("/api/v1/scheduler/events", headers=headers).status_code == 200
    refused = running.http.post(
        "/api/v1/scheduler/leases",
        json={"axon_id": "nas-01", "job_type": "x", "cost_units": 1},
        headers=headers,
    )
    assert refused.status_code == 403
