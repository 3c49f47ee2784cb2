"""Restart a systemd unit from the Synapse dashboard: SYNAPSE_TOKEN=... python restart_service.py"""

import os
import subprocess

from axon_sdk import Axon

UNIT = os.environ.get("UNIT", "nginx.service")
SYSTEMCTL = os.environ.get("SYSTEMCTL", "systemctl")  # the test suite points it at a stand-in
axon = Axon("web-01", name=f"Web server ({UNIT})")


@axon.action("restart", label=f"Restart {UNIT}", style="danger")
def restart():
    subprocess.run([SYSTEMCTL, "restart", UNIT], check=True)  # an argument list, never a shell


axon.run()
