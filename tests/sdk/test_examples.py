"""The examples in examples/ run as written, against real parts, with harmless stand-ins."""

from __future__ import annotations

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .conftest import REPO, TOKEN

EXAMPLES = REPO / "examples"


def stand_in_systemctl(tmp_path: Path) -> tuple[Path, Path]:
    calls = tmp_path / "systemctl-calls"
    program = tmp_path / "fake-systemctl"
    program.write_text(f'#!/bin/sh\necho "$@" >> "{calls}"\n')
    program.chmod(0o755)
    return program, calls


def test_the_restart_example_is_ten_lines_of_code():
    lines = (EXAMPLES / "restart_service.py").read_text().splitlines()
    code = [line for line in lines if line.strip() and not line.startswith('"""')]
    assert len(code) == 10


def test_the_sdk_docs_open_with_the_restart_example_as_it_is():
    docs = (REPO / "docs" / "sdk.md").read_text()
    first_block = docs.split("```python\n", 1)[1].split("```", 1)[0]
    example = (EXAMPLES / "restart_service.py").read_text().split('"""\n', 2)[-1]
    assert first_block.strip() == example.strip()


def test_the_restart_example_restarts_its_unit_from_a_command(run_axon, broker, hub_side, tmp_path):
    program, calls = stand_in_systemctl(tmp_path)
    hub = hub_side(broker)
    run_axon(
        EXAMPLES / "restart_service.py", broker, {"SYSTEMCTL": str(program), "UNIT": "demo.service"}
    )
    registration = hub.wait_for("synapse/register/web-01")[0].json()
    assert registration["actions"] == [
        {"id": "restart", "label": "Restart demo.service", "style": "danger"}
    ]
    result = hub.result("web-01", hub.command("web-01", "restart"))
    assert result["code"] == "ok", result
    assert calls.read_text() == "restart demo.service\n"


def test_the_restart_example_reports_a_failing_systemctl(run_axon, broker, hub_side):
    hub = hub_side(broker)
    run_axon(EXAMPLES / "restart_service.py", broker, {"SYSTEMCTL": "false"})
    hub.wait_for("synapse/register/web-01")
    result = hub.result("web-01", hub.command("web-01", "restart"))
    assert (result["ok"], result["code"]) == (False, "failed")
    assert "CalledProcessError" in result["error"] and "exit status 1" in result["error"]


def test_the_mosquitto_pub_example_registers_and_reports(broker, hub_side):
    hub = hub_side(broker)
    env = {
        "PATH": "/usr/bin:/bin",
        "HUB": "127.0.0.1",
        "PORT": str(broker.port),
        "AXON_ID": "backup-01",
        "SYNAPSE_TOKEN": TOKEN,
    }
    subprocess.run(
        ["sh", str(EXAMPLES / "report_mosquitto_pub.sh")], env=env, check=True, timeout=30
    )
    registration = hub.wait_for("synapse/register/backup-01")[0].json()
    assert registration["auth_token"] == TOKEN
    assert [w["id"] for w in registration["widgets"]] == ["disk_used", "last_backup"]
    assert 0 <= int(hub.wait_for("synapse/report/backup-01/disk_used")[0].text) <= 100
    assert "last_backup" in hub.wait_for("synapse/report/backup-01")[0].json()


def test_the_curl_example_posts_a_report_with_a_bearer_token():
    seen: list[dict[str, Any]] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(
                {
                    "path": self.path,
                    "auth": self.headers["Authorization"],
                    "type": self.headers["Content-Type"],
                    "body": json.loads(body),
                }
            )
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {
            "PATH": "/usr/bin:/bin",
            "HUB": f"http://127.0.0.1:{server.server_address[1]}",
            "AXON_ID": "backup-01",
            "SYNAPSE_TOKEN": TOKEN,
        }
        subprocess.run(["sh", str(EXAMPLES / "report_curl.sh")], env=env, check=True, timeout=30)
    finally:
        server.shutdown()
        server.server_close()
    [request] = seen
    assert request["path"] == "/api/v1/axons/backup-01/report"
    assert request["auth"] == f"Bearer {TOKEN}"
    assert request["type"] == "application/json"
    assert set(request["body"]) == {"disk_used", "last_backup"}
