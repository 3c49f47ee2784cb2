"""The command ledger decides: a command is done only when the axon says so.

These run a whole hub (real broker) on a ManualClock: deadlines move only when the test says.
"""

from __future__ import annotations

import pytest

from hub.clock import ManualClock
from hub.errors import ConflictError, NotFoundError, ValidationError
from tests.factories import registration, send
from tests.runtime import RunningHub

ACTIONS = [
    {"id": "restart", "label": "Restart", "style": "danger"},
    {"id": "scale", "params": [{"id": "n", "type": "integer", "required": True}]},
    {"id": "mode", "params": [{"id": "to", "type": "string", "choices": ["eco", "fast"]}]},
]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def running(make_running_hub, clock: ManualClock) -> RunningHub:
    running: RunningHub = make_running_hub(clock=clock)
    running.run(send, running.hub, "synapse/register/nas-01", registration(actions=ACTIONS))
    running.run(running.hub.approve, "nas-01")
    return running


def run_action(running: RunningHub, action: str = "restart", params=None):  # noqa: ANN001, ANN201
    return running.run(running.hub.run_action, "nas-01", action, params, "apikey:tests")


def result(running: RunningHub, request_id: str, **fields) -> None:  # noqa: ANN003
    body = {"request_id": request_id, "ok": True, "output": "done", "duration_ms": 12} | fields
    running.run(send, running.hub, "synapse/result/nas-01", body, username="nas-01")


def test_a_command_is_a_stored_row_until_its_result_arrives(running: RunningHub) -> None:
    command = run_action(running)
    assert command.state == "sent" and command.requested_by == "apikey:tests"
    result(running, command.request_id)
    done = running.run(running.hub.commands.get, command.request_id)
    assert (done.state, done.ok, done.output, done.duration_ms) == ("ok", True, "done", 12)


def test_a_command_without_a_result_by_its_deadline_is_timed_out(
    running: RunningHub, clock: ManualClock
) -> None:
    command = run_action(running)
    clock.set(command.deadline - 1)
    assert running.run(running.hub.commands_step) is False
    clock.set(command.deadline)
    assert running.run(running.hub.commands_step) is True
    late = running.run(running.hub.commands.get, command.request_id)
    assert late.state == "timed_out"
    result(running, command.request_id)  # a late result never turns it into "ok"
    assert running.run(running.hub.commands.get, command.request_id).state == "timed_out"


def test_a_result_can_only_finish_a_command_once_and_only_its_own(running: RunningHub) -> None:
    command = run_action(running)
    running.run(send, running.hub, "synapse/register/cam-02", registration(id="cam-02"))
    spoof = {"request_id": command.request_id, "ok": False, "error": "spoofed"}
    running.run(send, running.hub, "synapse/result/cam-02", spoof, username="cam-02")
    assert running.run(running.hub.commands.get, command.request_id).state == "sent"
    result(running, command.request_id, ok=False, code="failed", error="boom")
    result(running, command.request_id, ok=True)
    final = running.run(running.hub.commands.get, command.request_id)
    assert (final.state, final.error) == ("failed", "boom")


def test_an_axon_going_offline_makes_its_running_commands_unknown(running: RunningHub) -> None:
    command = run_action(running)
    running.run(send, running.hub, "synapse/status/nas-01", "offline", username="nas-01")
    unknown = running.run(running.hub.commands.get, command.request_id)
    assert unknown.state == "unknown" and "may or may not have run" in (unknown.error or "")


def test_expired_results_are_recorded_as_expired(running: RunningHub) -> None:
    command = run_action(running)
    result(running, command.request_id, ok=False, code="expired", error="too late")
    assert running.run(running.hub.commands.get, command.request_id).state == "expired"


@pytest.mark.parametrize(
    ("action", "params", "error", "sentence"),
    [
        ("reboot; rm -rf /", None, NotFoundError, "has no action"),
        ("scale", None, ValidationError, "parameter 'n' is required"),
        ("scale", {"n": "3"}, ValidationError, "parameter 'n' must be a integer"),
        ("scale", {"n": True}, ValidationError, "parameter 'n' must be a integer"),
        ("scale", {"n": 3, "x": 1}, ValidationError, "takes no parameter 'x'"),
        ("mode", {"to": "turbo"}, ValidationError, "must be one of"),
        ("restart", {"x": "y" * 9000}, ValidationError, "too large"),
        ("restart", ["not", "an", "object"], ValidationError, "must be a JSON object"),
    ],
)
def test_bad_commands_are_refused_before_anything_is_sent(
    running: RunningHub, action, params, error, sentence
) -> None:
    with pytest.raises(error) as err:
        run_action(running, action, params)
    assert sentence in err.value.message
    assert running.run(running.hub.commands.recent) == []


def test_pending_and_offline_axons_get_no_commands(running: RunningHub) -> None:
    running.run(
        send, running.hub, "synapse/register/new-03", registration(id="new-03", auth_token="t")
    )
    with pytest.raises(ConflictError, match="pending"):
        running.run(running.hub.run_action, "new-03", "restart", None, "apikey:tests")
    running.run(send, running.hub, "synapse/status/nas-01", "offline", username="nas-01")
    with pytest.raises(ConflictError, match="offline"):
        run_action(running)
