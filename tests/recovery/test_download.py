"""Getting a kit: the zip and the script over HTTP, and ``synapse kit`` from the hub's database."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import registration, send
from tests.recovery.kits import unzip
from tests.runtime import RunningHub


@pytest.fixture
def running(make_running_hub) -> RunningHub:
    running: RunningHub = make_running_hub()
    running.run(send, running.hub, "synapse/register/nas-01", registration(auth_token="t-nas-01"))
    running.run(send, running.hub, "synapse/register/nas-01", registration(name="NAS v2"))
    return running


def test_the_kit_downloads_as_a_zip_named_after_the_axon(running: RunningHub) -> None:
    response = running.http.get("/api/v1/axons/nas-01/recovery-kit")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    disposition = response.headers["content-disposition"]
    assert disposition == 'attachment; filename="nas-01-recovery-kit.zip"'
    files = unzip(response.content)
    assert "nas-01-recovery-kit/axon.py" in files
    assert b"NAS v2" in files["nas-01-recovery-kit/axon.py"]  # the definition in force
    assert not [name for name, data in files.items() if b"t-nas-01" in data]
    assert (
        f"mqtt://127.0.0.1:{running.hub.settings.mqtt_port or 1883}".encode()
        in files["nas-01-recovery-kit/axon.py"]
    )


def test_the_script_downloads_as_text_from_any_snapshot(running: RunningHub) -> None:
    snapshots = running.http.get("/api/v1/axons/nas-01").json()["snapshots"]
    oldest = min(s["id"] for s in snapshots)
    latest = running.http.get("/api/v1/axons/nas-01/recovery-kit/script")
    assert latest.headers["content-type"] == "text/x-python; charset=utf-8"
    assert "name='NAS v2'" in latest.text
    older = running.http.get(
        "/api/v1/axons/nas-01/recovery-kit/script", params={"snapshot": oldest}
    )
    assert "name='Basement NAS'" in older.text
    ast.parse(older.text)
    shell = running.http.get(
        "/api/v1/axons/nas-01/recovery-kit/script", params={"variant": "shell"}
    )
    assert shell.text.startswith("#!/bin/sh") and "AXON_ID=nas-01" in shell.text


def test_a_missing_axon_or_snapshot_is_a_404_and_a_viewer_may_download(
    running: RunningHub,
) -> None:
    ghost = running.http.get("/api/v1/axons/ghost/recovery-kit")
    assert ghost.status_code == 404 and ghost.json()["detail"] == "there is no axon 'ghost'"
    missing = running.http.get("/api/v1/axons/nas-01/recovery-kit", params={"snapshot": 999})
    assert missing.status_code == 404
    assert missing.json()["detail"] == (
        "axon 'nas-01' has no snapshot 999 to build a recovery kit from"
    )
    anonymous = running.http.get("/api/v1/axons/nas-01/recovery-kit", headers={"Authorization": ""})
    assert anonymous.status_code == 401
    viewer = running.run(running.hub.mint_api_key, "dashboard", "viewer")
    as_viewer = {"Authorization": f"Bearer {viewer}"}
    assert running.http.get("/api/v1/axons/nas-01/recovery-kit", headers=as_viewer).is_success


def synapse(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "synapse", *args],
        cwd=tmp_path,
        env={**os.environ, "SYNAPSE_DATA_DIR": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_synapse_kit_writes_the_zip_or_prints_the_script(make_hub, tmp_path: Path) -> None:
    hub = make_hub()
    send(hub, "synapse/register/nas-01", registration(auth_token="t-nas-01"))
    written = synapse(tmp_path, "kit", "nas-01", "--host", "hub.lan")
    assert written.returncode == 0, written.stderr
    path = tmp_path / written.stdout.splitlines()[-1]
    assert path.name == "nas-01-recovery-kit.zip"
    script = unzip(path.read_bytes())["nas-01-recovery-kit/axon.py"].decode()
    assert "'mqtt://hub.lan:1883'" in script and "exact" in written.stderr
    printed = synapse(tmp_path, "kit", "nas-01", "--script", "--host", "hub.lan")
    assert printed.returncode == 0 and printed.stdout == script
    unknown = synapse(tmp_path, "kit", "ghost")
    assert unknown.returncode == 2
    assert unknown.stderr == "synapse: there is no axon 'ghost'\n"
