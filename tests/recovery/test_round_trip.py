"""The acceptance walk: a lost axon comes back from its recovery kit, overrides intact.

A real SDK axon registers and reports; a user overrides its name and a monitor; the axon's
process dies and its script is deleted. The kit is downloaded over HTTP, unzipped, one widget's
TODO is filled in (the human step), and the script runs in a real interpreter that has only
paho-mqtt besides the standard library: the SDK comes from the kit itself.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import paho
import pytest

from tests.runtime import RunningHub

ORIGINAL = """
from axon_sdk import Axon, Param

axon = Axon("lab-01", name="Lab box", ttl=30, docs="# Lab box\\n\\nRuns the `lab` stack.\\n")


@axon.action("restart-now", label="Restart now", style="danger", confirm=True)
def restart_now():
    return "restarted"


@axon.action("scale", params={"replicas": int, "mode": Param(str, False, "Mode", ("fast", "safe"))})
def scale(replicas, mode="fast"):
    return f"scaled to {replicas}"


@axon.widget("temp", type="gauge", label="Temperature", unit="C", every=0.2, monitors=[
    {"condition": "value > 80", "severity": "critical", "message": "Too hot", "for": 60},
])
def temp():
    return 21.5


axon.widget("status", type="status", monitors=["value > 1"])
axon.run()
"""
OVERRIDES = {
    "name": "Lab box (restored)",
    "widgets": {"temp": {"monitors": [{"condition": "value > 70", "severity": "error"}]}},
}


@pytest.fixture
def processes() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(
        args: list[str], cwd: Path, env: dict[str, str], log: Path
    ) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            process = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def paho_only(tmp_path: Path) -> Path:
    """A PYTHONPATH with paho and nothing else, for ``python -S``: the machine the kit targets."""
    deps = tmp_path / "deps"
    deps.mkdir()
    (deps / "paho").symlink_to(Path(paho.__file__).parent)
    return deps


def test_a_lost_axon_is_restored_from_its_kit_with_its_overrides(
    make_running_hub, processes, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    running: RunningHub = make_running_hub()
    hub = running.hub
    token = running.run(hub.mint_axon_token, "lab-01")
    env = {
        **os.environ,
        "SYNAPSE_TOKEN": token,
        "SYNAPSE_HUB": f"mqtt://127.0.0.1:{running.mqtt_port}",
    }
    original = tmp_path / "original" / "lab.py"
    original.parent.mkdir()
    original.write_text(ORIGINAL)
    first = processes([sys.executable, str(original)], original.parent, env, tmp_path / "first.log")
    running.wait_for(
        lambda: "temp" in getattr(hub.registry.get("lab-01"), "values", {}),
        what=f"lab-01 reporting\n{(tmp_path / 'first.log').read_text()}",
    )
    stored = running.http.get("/api/v1/axons/lab-01/snapshots/latest").json()
    assert running.http.patch("/api/v1/axons/lab-01/overrides", json=OVERRIDES).status_code == 200
    running.run(hub.flush)
    before = running.http.get("/api/v1/axons/lab-01/history/temp", params={"since": 0}).json()
    assert before and {value for _, value in before} == {21.5}

    os.kill(first.pid, signal.SIGKILL)
    original.unlink()
    running.wait_for(lambda: hub.registry.get("lab-01").status == "offline", what="offline")
    registrations = running.run(lambda: hub.ingest.counts["registrations"])

    started = time.monotonic()
    download = running.http.get("/api/v1/axons/lab-01/recovery-kit")
    assert download.status_code == 200, download.text
    assert download.headers["x-synapse-kit-exact"] == "yes"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        archive.extractall(tmp_path / "restore")
    kit = tmp_path / "restore" / "lab-01-recovery-kit"
    script = kit / "axon.py"
    stub = "raise NotImplementedError(\"widget 'temp' is a stub from the recovery kit\")"
    assert stub in script.read_text()
    script.write_text(script.read_text().replace(stub, "return 22.5"))  # the human fills a TODO
    log = tmp_path / "restored.log"
    processes(
        [sys.executable, "-S", "axon.py"],
        kit,
        {**env, "PYTHONPATH": str(paho_only(tmp_path))},
        log,
    )
    running.wait_for(
        lambda: (
            hub.registry.get("lab-01").status == "online"
            and hub.ingest.counts["registrations"] > registrations
        ),
        timeout=30,
        what=f"the restored axon online\n{log.read_text()}",
    )
    elapsed = time.monotonic() - started
    request.node.user_properties.append(("restore_seconds", f"{elapsed:.2f}"))  # in --junitxml

    # the registration it sent is the stored definition: same hash, no new snapshot
    detail = running.http.get("/api/v1/axons/lab-01").json()
    assert running.run(lambda: hub.registry.get("lab-01").definition_hash) == stored["content_hash"]
    assert [s["content_hash"] for s in detail["snapshots"]] == [stored["content_hash"]]
    # the user's overrides are intact
    assert detail["effective"]["name"] == "Lab box (restored)"
    [temp] = [w for w in detail["effective"]["widgets"] if w["id"] == "temp"]
    assert [(m["condition"], m["severity"]) for m in temp["monitors"]] == [("value > 70", "error")]
    # a stubbed action answers "not implemented" cleanly
    answer = running.http.post(
        "/api/v1/axons/lab-01/actions/scale", params={"wait": 5}, json={"params": {"replicas": 3}}
    )
    body = answer.json()
    assert (body["state"], body["ok"]) == ("failed", False), f"{body}\n{log.read_text()}"
    assert "not implemented" in body["error"] and "stub from the recovery kit" in body["error"]
    # its history continues under the same id
    running.wait_for(lambda: hub.registry.get("lab-01").values.get("temp") == 22.5, what="22.5")
    running.run(hub.flush)
    after = running.http.get("/api/v1/axons/lab-01/history/temp", params={"since": 0}).json()
    assert after[: len(before)] == before and after[-1][1] == 22.5
    assert [t["to_state"] for t in reversed(detail["transitions"])][-3:] == [
        "online",
        "offline",
        "online",
    ]
    assert elapsed < 30, f"the restore took {elapsed:.1f}s"
