"""Commands: a person asks an axon to run one of its actions; the hub's ledger tracks it.

Every command is a ``CommandRow``: who asked, when, the state and the result. The embedded broker
does not redeliver unacknowledged QoS 1 messages, so the ledger, not the broker, decides the
outcome: a command with no result by its deadline becomes ``timed_out`` (``step()``), one whose
axon drops offline while it runs becomes ``unknown``. A command is never shown as done unless
the axon said so. Results update a row only while it is still ``sent`` (a conditional update), so
a late, repeated or forged result can never overwrite an outcome.

States: sent → ok | failed | expired | timed_out | unknown.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import col, select

from hub.clock import Clock
from hub.errors import ConflictError, NotFoundError, ValidationError
from hub.events import Event, EventBus
from hub.models import CommandRow
from hub.ports import Inbound, Publisher
from hub.registry import AxonState, Registry
from hub.schema import Action, ActionParam
from hub.storage import Storage
from hub.topics import ParsedTopic, Topics
from hub.values import decode_json

log = logging.getLogger(__name__)

#: how long an axon has to start a command (it refuses one past ``expires_at``)
DELIVERY_WINDOW = 30.0
#: an action's run time when it declares none (the SDK's default timeout)
DEFAULT_ACTION_TIMEOUT = 60.0
#: extra time for the result to travel back
SLACK = 5.0
MAX_OUTPUT = 16 * 1024
MAX_PARAMS_BYTES = 8 * 1024

#: result codes (from the SDK) → ledger states
CODE_STATES = {
    "ok": "ok",
    "failed": "failed",
    "timeout": "failed",
    "invalid_params": "failed",
    "unknown_action": "failed",
    "invalid": "failed",
    "expired": "expired",
}
FINAL_STATES = frozenset({"ok", "failed", "expired", "timed_out", "unknown"})


class CommandView(BaseModel):
    request_id: str
    axon_id: str
    action: str
    params: dict[str, Any]
    requested_by: str
    requested_at: float
    expires_at: float
    deadline: float
    state: str
    ok: bool | None
    output: str
    error: str | None
    code: str | None
    duration_ms: int | None
    finished_at: float | None


def view(row: CommandRow) -> CommandView:
    return CommandView.model_validate(row, from_attributes=True)


class Commands:
    def __init__(
        self,
        storage: Storage,
        registry: Registry,
        clock: Clock,
        topics: Topics,
        events: EventBus,
    ) -> None:
        self._storage = storage
        self._registry = registry
        self._clock = clock
        self._topics = topics
        self._events = events
        self.publisher: Publisher | None = None

    # -- sending ---------------------------------------------------------------------------
    def send(self, axon_id: str, action_id: str, params: Any, requested_by: str) -> CommandView:
        """Check, record and publish a command; raise with a sentence if it cannot be sent."""
        state = self._registry.require(axon_id)
        action = self._action(state, action_id)
        if state.approval != "approved":
            raise ConflictError(f"axon {axon_id!r} is {state.approval}; approve it first")
        if state.status != "online":
            raise ConflictError(f"axon {axon_id!r} is {state.status}; it cannot run actions now")
        checked = check_params(action, params)
        if self.publisher is None:
            raise ConflictError("the hub is not connected to its broker yet")
        now = self._clock.now()
        run_time = action.timeout or DEFAULT_ACTION_TIMEOUT
        row = CommandRow(
            request_id=uuid.uuid4().hex,
            axon_id=axon_id,
            action=action_id,
            params=checked,
            requested_by=requested_by[:64],
            requested_at=now,
            expires_at=now + DELIVERY_WINDOW,
            deadline=now + DELIVERY_WINDOW + run_time + SLACK,
            state="sent",
        )
        with self._storage.session() as session:
            session.add(row)
        payload = {
            "request_id": row.request_id,
            "action": action_id,
            "params": checked,
            "expires_at": row.expires_at,
        }
        self.publisher.publish(self._topics.command(axon_id), json.dumps(payload).encode(), qos=1)
        self._emit(row)
        log.info("command %s: %s.%s by %s", row.request_id, axon_id, action_id, requested_by)
        return view(row)

    # -- results (the ingest handler for synapse/result/{id}) --------------------------------
    def on_result(self, state: AxonState, _parsed: ParsedTopic, message: Inbound) -> None:
        data = decode_json(message.payload, what="the result")
        if not isinstance(data, dict) or not isinstance(data.get("request_id"), str):
            raise ValidationError("a result must be a JSON object with a request_id")
        request_id = data["request_id"][:64]
        code = data.get("code")
        if code == "duplicate":
            return  # the axon refused a replay; the first answer stands
        ok = data.get("ok")
        if not isinstance(ok, bool):
            if "progress" in data:
                self._events.emit(
                    Event("command_progress", state.id, self._clock.now(),
                          {"request_id": request_id, "progress": str(data["progress"])[:1024]})
                )  # fmt: skip
                return
            raise ValidationError("a result needs ok: true or false")
        new_state = "ok" if ok else CODE_STATES.get(str(code), "failed")
        output = data.get("output")
        duration = data.get("duration_ms")
        error = data.get("error")
        values = {
            "state": new_state,
            "ok": ok,
            "output": (output if isinstance(output, str) else json.dumps(output))[:MAX_OUTPUT]
            if output is not None
            else "",
            "error": str(error)[:1000] if error else None,
            "code": str(code)[:32] if code else None,
            "duration_ms": int(duration) if isinstance(duration, int | float) else None,
            "finished_at": self._clock.now(),
        }
        if not self._finish(request_id, state.id, values):
            log.info(
                "ignored a result for %s from %s: unknown or already final", request_id, state.id
            )

    # -- the ledger decides ------------------------------------------------------------------
    def step(self) -> bool:
        """Mark every command past its deadline without a result ``timed_out``."""
        now = self._clock.now()
        with self._storage.session() as session:
            due = session.exec(
                select(CommandRow.request_id, CommandRow.axon_id).where(
                    CommandRow.state == "sent", CommandRow.deadline <= now
                )
            ).all()
        for request_id, axon_id in due:
            self._finish(
                request_id,
                axon_id,
                {"state": "timed_out", "error": "no result from the axon before the deadline",
                 "finished_at": now},
            )  # fmt: skip
        return bool(due)

    def axon_went_offline(self, state: AxonState, _old: str, _reason: str) -> None:
        """A liveness listener: commands in flight on an axon that dropped are ``unknown``."""
        if state.status != "offline":
            return
        with self._storage.session() as session:
            in_flight = session.exec(
                select(CommandRow.request_id).where(
                    CommandRow.axon_id == state.id, CommandRow.state == "sent"
                )
            ).all()
        for request_id in in_flight:
            self._finish(
                request_id,
                state.id,
                {"state": "unknown", "finished_at": self._clock.now(),
                 "error": "the axon went offline before answering; it may or may not have run"},
            )  # fmt: skip

    # -- queries ---------------------------------------------------------------------------
    def get(self, request_id: str) -> CommandView:
        with self._storage.session() as session:
            row = session.get(CommandRow, request_id)
        if row is None:
            raise NotFoundError(f"there is no command {request_id!r}")
        return view(row)

    def recent(self, axon_id: str | None = None, limit: int = 50) -> list[CommandView]:
        query = select(CommandRow).order_by(col(CommandRow.requested_at).desc()).limit(limit)
        if axon_id is not None:
            query = query.where(CommandRow.axon_id == axon_id)
        with self._storage.session() as session:
            return [view(r) for r in session.exec(query).all()]

    # -- helpers ---------------------------------------------------------------------------
    def _finish(self, request_id: str, axon_id: str, values: dict[str, Any]) -> bool:
        """Conditional update: only a ``sent`` command of this axon can change, exactly once."""
        with self._storage.session() as session:
            result = session.execute(
                update(CommandRow)
                .where(
                    col(CommandRow.request_id) == request_id,
                    col(CommandRow.axon_id) == axon_id,
                    col(CommandRow.state) == "sent",
                )
                .values(**values)
            )
            changed = bool(getattr(result, "rowcount", 0))
            row = session.get(CommandRow, request_id) if changed else None
        if row is not None:
            self._emit(row)
        return changed

    def _emit(self, row: CommandRow) -> None:
        self._events.emit(Event("command", row.axon_id, self._clock.now(), view(row).model_dump()))

    @staticmethod
    def _action(state: AxonState, action_id: str) -> Action:
        if state.effective is not None:
            for action in state.effective.axon.actions:
                if action.id == action_id:
                    return action
        raise NotFoundError(f"axon {state.id!r} has no action {action_id[:70]!r}")


_PARAM_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


def check_params(action: Action, params: Any) -> dict[str, Any]:
    """Validate params against the action's declared ones (the SDK checks again)."""
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ValidationError("params must be a JSON object")
    if len(json.dumps(params)) > MAX_PARAMS_BYTES:
        raise ValidationError(f"params are too large (max {MAX_PARAMS_BYTES} bytes)")
    declared: dict[str, ActionParam] = {p.id: p for p in action.params}
    for key in params:
        if key not in declared:
            raise ValidationError(f"action {action.id!r} takes no parameter {key[:70]!r}")
    for param in declared.values():
        if param.id not in params:
            if param.required:
                raise ValidationError(f"parameter {param.id!r} is required")
            continue
        value = params[param.id]
        allowed = _PARAM_TYPES[param.type]
        if isinstance(value, bool) and param.type != "boolean" or not isinstance(value, allowed):
            raise ValidationError(f"parameter {param.id!r} must be a {param.type}")
        if param.choices is not None and value not in param.choices:
            raise ValidationError(f"parameter {param.id!r} must be one of {param.choices}")
    return dict(params)
