"""`synapse serve` as a real process: reports survive SIGTERM; the README's one-liners work."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import pytest

from tests.factories import free_port

ROOT = Path(__file__).parent.parent
SYNAPSE = [sys.executable, "-m", "synapse"]


class Served:
    def __init__(self, tmp_path: Path) -> None:
        self.mqtt_port, self.http_port = free_port(), free_port()
        self.data_dir = tmp_path / "data"
        self.env = {
            **os.environ,
            "SYNAPSE_DATA_DIR": str(self.data_dir),
            "SYNAPSE_MQTT_HOST": "127.0.0.1",
            "SYNAPSE_MQTT_PORT": str(self.mqtt_port),
            "SYNAPSE_HTTP_HOST": "127.0.0.1",
            "SYNAPSE_HTTP_PORT": str(self.http_port),
        }
        self.log = tmp_path / "synapse.log"
        self.process: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [*SYNAPSE, *args], env=self.env, capture_output=True, text=True, timeout=30, cwd=ROOT
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*SYNAPSE, "serve"], env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.http_port}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"synapse serve did not start:\n{self.log.read_text()[-3000:]}")

    def terminate(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(30)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    served = Served(tmp_path)
    yield served
    served.kill()


def test_no_accepted_report_is_lost_on_sigterm(served: Served) -> None:
    token = served.cli("token", "create", "burst-01").strip().splitlines()[-1]
    served.start()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="burst-01")
    client.username_pw_set("burst-01", token)
    client.connect("127.0.0.1", served.mqtt_port)
    client.loop_start()
    infos = [
        client.publish("synapse/report/burst-01", json.dumps({"n": i}), qos=1) for i in range(2000)
    ]
    for info in infos:
        info.wait_for_publish(10)  # PUBACK: the hub has accepted it
    client.loop_stop()
    client.disconnect()
    assert served.terminate() == 0
    db = sqlite3.connect(served.data_dir / "synapse.db")
    count = db.execute("SELECT count(*) FROM samples WHERE axon_id='burst-01'").fetchone()[0]
    db.close()
    assert count == 2000, served.log.read_text()[-2000:]


def test_the_readme_one_liners_work_as_printed(served: Served) -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Your first axon in one minute", 1)[1].split("```sh", 1)[1]
    lines = [line.split("#")[0].strip() for line in block.split("```", 1)[0].strip().splitlines()]
    served.start()
    env = dict(served.env)
    outputs: list[str] = []
    for line in lines:
        command = (
            line.replace(".venv/bin/synapse", f"{sys.executable} -m synapse")
            .replace("localhost -p 1883", f"127.0.0.1 -p {served.mqtt_port}")
            .replace("localhost:8080", f"127.0.0.1:{served.http_port}")
        )
        done = subprocess.run(
            ["bash", "-c", command], env=env, capture_output=True, text=True, timeout=30, cwd=ROOT
        )
        assert done.returncode == 0, f"{line}\n{done.stderr}"
        outputs.append(done.stdout)
        if "apikey create" in line:
            env["API_KEY"] = done.stdout.strip().splitlines()[-1]
        if "token create" in line:
            env["TOKEN"] = done.stdout.strip().splitlines()[-1]
    axons = json.loads(outputs[-1])
    assert [a["id"] for a in axons] == ["my-nas"]
    assert axons[0]["values"] == {"temp": 41.5, "disk_free": 120.5}
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", env["TOKEN"])
    table = served.cli("axons").splitlines()
    assert table[0].split() == ["ID", "NAME", "STATUS", "APPROVAL", "LAST", "SEEN", "TTL"]
    assert table[1].split()[:4] == ["my-nas", "my-nas", "online", "approved"]


def test_cli_errors_are_one_line_with_exit_status_2(served: Served) -> None:
    done = subprocess.run(
        [*SYNAPSE, "token", "create", "Not An Id"],
        env=served.env, capture_output=True, text=True, timeout=30, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("synapse: ") and len(done.stderr.strip().splitlines()) == 1
