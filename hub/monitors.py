"""The monitor engine: each report's values against the axon's monitors, and the alert states.

Rules are compiled from the *effective* registration (so a user's override of a monitor
applies) once per definition or override, and cached by the identity of that view; a report
costs one dict lookup per value and, for a widget with monitors, one ``eval`` of a code object
that computes every condition of the widget at once (``hub.expressions.compile_group``). When
the tuple of results equals the last one nothing can change, so the state machine is skipped.

Per monitor: ``ok → pending → firing → resolved`` (and back to ``ok``), stored through
``hub.alerts.AlertBook`` as rows with time and reason. ``for`` is how long the condition must
hold before firing: the deadline is kept here and ``step()`` promotes what is due. ``recover``
(an expression, or a bare number meaning "back past this threshold") resolves a firing alert;
without it, the alert resolves when the condition stops holding. A run-time error (text where
a number was expected) sets the monitor's ``error``, visible in the API and stored as an event;
its alert state is kept, so an error is neither a crash nor a silent pass.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from hub.alerts import AlertBook
from hub.clock import Clock
from hub.errors import ExpressionError, ValidationError
from hub.expressions import (
    Compiled,
    Group,
    check_condition,
    compile_expression,
    compile_group,
    numeric_recover,
)
from hub.merge import Effective
from hub.registry import AxonState
from hub.schema import Monitor
from hub.values import Report, Scalar

log = logging.getLogger(__name__)

_BASE = frozenset({"value", "prev", "age", "True", "False", "None"})
_FUNCTIONS = frozenset({"abs", "min", "max", "round", "len", "int", "float", "str", "bool"})


def check_monitor(widget_id: str, index: int, monitor: Monitor, widget_ids: frozenset[str]) -> None:
    """Refuse a monitor whose names are not this axon's; the sentence names the monitor."""
    where = f"widget {widget_id!r} monitor {index + 1}"
    try:
        check_condition(monitor.condition, widget_ids=widget_ids, what=f"{where}'s condition")
        if monitor.recover is not None:
            text = numeric_recover(monitor.condition, monitor.recover) or monitor.recover
            check_condition(text, widget_ids=widget_ids, what=f"{where}'s recover")
    except ValidationError as exc:
        message = exc.message if exc.message.startswith(where) else f"{where}: {exc.message}"
        raise ValueError(message) from None


@dataclass
class Rule:
    key: str
    axon_id: str
    widget_id: str
    label: str
    monitor: Monitor
    condition: Compiled
    recover: Compiled | None

    @property
    def reads(self) -> frozenset[str]:
        """The other widgets this rule's expressions read."""
        names = self.condition.names | (self.recover.names if self.recover else frozenset())
        return names - _BASE - _FUNCTIONS

    @property
    def signature(self) -> tuple[Any, ...]:
        m = self.monitor
        return (m.condition, m.recover, m.severity, m.for_seconds, m.message)


@dataclass
class RuleState:
    status: str = "ok"  # ok | pending | firing
    alert_id: int | None = None
    since: float = 0.0
    error: str | None = None
    value: Scalar | None = None
    evaluated_at: float | None = None


@dataclass
class WidgetRules:
    rules: list[Rule]
    #: ``(value, prev, age, *extra) -> tuple`` of every condition, then every recover
    code: Group
    #: other widgets the conditions read
    extra: tuple[str, ...]
    last: tuple[Any, ...] | None = None
    prev: Scalar | None = None
    prev_at: float | None = None
    #: reads neither ``age`` nor other widgets: a repeated value cannot change an outcome
    static: bool = False


@dataclass
class AxonRules:
    effective: Effective | None
    widgets: dict[str, WidgetRules] = field(default_factory=dict)


