"""The yardstick: the 10-line example axon restarts a service from the hub's HTTP API.

The SDK runs in a real process against a real hub; systemctl is a harmless stand-in that writes
down how it was called.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.example_axon import ExampleAxon
from tests.runtime import RunningHub

ROOT = Path(__file__).parent.parent


@pytest.fixture
def running(make_running_hub) -> RunningHub:
    return make_running_hub()


@pytest.fixture
def axon(running: RunningHub, start_axon) -> ExampleAxon:
    return start_axon(running)


def online(running: RunningHub, axon_id: str = "web-01") -> bool:
    state = running.hub.registry.get(axon_id)
    return bool(state and state.status == "online" and state.definition)


def test_the_ten_line_axon_restarts_its_service_from_the_api(
    running: RunningHub, axon: ExampleAxon
) -> None:
    running.wait_for(lambda: online(running), what=f"web-01 online\n{axon.log.read_text()}")
    response = running.http.post("/api/v1/axons/web-01/actions/restart", params={"wait": 5})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["state"], body["ok"], body["requested_by"]) == ("ok", True, "apikey:tests")
    assert axon.calls.read_text() == "restart demo.service\n"
    ledger = running.http.get("/api/v1/commands", params={"axon_id": "web-01"}).json()
    assert [c["state"] for c in ledger] == ["ok"]


def test_the_api_refuses_what_cannot_run_with_a_clear_4xx(
    running: RunningHub, axon: ExampleAxon
) -> None:
    running.wait_for(lambda: online(running), what="web-01 online")
    viewer = running.run(running.hub.mint_api_key, "dashboard", "viewer")
    as_viewer = {"Authorization": f"Bearer {viewer}"}
    refused = running.http.post("/api/v1/axons/web-01/actions/restart", headers=as_viewer)
    assert refused.status_code == 403 and "needs an admin" in refused.json()["detail"]
    assert running.http.get("/api/v1/axons/web-01", headers=as_viewer).status_code == 200
    unknown = running.http.post("/api/v1/axons/web-01/actions/format-disk")
    assert unknown.status_code == 404 and "has no action" in unknown.json()["detail"]
    ghost = running.http.post("/api/v1/axons/ghost/actions/restart")
    assert ghost.status_code == 404
    assert not axon.calls.exists()


def test_a_killed_axon_is_offline_and_refuses_commands(
    running: RunningHub, axon: ExampleAxon
) -> None:
    running.wait_for(lambda: online(running), what="web-01 online")
    os.kill(axon.process.pid, signal.SIGKILL)
    running.wait_for(lambda: running.hub.registry.get("web-01").status == "offline")
    refused = running.http.post("/api/v1/axons/web-01/actions/restart")
    assert refused.status_code == 409 and "offline" in refused.json()["detail"]


def test_the_axon_comes_back_after_a_hub_restart(
    make_running_hub, running: RunningHub, axon: ExampleAxon, tmp_path: Path
) -> None:
    running.wait_for(lambda: online(running), what="web-01 online")
    mqtt_port, http_port = running.mqtt_port, running.http_port
    running.stop()
    again: RunningHub = make_running_hub(mqtt_port=mqtt_port, http_port=http_port)
    # the new hub remembers web-01 as online from storage; wait for the axon itself
    again.wait_for(
        lambda: again.hub.ingest.counts["registrations"] >= 1, timeout=30, what="re-registration"
    )
    response = again.http.post("/api/v1/axons/web-01/actions/restart", params={"wait": 5})
    assert response.json()["state"] == "ok", f"{response.text}\n{axon.log.read_text()}"


def run_example(script: str, env: dict[str, str]) -> None:
    done = subprocess.run(
        ["sh", str(ROOT / "examples" / script)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr


def test_the_raw_reporter_examples_reach_the_real_hub(running: RunningHub) -> None:
    token = running.run(running.hub.mint_axon_token, "backup-01")
    run_example(
        "report_mosquitto_pub.sh",
        {"SYNAPSE_TOKEN": token, "HUB": "127.0.0.1", "PORT": str(running.mqtt_port)},
    )
    running.wait_for(
        lambda: len(running.hub.registry.get("backup-01").values) == 2, what="mqtt values"
    )
    run_example(
        "report_curl.sh",
        {"SYNAPSE_TOKEN": token, "HUB": f"http://127.0.0.1:{running.http_port}"},
    )
    detail = running.http.get("/api/v1/axons/backup-01").json()
    assert detail["name"] == "Backups" and detail["ttl"] == 86400
    assert sorted(detail["values"]) == ["disk_used", "last_backup"]
    assert detail["unknown_widgets"] == []
    assert running.http.get("/api/v1/errors").json() == []


def test_the_sdk_installs_from_the_hub(running: RunningHub) -> None:
    from hub.sdk_dist import build_wheel

    index = running.http.get("/sdk/")
    name, data = build_wheel()
    assert f'href="{name}"' in index.text
    download = running.http.get(f"/sdk/{name}")
    assert download.status_code == 200 and download.content == data
    assert running.http.get("/sdk/other.whl").status_code == 404
