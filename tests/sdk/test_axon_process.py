"""An axon in its own process against a real mosquitto, observed from the hub's side."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import TOKEN, wait_until

AXON = """
import json, logging, os, pathlib, sys, time
from axon_sdk import Axon, Param

logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)  # paho's DEBUG lines included
marker = pathlib.Path(os.environ["MARKER"])

def on_error(error):
    # write then rename: the test polls for the file, and must never read it half-written
    target = pathlib.Path(os.environ["ERRORS"])
    partial = target.with_suffix(".partial")
    partial.write_text(
        json.dumps({"error": error.error, "detail": error.detail, "topic": error.topic}))
    os.replace(partial, target)

axon = Axon("test-axon", name="Test axon", ttl=float(os.environ.get("TTL", "60")),
            docs="# Test axon\\nDoes nothing harmful.", on_error=on_error)

@axon.action("touch", label="Touch", style="primary", params={"text": Param(str, required=False)})
def touch(text="touched"):
    marker.write_text(text)
    return f"wrote {marker.name}"

@axon.action("count", params={"n": int})
def count(n):
    return {"next": n + 1}

@axon.action("slow", timeout=0.3)
def slow():
    time.sleep(3)
    marker.write_text("slow finished")

@axon.action("todo")
def todo():
    raise NotImplementedError

if os.environ.get("POLL"):
    @axon.widget("cpu", type="gauge", label="CPU", unit="%", every=0.5,
                 monitors=[{"condition": "value > 90", "severity": "error", "message": "High"}])
    def cpu():
        return 42.5