class MonitorEngine:
    def __init__(self, book: AlertBook, clock: Clock) -> None:
        self._book = book
        self._clock = clock
        self._axons: dict[str, AxonRules] = {}
        self.states: dict[tuple[str, str], RuleState] = {}
        self.rules: dict[tuple[str, str], Rule] = {}
        #: (axon, key) → when its pending alert fires
        self._due: dict[tuple[str, str], float] = {}

    def load(self) -> None:
        """At start: open alerts come back as states, so a restart never re-fires them."""
        for row in self._book.open_alerts():
            if row.key == "offline" or row.id is None:
                continue
            self.states[(row.axon_id, row.key)] = RuleState(
                status=row.state, alert_id=row.id, since=row.fired_at or row.started_at
            )

    # -- the ingest hook ---------------------------------------------------------------
    def on_report(self, state: AxonState, report: Report, now: float) -> None:
        """The ingest hook; the hot path: attribute reads, one call per widget, a compare."""
        try:
            rules = self._axons.get(state.id)
            if rules is None or rules.effective is not state.effective:
                rules = self._rebuild(state, now)
            widgets = rules.widgets
            if not widgets:
                return
            for widget_id, value in report.values.items():
                group = widgets.get(widget_id)
                if group is None:
                    continue
                prev = value if group.prev is None else group.prev
                age = 0.0 if group.prev_at is None else now - group.prev_at
                group.prev, group.prev_at = value, now
                if (
                    group.static
                    and group.last is not None
                    and value == prev
                    and type(value) is type(prev)
                ):
                    continue  # same inputs, same outcomes (a status that stays "ok")
                try:
                    results = group.code(value, prev, age, state.values)
                except Exception:  # one of them failed: find which, one by one
                    results = None
                if results is None or results != group.last:
                    self._settle(state, group, results, value, prev, age, now)
        except Exception:  # a bug here must not cost the report its heartbeat
            log.exception("evaluating the monitors of %s failed", state.id)

    def _settle(
        self,
        state: AxonState,
        group: WidgetRules,
        results: tuple[Any, ...] | None,
        value: Scalar,
        prev: Scalar,
        age: float,
        now: float,
    ) -> None:
        """Some outcome changed (or failed): run each monitor's state machine."""
        names: dict[str, Any] = {"value": value, "prev": prev, "age": age}
        for name in group.extra:
            names[name] = state.values.get(name)
        group.last = results
        recover_at = len(group.rules)
        for i, rule in enumerate(group.rules):
            rs = self.states.setdefault((state.id, rule.key), RuleState())
            rs.value, rs.evaluated_at = value, now
            try:
                if results is not None:
                    cond = bool(results[i])
                    recovered = bool(results[recover_at]) if rule.recover else None
                else:
                    if any(names.get(n) is None for n in rule.reads):
                        continue  # a widget it reads has not reported yet
                    cond = bool(rule.condition.evaluate(names))
                    recovered = bool(rule.recover.evaluate(names)) if rule.recover else None
            except ExpressionError as exc:
                self._error(rule, rs, exc.message, now)
                continue
            finally:
                if rule.recover:
                    recover_at += 1
            if rs.error is not None:
                self._error(rule, rs, None, now)
            self._apply(state, rule, rs, cond, recovered, value, now)

    def _apply(
        self,
        state: AxonState,
        rule: Rule,
        rs: RuleState,
        cond: bool,
        recovered: bool | None,
        value: Scalar,
        now: float,
    ) -> None:
        ident = (state.id, rule.key)
        m = rule.monitor
        if rs.status == "firing":
            if (recovered if recovered is not None else not cond) and rs.alert_id is not None:
                why = "the recover expression holds" if rule.recover else "the condition cleared"
                self._book.move(rs.alert_id, "firing", "resolved", f"{why} (value {value!r})", now)
                rs.status, rs.alert_id, rs.since = "ok", None, now
        elif rs.status == "pending":
            if not cond and rs.alert_id is not None:
                self._book.move(
                    rs.alert_id, "pending", "ok", f"cleared before {m.for_seconds:g}s", now
                )
                rs.status, rs.alert_id, rs.since = "ok", None, now
                self._due.pop(ident, None)
            elif now >= rs.since + m.for_seconds:
                self._fire(rule, rs, now)
        elif cond:
            to = "firing" if m.for_seconds <= 0 else "pending"
            rs.alert_id = self._book.open(
                axon_id=state.id,
                key=rule.key,
                widget_id=rule.widget_id,
                severity=m.severity,
                condition=m.condition,
                message=render(m.message or m.condition, value, rule.label, _axon_name(state)),
                state=to,
                reason=f"{m.condition} holds (value {value!r})",
                value=value,
                now=now,
            )
            rs.status, rs.since = to, now
            if to == "pending":
                self._due[ident] = now + m.for_seconds

    def _fire(self, rule: Rule, rs: RuleState, now: float) -> None:
        self._due.pop((rule.axon_id, rule.key), None)
        if rs.alert_id is None:
            return
        held = f"held for {rule.monitor.for_seconds:g}s"
        self._book.move(rs.alert_id, "pending", "firing", held, now)
        rs.status, rs.since = "firing", now

    def _error(self, rule: Rule, rs: RuleState, message: str | None, now: float) -> None:
        if rs.error == message:
            return
        rs.error = message
        self._book.note_error(rule.axon_id, rule.key, rs.alert_id, message, now)
        if message is not None:
            log.info("monitor %s/%s is in error: %s", rule.axon_id, rule.key, message)

    # -- the step ----------------------------------------------------------------------
    def step(self) -> bool:
        """Fire every pending alert whose ``for`` window has passed. True if any did."""
        now = self._clock.now()
        due = [ident for ident, at in self._due.items() if at <= now]
        for ident in due:
            rs, rule = self.states.get(ident), self.rules.get(ident)
            if rs is not None and rule is not None and rs.status == "pending":
                self._fire(rule, rs, now)
            else:
                self._due.pop(ident, None)
        return bool(due)

    # -- compiling ---------------------------------------------------------------------
    def _rebuild(self, state: AxonState, now: float) -> AxonRules:
        old = self._axons.get(state.id)
        rules = AxonRules(effective=state.effective)
        wanted: dict[str, Rule] = {}
        if state.effective is not None:
            ids = frozenset(w.id for w in state.effective.axon.widgets)
            for widget in state.effective.axon.widgets:
                built = [
                    r
                    for i, m in enumerate(widget.monitors)
                    if (r := self._compile(state.id, widget.id, widget.label, i, m, ids))
                ]
                if built:
                    exprs = [r.condition for r in built] + [r.recover for r in built if r.recover]
                    extra = set().union(*(e.names for e in exprs)) - _BASE - _FUNCTIONS
                    names = tuple(sorted(extra))
                    group = WidgetRules(rules=built, code=compile_group(exprs, names), extra=names)
                    group.static = not names and not any("age" in e.names for e in exprs)
                    if old is not None and widget.id in old.widgets:  # keep ``prev`` and ``age``
                        group.prev = old.widgets[widget.id].prev
                        group.prev_at = old.widgets[widget.id].prev_at
                    rules.widgets[widget.id] = group
                    wanted.update({r.key: r for r in built})
        # monitors that changed or disappeared: close their open alerts
        for (axon_id, key), rule in list(self.rules.items()):
            if axon_id != state.id:
                continue
            new = wanted.get(key)
            if new is None or new.signature != rule.signature:
                self._close(axon_id, key, now)
                del self.rules[(axon_id, key)]
        for key, rule in wanted.items():
            self.rules[(state.id, key)] = rule
        self._axons[state.id] = rules
        return rules

    def _close(self, axon_id: str, key: str, now: float) -> None:
        rs = self.states.pop((axon_id, key), None)
        self._due.pop((axon_id, key), None)
        if rs is not None and rs.alert_id is not None and rs.status in ("pending", "firing"):
            to = "resolved" if rs.status == "firing" else "ok"
            self._book.move(rs.alert_id, rs.status, to, "the monitor was changed or removed", now)

    @staticmethod
    def _compile(
        axon_id: str, widget_id: str, label: str, index: int, m: Monitor, ids: frozenset[str]
    ) -> Rule | None:
        try:
            cond = compile_expression(check_condition(m.condition, widget_ids=ids))
            recover = None
            if m.recover is not None:
                text = numeric_recover(m.condition, m.recover) or m.recover
                recover = compile_expression(check_condition(text, widget_ids=ids))
        except ValidationError as exc:  # validated at registration; a stored old one may not be
            log.warning("monitor %s/%s/%d is not usable: %s", axon_id, widget_id, index, exc)
            return None
        return Rule(
            key=f"{widget_id}/{index}",
            axon_id=axon_id,
            widget_id=widget_id,
            label=label or widget_id,
            monitor=m,
            condition=cond,
            recover=recover,
        )

    # -- queries -----------------------------------------------------------------------
    def monitor_states(self, axon_id: str | None = None) -> list[dict[str, Any]]:
        out = []
        for (a, key), rule in sorted(self.rules.items()):
            if axon_id is not None and a != axon_id:
                continue
            rs = self.states.get((a, key), RuleState())
            out.append(
                {
                    "axon_id": a,
                    "key": key,
                    "widget_id": rule.widget_id,
                    "condition": rule.monitor.condition,
                    "recover": rule.monitor.recover,
                    "severity": rule.monitor.severity,
                    "for": rule.monitor.for_seconds,
                    "state": "error" if rs.error else rs.status,
                    "alert_state": rs.status,
                    "error": rs.error,
                    "alert_id": rs.alert_id,
                    "value": rs.value,
                    "evaluated_at": rs.evaluated_at,
                }
            )
        return out

    def prepare(self, state: AxonState) -> None:
        """Compile an axon's rules now (after a registration or an override), not at its next
        report, so a changed monitor closes its alert at once."""
        self._rebuild(state, self._clock.now())


def render(message: str, value: Any, label: str, axon: str) -> str:
    """Fill ``{value}``, ``{label}`` and ``{axon}`` — plain replacement, never ``str.format``."""
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return (
        message.replace("{value}", shown[:100])
        .replace("{label}", label)
        .replace("{axon}", axon)[:512]
    )


def _axon_name(state: AxonState) -> str:
    if state.effective is not None and state.effective.axon.name:
        return state.effective.axon.name
    return state.id
