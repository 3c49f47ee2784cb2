"""Commands from the hub and their results: parse, refuse, run, answer.

A command (``synapse/command/{id}``) is ``{"request_id", "action", "params", "expires_at"}``.
Its action id only selects one of the functions this axon registered: no text from a command is
ever run as a shell command or evaluated. Everything is checked before anything runs; a refusal
is answered with a ``Result`` whose ``code`` says why:

=================  ===========================================================
``ok``             the function returned; ``output`` is its return value as text
``failed``         the function raised (``NotImplementedError`` says so plainly)
``timeout``        the function did not return within the action's timeout
``unknown_action`` the action id is not one this axon registered
``expired``        ``expires_at`` had passed when the command arrived
``duplicate``      this ``request_id`` was seen before (the last 1000 are kept)
``invalid_params`` params of the wrong type, unknown, missing, or too large
``invalid``        not JSON, not an object, or a field of the wrong type
=================  ===========================================================
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._spec import Action

MAX_COMMAND_BYTES = 1024 * 1024
MAX_PARAMS_BYTES = 8 * 1024
MAX_OUTPUT_BYTES = 16 * 1024
MAX_ERROR_CHARS = 2000
MAX_REQUEST_ID = 128
_REQUEST_ID_IN_TEXT = re.compile(rb'"request_id"\s*:\s*"([^"\\]{1,128})"')


@dataclass(frozen=True, slots=True)
class Result:
    request_id: str
    code: str
    output: str = ""
    error: str | None = None
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.code == "ok"

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "request_id": self.request_id,
                "ok": self.ok,
                "output": self.output,
                "duration_ms": self.duration_ms,
                "error": self.error,
                "code": self.code,
            },
            ensure_ascii=False,
        ).encode()


@dataclass(frozen=True, slots=True)
class Command:
    request_id: str
    action: Action
    params: Mapping[str, Any]
    expires_at: float


class SeenRequests:
    """The last ``size`` request ids, to answer a repeated one with ``duplicate``."""

    def __init__(self, size: int = 1000) -> None:
        self._size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def check_and_add(self, request_id: str) -> bool:
        """True if ``request_id`` is new (and remember it), False if it was seen."""
        if request_id in self._ids:
            return False
        self._ids[request_id] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return True


def parse(
    payload: bytes, actions: Mapping[str, Action], seen: SeenRequests, now: float
) -> Command | Result | None:
    """A command to run, a refusal to publish, or None when not even a request_id is readable."""
    if len(payload) > MAX_COMMAND_BYTES:
        return None
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        match = _REQUEST_ID_IN_TEXT.search(payload)
        if match is None:
            return None
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "too deeply nested"
        return Result(
            match.group(1).decode(), "invalid", error=f"command is not valid JSON: {reason}"
        )
    if not isinstance(data, dict):
        return None
    request_id = data.get("request_id")
    if not isinstance(request_id, str) or not 0 < len(request_id) <= MAX_REQUEST_ID:
        return None
    if not seen.check_and_add(request_id):
        return Result(request_id, "duplicate", error=f"request {request_id!r} was already received")

    def refuse(code: str, error: str) -> Result:
        return Result(request_id, code, error=error)

    expires_at = data.get("expires_at")
    if isinstance(expires_at, bool) or not isinstance(expires_at, int | float):
        return refuse("invalid", "expires_at must be a number (epoch seconds)")
    if not math.isfinite(expires_at) or expires_at <= now:
        return refuse("expired", f"command expired {max(0.0, now - expires_at):.1f} s ago")
    action_id = data.get("action")
    if not isinstance(action_id, str):
        return refuse("invalid", "action must be a string")
    action = actions.get(action_id)
    if action is None:
        known = ", ".join(sorted(actions)) or "none"
        return refuse("unknown_action", f"unknown action {_clip(action_id, 80)!r} (known: {known})")
    params = data.get("params", {})
    problem = check_params(action, params)
    if problem:
        return refuse("invalid_params", problem)
    return Command(request_id, action, params, float(expires_at))


def check_params(action: Action, params: object) -> str | None:
    """One sentence on what is wrong with ``params``, or None when they fit the action."""
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return "params must be an object"
    if len(json.dumps(params)) > MAX_PARAMS_BYTES:
        return f"params are too large (max {MAX_PARAMS_BYTES // 1024} KiB)"
    unknown = [name for name in params if name not in action.params]
    if unknown:
        allowed = ", ".join(action.params) or "none"
        return f"unknown param {_clip(unknown[0], 80)!r} (allowed: {allowed})"
    for name, param in action.params.items():
        if name not in params:
            if param.required:
                return f"param {name!r} is required"
            continue
        value = params[name]
        if not param.accepts(value):
            return (
                f"param {name!r} must be of type {param.type.__name__}, got {type(value).__name__}"
            )
        if param.choices is not None and value not in param.choices:
            return f"param {name!r} must be one of {list(param.choices)!r}"
    return None


def run(command: Command) -> Result:
    """Call the action's function and turn what happened into a Result (never raises)."""
    started = time.monotonic()
    error: str | None
    try:
        value = command.action.function(**command.params)
    except NotImplementedError as exc:
        detail = f": {exc}" if str(exc) else ""
        code, output = "failed", ""
        error = _clip(f"action {command.action.id!r} is not implemented{detail}")
    except Exception as exc:  # any failure of user code is reported, never raised
        code, output, error = "failed", _process_output(exc), _clip(f"{type(exc).__name__}: {exc}")
    else:
        code, output, error = "ok", as_text(value), None
    duration_ms = int((time.monotonic() - started) * 1000)
    return Result(command.request_id, code, truncate(output), error, duration_ms)


def as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, dict | list | tuple | int | float | bool):
        try:
            return json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            pass
    return str(value)


def truncate(text: str, limit: int = MAX_OUTPUT_BYTES) -> str:
    raw = text.encode("utf-8", errors="replace")
    if len(raw) <= limit:
        return text
    marker = f"\n[... output truncated: {len(raw)} bytes, first {limit} shown]"
    return raw[: limit - len(marker.encode())].decode("utf-8", errors="ignore") + marker


def _process_output(exc: BaseException) -> str:
    """What a failed subprocess printed (CalledProcessError carries it), else nothing."""
    parts = [getattr(exc, name, None) for name in ("stdout", "stderr")]
    return "\n".join(as_text(p) for p in parts if p)


def _clip(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Job:
    """A running command; ``claim()`` lets exactly one of "finished" and "timed out" answer."""

    def __init__(self, command: Command, deadline: float) -> None:
        self.command, self.deadline = command, deadline
        self._claimed = threading.Lock()

    def claim(self) -> bool:
        return self._claimed.acquire(blocking=False)
