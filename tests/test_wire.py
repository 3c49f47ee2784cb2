"""End to end over MQTT: real broker, real mosquitto_pub/sub, real axon processes.

The ingest tests run twice: against the embedded broker and against an external mosquitto
(``SYNAPSE_BROKER_URL``), because nothing above the transport may differ between the two.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.factories import registration
from tests.mosquitto import Mosquitto
from tests.runtime import RunningHub


class Wire:
    """A running hub plus how a raw reporter reaches it in this mode."""

    def __init__(self, running: RunningHub, port: int, mode: str) -> None:
        self.running = running
        self.port = port
        self.mode = mode

    def token(self, axon_id: str) -> str:
        return self.running.run(self.running.hub.mint_axon_token, axon_id)

    def pub(self, axon_id: str, token: str, topic: str, message: str | bytes) -> None:
        payload = message if isinstance(message, str) else message.decode()
        subprocess.run(
            ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port), "-q", "1",
             "-i", f"pub-{axon_id}", "-u", axon_id, "-P", token, "-t", topic, "-m", payload],
            check=True, timeout=10, capture_output=True,
        )  # fmt: skip

    def axon(self, axon_id: str):  # noqa: ANN201
        state = self.running.hub.registry.get(axon_id)
        return state


@pytest.fixture(params=["embedded", "external"])
def wire(request, tmp_path: Path, make_running_hub) -> Wire:
    if request.param == "embedded":
        running = make_running_hub()
        return Wire(running, running.mqtt_port, "embedded")
    mosquitto = Mosquitto(tmp_path / "mosquitto").start()
    request.addfinalizer(mosquitto.stop)
    running = make_running_hub(broker_url=f"mqtt://127.0.0.1:{mosquitto.port}")
    return Wire(running, mosquitto.port, "external")


def test_a_raw_reporter_reaches_the_hub_in_both_wire_forms(wire: Wire) -> None:
    token = wire.token("shed-01")
    wire.pub("shed-01", token, "synapse/report/shed-01/temp", "21.5")
    wire.pub("shed-01", token, "synapse/report/shed-01", '{"door": "closed", "lux": 3}')
    values = wire.running.wait_for(
        lambda: (a := wire.axon("shed-01")) and len(a.values) == 3 and a.values, what="3 values"
    )
    assert values == {"temp": 21.5, "door": "closed", "lux": 3}
    assert wire.running.run(lambda: wire.axon("shed-01").status) == "online"


def test_a_registration_arrives_and_a_bad_one_is_answered_on_the_error_topic(wire: Wire) -> None:
    token = wire.token("nas-01")
    sub = subprocess.Popen(
        ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(wire.port), "-i", "nas-01-errors",
         "-u", "nas-01", "-P", token, "-t", "synapse/error/nas-01", "-C", "1", "-W", "15"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    wire.pub("nas-01", token, "synapse/register/nas-01", json.dumps(registration()))
    wire.running.wait_for(lambda: wire.axon("nas-01") and wire.axon("nas-01").definition)
    # mosquitto_sub needs a moment to subscribe; resend the bad one until it is heard
    bad = json.dumps(registration(ttl=1))
    for _ in range(50):
        wire.pub("nas-01", token, "synapse/register/nas-01", bad)
        try:
            out, _ = sub.communicate(timeout=0.3)
            break
        except subprocess.TimeoutExpired:
            continue
    else:
        sub.kill()
        sub.communicate()
        pytest.fail("no message on synapse/error/nas-01")
    assert json.loads(out) == {
        "error": "ttl is too small (min 5)",
        "detail": "register",
        "topic": "synapse/register/nas-01",
    }
    assert wire.running.run(lambda: wire.axon("nas-01").definition["ttl"]) == 60


AXON_WITH_WILL = textwrap.dedent(
    """
    import json, sys, time
    import paho.mqtt.client as mqtt
    port, token = int(sys.argv[1]), sys.argv[2]
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="will-01")
    c.username_pw_set("will-01", token)
    c.will_set("synapse/status/will-01", "offline", qos=1)
    c.connect("127.0.0.1", port, keepalive=30)
    c.loop_start()
    c.publish("synapse/register/will-01", json.dumps({"id": "will-01", "ttl": 3600}), qos=1).wait_for_publish(5)
    print("ready", flush=True)
    time.sleep(600)
    """
)


def test_a_killed_axon_is_offline_at_once_through_its_last_will(wire: Wire, tmp_path: Path) -> None:
    token = wire.token("will-01")
    script = tmp_path / "axon.py"
    script.write_text(AXON_WITH_WILL)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(wire.port), token], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        wire.running.wait_for(
            lambda: wire.axon("will-01") and wire.axon("will-01").status == "online"
        )
        os.kill(proc.pid, signal.SIGKILL)
        wire.running.wait_for(
            lambda: wire.axon("will-01").status == "offline", what="offline via the will"
        )
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    reasons = wire.running.run(
        lambda: [t.reason for t in wire.running.hub.registry.transitions("will-01")]
    )
    assert "the axon said offline (last will or exit)" in reasons


def test_a_custom_topic_prefix_is_used_over_an_external_broker(
    tmp_path: Path, make_running_hub
) -> None:
    mosquitto = Mosquitto(tmp_path / "mosquitto").start()
    try:
        running = make_running_hub(
            broker_url=f"mqtt://127.0.0.1:{mosquitto.port}", topic_prefix="lab"
        )
        wire = Wire(running, mosquitto.port, "external")
        wire.pub("shed-01", "any", "synapse/report/shed-01/temp", "1")  # the default: ignored
        wire.pub("shed-01", "any", "lab/report/shed-01/temp", "21.5")
        values = running.wait_for(lambda: (a := wire.axon("shed-01")) and a.values, what="value")
        assert values == {"temp": 21.5}
    finally:
        mosquitto.stop()
