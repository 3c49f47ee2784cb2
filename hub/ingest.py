"""Every message from an axon enters here: ``Ingest.handle`` is the hub's ``InboundSink``.

It parses the topic, checks who is speaking, and dispatches by kind. It never raises: a bad
message is answered with one sentence on ``synapse/error/{id}`` (rate-limited per axon), kept as
a rejection row, and dropped; the last good state stays in force.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable

from hub.clock import Clock
from hub.credentials import CredentialStore
from hub.errors import AuthError, SynapseError, ValidationError
from hub.events import Event, EventBus
from hub.history import HistoryWriter
from hub.liveness import Liveness
from hub.ports import HUB_USERNAME, Inbound, Publisher
from hub.registry import AxonState, Registry
from hub.schema import Registration, parse_model
from hub.topics import Kind, ParsedTopic, Topics
from hub.values import Report, decode_json, parse_bare_value, parse_report

log = logging.getLogger(__name__)

#: a report whose own timestamp is older than this many TTLs is a replay, not a heartbeat
STALE_TTLS = 1.0
#: a registration carries docs (64 KiB) and up to 256 widgets
MAX_REGISTRATION_BYTES = 256 * 1024
#: at most one error message per axon per this many seconds on its error topic
ERROR_INTERVAL = 1.0

#: hook for later parts of the hub (commands, leases, maintenance): (state, topic, payload)
Handler = Callable[[AxonState, ParsedTopic, Inbound], None]


class Ingest:
    def __init__(
        self,
        *,
        topics: Topics,
        registry: Registry,
        liveness: Liveness,
        history: HistoryWriter,
        credentials: CredentialStore,
        clock: Clock,
        publisher: Publisher | None = None,
    ) -> None:
        self._topics = topics
        self._registry = registry
        self._liveness = liveness
        self._history = history
        self._credentials = credentials
        self._clock = clock
        self.publisher = publisher
        self.events: EventBus | None = None
        self.handlers: dict[Kind, Handler] = {}
        #: called with (state, report, now) after a report's values are kept (the monitors)
        self.on_report: Callable[[AxonState, Report, float], None] | None = None
        self.counts: Counter[str] = Counter()
        self._last_error_sent: dict[str, float] = {}

    # -- InboundSink ---------------------------------------------------------------------
    def handle(self, message: Inbound) -> None:
        parsed = self._topics.parse(message.topic)
        if parsed is None:
            self.counts["refused_topic"] += 1
            return
        if message.username not in (None, HUB_USERNAME) and message.username != parsed.axon_id:
            self.counts["refused_spoof"] += 1
            log.warning("refused %s from %r: not its own topic", parsed.kind, message.username)
            return
        try:
            self._dispatch(parsed, message)
        except SynapseError as exc:
            self.reject(parsed, message, exc.message)
        except Exception:  # a bug must not take the broker connection down with it
            self.counts["internal_error"] += 1
            log.exception("internal error while handling a message on %s", message.topic)

    def _dispatch(self, parsed: ParsedTopic, message: Inbound) -> None:
        match parsed.kind:
            case Kind.REGISTER:
                self._register(parsed, message)
            case Kind.REPORT:
                state = self.state_for(parsed.axon_id)
                if parsed.rest:
                    report = parse_bare_value(parsed.rest, message.payload)
                else:
                    report = parse_report(message.payload)
                self.accept_report(state, report, fresh=not message.retain)
            case Kind.STATUS:
                self._status(parsed, message)
            case kind if kind in self.handlers:
                self.handlers[kind](self.state_for(parsed.axon_id), parsed, message)
            case _:
                self.counts["unhandled"] += 1

    # -- registration ------------------------------------------------------------------
    def _register(self, parsed: ParsedTopic, message: Inbound) -> None:
        if parsed.rest:
            raise ValidationError("registrations go to the topic without a sub-level")
        data = decode_json(message.payload, what="the registration", limit=MAX_REGISTRATION_BYTES)
        try:
            registration = parse_model(Registration, data, what="the registration")
        except ValidationError as exc:
            state = self._registry.get(parsed.axon_id)
            if state is not None:
                state.last_error = exc.message
            raise
        if registration.id != parsed.axon_id:
            raise ValidationError(
                f"the registration's id {registration.id!r} does not match the topic's "
                f"{parsed.axon_id!r}"
            )
        token = registration.auth_token.get_secret_value() if registration.auth_token else None
        if token is not None and not self._credentials.verify_or_claim(parsed.axon_id, token):
            raise AuthError("auth_token does not match this axon's token")
        state = self.state_for(parsed.axon_id)
        if state.approval == "rejected":
            self.counts["refused_rejected_axon"] += 1
            return
        old_ttl = state.ttl
        changed = self._registry.register(state, registration, data)
        self.counts["registrations"] += 1
        if changed:
            log.info("axon %s registered a new definition (%s)", state.id, state.definition_hash)
            self._emit("registered", state, {"definition_hash": state.definition_hash})
        if state.ttl != old_ttl:
            self._liveness.ttl_changed(state)
        if not message.retain:
            self._heartbeat(state, "registered")

    # -- reports -----------------------------------------------------------------------
    def accept_report(self, state: AxonState, report: Report, *, fresh: bool) -> None:
        """Keep the values (memory now, storage in the next batch) and count the heartbeat."""
        if state.approval == "rejected":
            self.counts["refused_rejected_axon"] += 1
            return
        now = self._clock.now()
        ts = report.ts if report.ts is not None and report.ts <= now + 300 else now
        if report.ts is not None and report.ts < now - STALE_TTLS * state.ttl:
            fresh = False  # a replay of an old report is history, not a heartbeat
        known = state.widget_ids
        for widget_id, value in report.values.items():
            state.values[widget_id] = value
            state.value_at[widget_id] = ts
            if state.definition is not None and widget_id not in known:
                state.unknown_widgets.add(widget_id)
            self._history.add(state.id, widget_id, ts, value)
        if self.on_report is not None:
            self.on_report(state, report, now)
        self.counts["reports"] += 1
        self._emit("values", state, {"values": report.values, "at": ts})
        if fresh:
            self._heartbeat(state, "report received")

    def _heartbeat(self, state: AxonState, reason: str) -> None:
        now = self._clock.now()
        self._liveness.seen(state, now, reason)
        self._history.seen(state.id, now, self._liveness.due_at(state.id))

    # -- status ------------------------------------------------------------------------
    def _status(self, parsed: ParsedTopic, message: Inbound) -> None:
        state = self.state_for(parsed.axon_id)
        text = message.payload.decode("utf-8", "replace").strip().strip('"').lower()
        if text == "offline":
            if not message.retain:
                self._liveness.went_offline(state, "the axon said offline (last will or exit)")
        elif text == "online":
            if not message.retain:
                self._heartbeat(state, "the axon said online")
        else:
            raise ValidationError("status must be 'online' or 'offline'")

    # -- helpers -----------------------------------------------------------------------
    def state_for(self, axon_id: str) -> AxonState:
        """The axon's state, created at first contact: approved at once when its token was
        minted with ``synapse token create`` (or auto-approve is on), pending otherwise."""
        state = self._registry.get(axon_id)
        if state is None:
            minted = self._credentials.origin(axon_id) == "cli"
            approved = minted or self._credentials.auto_approve
            state = self._registry.ensure(axon_id, approval="approved" if approved else "pending")
        return state

    def _emit(self, kind: str, state: AxonState, data: dict[str, object]) -> None:
        if self.events is not None:
            self.events.emit(Event(kind, state.id, self._clock.now(), data))

    def reject(self, parsed: ParsedTopic, message: Inbound, sentence: str) -> None:
        now = self._clock.now()
        self.counts["rejected"] += 1
        excerpt = message.payload[:512].decode("utf-8", "replace")
        self._history.reject(parsed.axon_id, message.topic, sentence, excerpt, now)
        if parsed.kind == Kind.REGISTER:
            state = self._registry.get(parsed.axon_id)
            if state is not None:
                state.last_error = sentence
        last = self._last_error_sent.get(parsed.axon_id, 0.0)
        if self.publisher is not None and (
            parsed.kind == Kind.REGISTER or now - last >= ERROR_INTERVAL
        ):
            self._last_error_sent[parsed.axon_id] = now
            body = {"error": sentence, "detail": parsed.kind.value, "topic": message.topic}
            self.publisher.publish(
                self._topics.error(parsed.axon_id), json.dumps(body).encode(), qos=1
            )
        log.info("rejected %s from %s: %s", parsed.kind.value, parsed.axon_id, sentence)
