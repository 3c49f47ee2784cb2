"""examples/restart_service.py in its own process, with a harmless stand-in for systemctl."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.runtime import RunningHub

EXAMPLE = Path(__file__).parent.parent / "examples" / "restart_service.py"


class ExampleAxon:
    """Axon ``web-01`` restarting ``demo.service``; ``calls`` records how systemctl was run."""

    def __init__(self, running: RunningHub, tmp_path: Path, token: str | None = None) -> None:
        token = token or running.run(running.hub.mint_axon_token, "web-01")
        self.calls = tmp_path / "calls.txt"
        systemctl = tmp_path / "systemctl"
        systemctl.write_text(f'#!/bin/sh\necho "$@" >> {self.calls}\necho "restarted $2"\n')
        systemctl.chmod(0o755)
        self.log = tmp_path / "axon.log"
        env = {
            **os.environ,
            "SYNAPSE_TOKEN": token,
            "SYNAPSE_HUB": f"mqtt://127.0.0.1:{running.mqtt_port}",
            "SYSTEMCTL": str(systemctl),
            "UNIT": "demo.service",
        }
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(EXAMPLE)], env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