axon.widget("state", type="status")
axon.report(state="starting")
axon.run(raise_on_error=bool(os.environ.get("RAISE")))
"""

REGISTER = "synapse/register/test-axon"
REPORT = "synapse/report/test-axon"
STATUS = "synapse/status/test-axon"


def start(run_axon, broker, tmp_path: Path, **env: str):
    env = {"MARKER": str(tmp_path / "marker"), "ERRORS": str(tmp_path / "errors.json"), **env}
    return run_axon(AXON, broker, env)


def test_it_registers_on_connect_with_the_contract_payload(run_axon, broker, hub_side, tmp_path):
    hub = hub_side(broker)
    axon = start(run_axon, broker, tmp_path, POLL="1")
    registration = hub.wait_for(REGISTER)[0].json()
    assert registration == {
        "id": "test-axon",
        "name": "Test axon",
        "auth_token": TOKEN,
        "ttl": 60,
        "docs": "# Test axon\nDoes nothing harmful.",
        "actions": [
            {
                "id": "touch",
                "label": "Touch",
                "style": "primary",
                "params": [{"id": "text", "type": "string", "required": False}],
            },
            {
                "id": "count",
                "label": "Count",
                "style": "default",
                "params": [{"id": "n", "type": "integer", "required": True}],
            },
            {"id": "slow", "label": "Slow", "style": "default"},
            {"id": "todo", "label": "Todo", "style": "default"},
        ],
        "widgets": [
            {
                "id": "cpu",
                "type": "gauge",
                "label": "CPU",
                "unit": "%",
                "monitors": [{"condition": "value > 90", "severity": "error", "message": "High"}],
            },
            {"id": "state", "type": "status", "label": "State", "monitors": []},
        ],
    }
    hub.wait_for(STATUS, lambda m: m.text == "online")
    # never retained: the hub ignores replays as heartbeats, and the broker must not hand an
    # axon's status to a client that subscribes later
    assert all(not m.retain for m in hub.messages if m.topic == STATUS)
    assert axon.terminate() == 0
    assert hub.wait_for(STATUS, lambda m: m.text == "offline")
    assert "connected" in axon.err()


def test_it_never_writes_the_token_to_its_logs(run_axon, broker, hub_side, tmp_path):
    hub = hub_side(broker)
    axon = start(run_axon, broker, tmp_path)
    hub.wait_for(REGISTER)
    hub.result("test-axon", hub.command("test-axon", "count", {"n": 1}))
    axon.terminate()
    log = axon.err()
    assert "Sending CONNECT" in log  # the DEBUG log of the MQTT layer was on
    assert TOKEN not in log and TOKEN not in axon.out()


def test_it_reports_polled_widgets_on_schedule_and_pushed_values(
    run_axon, broker, hub_side, tmp_path
):
    hub = hub_side(broker)
    start(run_axon, broker, tmp_path, POLL="1")
    hub.wait_for(REPORT, lambda m: m.json().get("state") == "starting")
    polls = hub.wait_for(REPORT, lambda m: m.json().get("cpu") == 42.5, count=3)
    assert all(json.loads(m.payload) == {"cpu": 42.5} for m in polls[1:])


def test_it_sends_a_bare_heartbeat_at_half_the_ttl_when_nothing_else_is_sent(
    run_axon, broker, hub_side, tmp_path
):
    hub = hub_side(broker)
    start(run_axon, broker, tmp_path, TTL="5")
    hub.wait_for(REPORT, lambda m: m.json() == {"state": "starting"})
    hub.wait_for(REPORT, lambda m: m.payload == b"{}", count=2, timeout=10)


def test_an_action_runs_and_its_result_comes_back(run_axon, broker, hub_side, tmp_path):
    hub = hub_side(broker)
    start(run_axon, broker, tmp_path)
    hub.wait_for(REGISTER)
    result = hub.result("test-axon", hub.command("test-axon", "touch", {"text": "hello"}))
    assert (tmp_path / "marker").read_text() == "hello"
    assert result["ok"] is True and result["code"] == "ok" and result["error"] is None
    assert result["output"] == "wrote marker"
    assert isinstance(result["duration_ms"], int)
    assert set(result) == {"request_id", "ok", "output", "duration_ms", "error", "code"}
    counted = hub.result("test-axon", hub.command("test-axon", "count", {"n": 41}))
    assert json.loads(counted["output"]) == {"next": 42}


def test_a_slow_action_times_out_and_an_unimplemented_one_says_so(
    run_axon, broker, hub_side, tmp_path
):
    hub = hub_side(broker)
    start(run_axon, broker, tmp_path)
    hub.wait_for(REGISTER)
    slow = hub.result("test-axon", hub.command("test-axon", "slow"))
    assert (slow["ok"], slow["code"]) == (False, "timeout")
    assert "0.3 s" in slow["error"]
    todo = hub.result("test-axon", hub.command("test-axon", "todo"))
    assert (todo["ok"], todo["code"]) == (False, "failed")
    assert "'todo' is not implemented" in todo["error"]


def test_hostile_commands_run_nothing_and_each_gets_its_code(run_axon, broker, hub_side, tmp_path):
    hub = hub_side(broker)
    axon = start(run_axon, broker, tmp_path)
    hub.wait_for(REGISTER)
    cmd = "synapse/command/test-axon"
    sent = {
        hub.command("test-axon", "restart; rm -rf /"): "unknown_action",
        hub.command("test-axon", "$(touch /tmp/pwned)"): "unknown_action",
        hub.command("test-axon", "touch", {"text": "x" * 100_000}): "invalid_params",
        hub.command("test-axon", "touch", {"text": 5}): "invalid_params",
        hub.command("test-axon", "touch", {"path": "/etc/passwd"}): "invalid_params",
        hub.command("test-axon", "touch", ["text"]): "invalid_params",
        hub.command("test-axon", "count", {"n": "1; reboot"}): "invalid_params",
        hub.command("test-axon", "count", {}): "invalid_params",
        hub.command("test-axon", 7): "invalid",
        hub.command("test-axon", "touch", expires_in=-1): "expired",
        hub.command("test-axon", "touch", expires_at="tomorrow"): "invalid",
        hub.command("test-axon", "touch", request_id="dup-1", expires_in=-1): "expired",
    }
    hub.publish(cmd, b'{"request_id": "bad-json", "action": "touch", ')
    sent["bad-json"] = "invalid"
    hub.publish(cmd, b"\xff\xfe not json at all")
    hub.publish(cmd, b'["touch"]')
    hub.command("test-axon", "touch", request_id="dup-1")
    for request_id, code in sent.items():
        result = hub.result("test-axon", request_id)
        assert (result["code"], result["ok"]) == (code, False), result
        assert result["error"], result
    duplicates = hub.wait_for(
        "synapse/result/test-axon", lambda m: m.json()["request_id"] == "dup-1", count=2
    )
    assert duplicates[1].json()["code"] == "duplicate"
    assert not (tmp_path / "marker").exists()
    assert axon.process.poll() is None  # still serving
    assert hub.result("test-axon", hub.command("test-axon", "touch"))["ok"]
    assert (tmp_path / "marker").exists()


def test_kill_9_of_the_axon_makes_the_broker_publish_offline(run_axon, broker, hub_side, tmp_path):
    hub = hub_side(broker)
    axon = start(run_axon, broker, tmp_path)
    hub.wait_for(STATUS, lambda m: m.text == "online")
    axon.kill9()
    hub.wait_for(STATUS, lambda m: m.text == "offline")


def test_it_reconnects_and_registers_again_after_the_broker_restarts(
    run_axon, broker, hub_side, tmp_path
):
    hub = hub_side(broker)
    axon = start(run_axon, broker, tmp_path)
    hub.wait_for(REGISTER)
    broker.kill()
    broker.start()
    wait_until(lambda: hub.client and hub.client.is_connected(), 10, "hub side reconnect")
    hub.wait_for(REGISTER, count=2, timeout=20)
    hub.wait_for(STATUS, lambda m: m.text == "online", count=2)
    assert hub.result("test-axon", hub.command("test-axon", "touch"))["ok"]
    assert "reconnecting" in axon.err()


def test_an_error_from_the_hub_reaches_on_error_and_the_log(run_axon, broker, hub_side, tmp_path):
    hub = hub_side(broker)
    axon = start(run_axon, broker, tmp_path)
    hub.wait_for(REGISTER)
    error = {
        "error": "ttl is too small (min 5)",
        "detail": {"field": "ttl"},
        "topic": "synapse/register/test-axon",
    }
    hub.publish("synapse/error/test-axon", json.dumps(error))
    errors = tmp_path / "errors.json"
    wait_until(errors.exists, 10, "the on_error callback")
    assert json.loads(errors.read_text()) == error
    wait_until(lambda: "ttl is too small (min 5)" in axon.err(), 5, "the error in the log")
    assert axon.process.poll() is None  # by default the axon keeps running


def test_run_with_raise_on_error_stops_and_raises_rejected_by_hub(
    run_axon, broker, hub_side, tmp_path
):
    hub = hub_side(broker)
    axon = start(run_axon, broker, tmp_path, RAISE="1")
    hub.wait_for(REGISTER)
    hub.publish(
        "synapse/error/test-axon",
        json.dumps(
            {"error": "name is empty", "detail": None, "topic": "synapse/register/test-axon"}
        ),
    )
    assert axon.wait(10) == 1
    assert (
        "RejectedByHub: the hub rejected a message (on synapse/register/test-axon): name is "
        "empty" in axon.err()
    )
    hub.wait_for(STATUS, lambda m: m.text == "offline")  # it said offline on its way out


def test_a_refused_token_stops_run_with_connection_failed(run_axon, start_mosquitto, tmp_path):
    broker = start_mosquitto(passwords={"test-axon": "the-right-token"})
    axon = start(run_axon, broker, tmp_path, RAISE="1")
    assert axon.wait(10) == 1
    assert "ConnectionFailed: the hub refused axon 'test-axon'" in axon.err()
    assert TOKEN not in axon.err()
