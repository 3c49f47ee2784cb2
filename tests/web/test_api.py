"""The JSON API over a real server: admin key required, problem JSON with one sentence."""

from __future__ import annotations

import json

import pytest

from tests.factories import registration, send
from tests.runtime import RunningHub


@pytest.fixture
def running(make_running_hub) -> RunningHub:
    running: RunningHub = make_running_hub()
    running.run(send, running.hub, "synapse/register/nas-01", registration(auth_token="t-nas-01"))
    running.run(send, running.hub, "synapse/report/nas-01", {"cpu": 12.5})
    return running


def test_the_api_refuses_requests_without_a_valid_key(running: RunningHub) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}):
        response = running.http.get("/api/v1/axons", headers=headers | {"Authorization": ""})
        if headers:
            response = running.http.get("/api/v1/axons", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["detail"]


def test_listing_and_inspecting_an_axon(running: RunningHub) -> None:
    axons = running.http.get("/api/v1/axons").json()
    assert [(a["id"], a["name"], a["status"]) for a in axons] == [
        ("nas-01", "Basement NAS", "online")
    ]
    detail = running.http.get("/api/v1/axons/nas-01").json()
    assert detail["values"] == {"cpu": 12.5}
    assert detail["definition"]["widgets"][0]["id"] == "cpu"
    assert detail["effective"]["name"] == "Basement NAS"
    assert [t["to_state"] for t in detail["transitions"]] == ["online"]
    assert len(detail["snapshots"]) == 1
    assert "t-nas-01" not in json.dumps(detail) and "auth_token" not in json.dumps(detail)


def test_an_unknown_axon_is_a_404_problem(running: RunningHub) -> None:
    response = running.http.get("/api/v1/axons/ghost")
    assert response.status_code == 404
    assert response.json()["detail"] == "there is no axon 'ghost'"


def test_overrides_are_patched_refused_by_name_and_reset(running: RunningHub) -> None:
    ok = running.http.patch("/api/v1/axons/nas-01/overrides", json={"name": "Photo vault"})
    assert ok.status_code == 200 and ok.json()["name"] == "Photo vault"
    refused = running.http.patch(
        "/api/v1/axons/nas-01/overrides", json={"widgets": {"cpu": {"type": "gauge"}}}
    )
    assert refused.status_code == 422
    assert refused.json()["detail"] == (
        "widgets.cpu.type is part of the axon's definition and cannot be overridden"
    )
    broken = running.http.patch(
        "/api/v1/axons/nas-01/overrides",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert broken.status_code == 422 and "not valid JSON" in broken.json()["detail"]
    reset = running.http.delete("/api/v1/axons/nas-01/overrides/name")
    assert reset.status_code == 200 and reset.json()["name"] == "Basement NAS"


def test_approving_and_rejecting(running: RunningHub) -> None:
    assert running.http.get("/api/v1/axons/nas-01").json()["approval"] == "pending"
    assert running.http.post("/api/v1/axons/nas-01/approve").json()["approval"] == "approved"
    rejected = running.http.post("/api/v1/axons/nas-01/reject").json()
    assert rejected["approval"] == "rejected"
    kinds = [(t["kind"], t["to_state"]) for t in rejected["transitions"]]
    assert ("approval", "approved") in kinds and ("approval", "rejected") in kinds


def test_http_reports_need_the_axon_token(running: RunningHub) -> None:
    url = "/api/v1/axons/nas-01/report"
    good = running.http.post(
        url, content=b'{"cpu": 50}', headers={"Authorization": "Bearer t-nas-01"}
    )
    assert good.status_code == 204
    wrong = running.http.post(url, content=b'{"cpu": 99}', headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    admin = running.http.post(url, content=b'{"cpu": 99}')  # an API key is not an axon token
    assert admin.status_code == 401
    bad = running.http.post(
        url, content=b'{"cpu": NaN}', headers={"Authorization": "Bearer t-nas-01"}
    )
    assert bad.status_code == 422 and "NaN" in bad.json()["detail"]
    huge = running.http.post(
        url, content=b" " * 300_000, headers={"Authorization": "Bearer t-nas-01"}
    )
    assert huge.status_code == 422 and "too large" in huge.json()["detail"]
    assert running.http.get("/api/v1/axons/nas-01").json()["values"]["cpu"] == 50


def test_rejected_messages_are_listed(running: RunningHub) -> None:
    running.run(send, running.hub, "synapse/register/nas-01", registration(ttl=1))
    running.run(running.hub.flush)
    errors = running.http.get("/api/v1/errors", params={"axon_id": "nas-01"}).json()
    assert errors[0]["error"] == "ttl is too small (min 5)"
    assert errors[0]["topic"] == "synapse/register/nas-01"


def test_a_minted_token_is_shown_once_and_works(running: RunningHub) -> None:
    minted = running.http.post("/api/v1/tokens/cam-02")
    assert minted.status_code == 201
    token = minted.json()["token"]
    assert len(token) >= 40
    response = running.http.post(
        "/api/v1/axons/cam-02/report",
        content=b'{"fps": 25}',
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 204
    assert running.http.get("/api/v1/axons/cam-02").json()["approval"] == "approved"


def test_openapi_is_served(running: RunningHub) -> None:
    spec = running.http.get("/openapi.json").json()
    assert "/api/v1/axons/{axon_id}/overrides" in spec["paths"]
    assert running.http.get("/docs").status_code == 200
