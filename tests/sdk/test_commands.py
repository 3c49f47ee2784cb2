"""Command checks on their own: what is refused, with which code, before anything runs."""

from __future__ import annotations

import json
import time

from axon_sdk._commands import Command, Result, SeenRequests, parse, truncate
from axon_sdk._spec import Action, Param

RAN: list[str] = []


def touch(text: str = "x") -> str:
    RAN.append(text)
    return text


ACTIONS = {"touch": Action("touch", touch, "Touch", params={"text": Param(str, required=False)})}


def command(**fields: object) -> bytes:
    body = {"request_id": "r1", "action": "touch", "params": {}, "expires_at": time.time() + 60}
    return json.dumps({**body, **fields}).encode()


def code(payload: bytes, seen: SeenRequests | None = None) -> str | None:
    outcome = parse(payload, ACTIONS, seen or SeenRequests(), time.time())
    return outcome.code if isinstance(outcome, Result) else None


def test_a_well_formed_command_becomes_a_command_and_runs_nothing_yet():
    outcome = parse(command(params={"text": "hi"}), ACTIONS, SeenRequests(), time.time())
    assert isinstance(outcome, Command) and outcome.params == {"text": "hi"}
    assert RAN == []


def test_each_kind_of_bad_command_gets_its_own_code():
    assert code(command(action="touch && reboot")) == "unknown_action"
    assert code(command(action=["touch"])) == "invalid"
    assert code(command(expires_at=time.time() - 1)) == "expired"
    assert code(command(expires_at=True)) == "invalid"
    assert code(command(expires_at=float("nan"))) == "expired"
    assert code(command(params={"text": 1})) == "invalid_params"
    assert code(command(params={"text": "a" * 20_000})) == "invalid_params"
    assert code(command(params={"__class__": "x"})) == "invalid_params"
    assert code(command(params="text=1")) == "invalid_params"
    assert code(b'{"request_id": "r1", "action": ') == "invalid"
    assert RAN == []


def test_a_command_without_a_readable_request_id_is_not_answered():
    for payload in (
        b"garbage",
        b"[1]",
        command(request_id=3),
        command(request_id="x" * 500),
        b"x" * (2 * 1024 * 1024),
    ):
        assert parse(payload, ACTIONS, SeenRequests(), time.time()) is None


def test_a_repeated_request_id_is_a_duplicate_and_only_the_last_thousand_are_kept():
    seen = SeenRequests(size=1000)
    assert not isinstance(parse(command(), ACTIONS, seen, time.time()), Result)
    assert code(command(), seen) == "duplicate"
    for n in range(1000):
        seen.check_and_add(f"other-{n}")
    assert not isinstance(parse(command(), ACTIONS, seen, time.time()), Result)


def test_long_output_is_truncated_to_16_kib_with_a_marker():
    text = truncate("é" * 20_000)
    assert len(text.encode()) <= 16 * 1024
    assert text.endswith("[... output truncated: 40000 bytes, first 16384 shown]")
    assert truncate("short") == "short"
