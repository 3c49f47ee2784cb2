"""Alerts: stored episodes and transitions, the built-in offline alert, and the dispatcher.

``AlertBook`` writes every state change as an ``AlertEventRow`` (from, to, reason, time). The
monitor engine (``hub.monitors``) and liveness (the built-in *offline* alert) drive it.

``Alerts.step()`` is the dispatcher, a step the runtime calls every second and tests call after
moving the clock. It turns the transitions that should reach a person (to ``firing``, to
``resolved``) into outbox rows, with storm prevention:

* **one notification per transition**, and never twice: the events are marked ``dispatched``
  by a conditional update in the same transaction that writes the notification, so a restart
  resends nothing that went out;
* **grouping**: it waits until the oldest undispatched transition is ``alert_group_window``
  seconds old, then sends everything gathered as one message;
* **silences and maintenance** hold a firing alert's notification back (the reason is stored;
  its resolution is then not sent either); once the hold ends, a still-firing alert is sent;
* **inhibition**: while an axon's ``parent`` is offline, its children's new alerts are held
  back and summarised in one line ("12 alerts held back: their parent host-1 is offline");
* **reminders** for alerts still firing, every ``alert_repeat_interval`` seconds, grouped.

The global token bucket on what leaves is in ``hub.notify.Delivery``.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, col, select

from hub.alert_models import AlertEventRow, AlertRow, NotificationRow
from hub.clock import Clock
from hub.errors import NotFoundError, StorageError
from hub.events import Event, EventBus
from hub.maintenance import Maintenance
from hub.registry import AxonState, Registry
from hub.silences import Silences
from hub.storage import Storage

log = logging.getLogger(__name__)

NOTIFY_STATES = frozenset({"firing", "resolved"})
OPEN_STATES = ("pending", "firing")
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2, "critical": 3}
#: the most lines one grouped message lists before it summarises the rest
MAX_LINES = 20


class AlertView(BaseModel):
    id: int
    axon_id: str
    key: str
    widget_id: str | None
    severity: str
    condition: str
    message: str
    state: str
    started_at: float
    fired_at: float | None
    ended_at: float | None
    value: str | None
    notified: bool
    held: str | None


class AlertEventView(BaseModel):
    id: int
    alert_id: int
    axon_id: str
    key: str
    from_state: str
    to_state: str
    reason: str
    at: float
    dispatched: bool
    outcome: str | None
    notification_id: int | None


class AlertBook:
    """Alert rows and their transitions (written at once: transitions are rare)."""

    def __init__(self, storage: Storage, events: EventBus) -> None:
        self._storage = storage
        self._events = events

    def open(
        self,
        *,
        axon_id: str,
        key: str,
        widget_id: str | None,
        severity: str,
        condition: str,
        message: str,
        state: str,
        reason: str,
        value: Any,
        now: float,
    ) -> int:
        row = AlertRow(
            axon_id=axon_id,
            key=key,
            widget_id=widget_id,
            severity=severity,
            condition=condition,
            message=message,
            state=state,
            started_at=now,
            fired_at=now if state == "firing" else None,
            value=None if value is None else str(value)[:200],
        )
        with self._storage.session() as session:
            session.add(row)
            session.flush()
            assert row.id is not None  # noqa: S101 (flush assigns it)
            self._event(session, row, "ok", state, reason, now)
        return row.id

    def move(self, alert_id: int, old: str, to: str, reason: str, now: float) -> None:
        with self._storage.session() as session:
            row = session.get(AlertRow, alert_id)
            if row is None or row.state != old:
                log.warning("alert %s is not %s; not moving it to %s", alert_id, old, to)
                return
            row.state = to
            if to == "firing":
                row.fired_at = now
            if to in ("resolved", "ok"):
                row.ended_at = now
                row.next_reminder_at = None
            session.add(row)
            self._event(session, row, old, to, reason, now)

    def note_error(
        self, axon_id: str, key: str, alert_id: int | None, message: str | None, now: float
    ) -> None:
        """A monitor started (``message``) or stopped (None) failing at run time."""
        with self._storage.session() as session:
            session.add(
                AlertEventRow(
                    alert_id=alert_id or 0,
                    axon_id=axon_id,
                    key=key,
                    from_state="evaluating" if message else "error",
                    to_state="error" if message else "evaluating",
                    reason=(message or "the monitor evaluates again")[:300],
                    at=now,
                    dispatched=True,
                    outcome="not notified (errors are shown, not sent)",
                )
            )
        self._events.emit(Event("monitor_error", axon_id, now, {"key": key, "error": message}))

    def open_alerts(self) -> list[AlertRow]:
        with self._storage.session() as session:
            return list(session.exec(select(AlertRow).where(col(AlertRow.state).in_(OPEN_STATES))))

    def _event(
        self, session: Session, row: AlertRow, old: str, to: str, reason: str, now: float
    ) -> None:
        session.add(
            AlertEventRow(
                alert_id=row.id or 0,
                axon_id=row.axon_id,
                key=row.key,
                from_state=old,
                to_state=to,
                reason=reason[:300],
                at=now,
                dispatched=to not in NOTIFY_STATES,
            )
        )
        self._events.emit(
            Event("alert", row.axon_id, now, {"id": row.id, "key": row.key, "from": old,
                                              "to": to, "reason": reason[:300]})
        )  # fmt: skip


class Alerts:
    def __init__(
        self,
        storage: Storage,
        registry: Registry,
        clock: Clock,
        book: AlertBook,
        silences: Silences,
        maintenance: Maintenance,
        *,
        group_window: float,
        repeat_interval: float,
    ) -> None:
        self._storage = storage
        self._registry = registry
        self._clock = clock
        self.book = book
        self._silences = silences
        self._maintenance = maintenance
        self.group_window = group_window
        self.repeat_interval = repeat_interval
        self._offline: dict[str, int] = {}

    def load(self) -> None:
        self._offline = {
            r.axon_id: r.id for r in self.book.open_alerts() if r.key == "offline" and r.id
        }

    # -- the built-in offline alert (a liveness listener) -----------------------------------
    def status_changed(self, state: AxonState, _old: str, reason: str) -> None:
        now = self._clock.now()
        if state.status == "offline" and state.id not in self._offline:
            name = _name(state)
            self._offline[state.id] = self.book.open(
                axon_id=state.id,
                key="offline",
                widget_id=None,
                severity="error",
                condition="",
                message=f"{name} is offline",
                state="firing",
                reason=reason,
                value=None,
                now=now,
            )
        elif state.status == "online" and state.id in self._offline:
            self.book.move(self._offline.pop(state.id), "firing", "resolved", reason, now)

    # -- the dispatcher ------------------------------------------------------------------
    def step(self) -> bool:
        """Turn due transitions into notifications, and send reminders. True if it did work."""
        now = self._clock.now()
        released = self._release_held(now)
        sent = self._dispatch(now)
        reminded = self._remind(now)
        return released or sent or reminded

    def _dispatch(self, now: float) -> bool:
        with self._storage.session() as session:
            events = session.exec(
                select(AlertEventRow)
                .where(col(AlertEventRow.dispatched).is_(False))
                .order_by(col(AlertEventRow.id))
                .limit(5000)
            ).all()
            if not events or now - events[0].at < self.group_window:
                return False
            ids = {e.alert_id for e in events}
            alerts = {
                a.id: a for a in session.exec(select(AlertRow).where(col(AlertRow.id).in_(ids)))
            }
            outcomes: dict[int, str] = {}
            lines: list[tuple[AlertRow, str]] = []
            held_by_parent: Counter[str] = Counter()
            for event in events:
                assert event.id is not None  # noqa: S101
                alert = alerts.get(event.alert_id)
                if alert is None:
                    outcomes[event.id] = "quiet (no such alert)"
                elif event.to_state == "firing" and alert.state != "firing":
                    outcomes[event.id] = "quiet (resolved within the group window)"
                elif event.to_state == "firing":
                    why = self.hold_reason(alert, now)
                    if why is not None:
                        outcomes[event.id] = why
                        alert.held = why
                        if why.startswith("parent "):
                            held_by_parent[why.split()[1]] += 1
                    else:
                        outcomes[event.id] = "notified"
                        alert.notified, alert.held = True, None
                        if self.repeat_interval > 0 and alert.state == "firing":
                            alert.next_reminder_at = now + self.repeat_interval
                        lines.append((alert, "firing"))
                elif alert.notified:
                    outcomes[event.id] = "notified"
                    lines.append((alert, "resolved"))
                else:
                    outcomes[event.id] = "quiet (its firing was not sent)"
                if alert is not None:
                    session.add(alert)
            notification_id = None
            if lines or held_by_parent:
                notification = self._message(lines, held_by_parent, now)
                session.add(notification)
                session.flush()
                notification_id = notification.id
            for event_id, outcome in outcomes.items():
                result = session.execute(
                    update(AlertEventRow)
                    .where(
                        col(AlertEventRow.id) == event_id, col(AlertEventRow.dispatched).is_(False)
                    )
                    .values(dispatched=True, outcome=outcome[:64], notification_id=notification_id)
                )
                if not getattr(result, "rowcount", 0):  # someone else dispatched it: undo all
                    raise StorageError("an alert transition was dispatched twice; rolled back")
        return True

    def _release_held(self, now: float) -> bool:
        """Firing alerts held back by a silence, maintenance or an offline parent that has
        ended: queue a transition so they are sent after all."""
        with self._storage.session() as session:
            held = session.exec(
                select(AlertRow).where(
                    AlertRow.state == "firing",
                    col(AlertRow.notified).is_(False),
                    col(AlertRow.held).is_not(None),
                )
            ).all()
            released = False
            for alert in held:
                if self.hold_reason(alert, now) is None:
                    session.add(
                        AlertEventRow(
                            alert_id=alert.id or 0,
                            axon_id=alert.axon_id,
                            key=alert.key,
                            from_state="firing",
                            to_state="firing",
                            reason=f"still firing after the hold ({alert.held}) ended",
                            at=now,
                        )
                    )
                    alert.held = None
                    session.add(alert)
                    released = True
        return released

    def _remind(self, now: float) -> bool:
        if self.repeat_interval <= 0:
            return False
        with self._storage.session() as session:
            due = session.exec(
                select(AlertRow).where(
                    AlertRow.state == "firing",
                    col(AlertRow.notified).is_(True),
                    col(AlertRow.next_reminder_at) <= now,
                )
            ).all()
            if not due:
                return False
            lines = []
            for alert in due:
                alert.next_reminder_at = now + self.repeat_interval
                session.add(alert)
                if self.hold_reason(alert, now) is None:
                    lines.append((alert, "still firing"))
            if lines:
                notification = self._message(lines, Counter(), now, kind="reminder")
                session.add(notification)
        return True

    def hold_reason(self, alert: AlertRow, now: float) -> str | None:
        """Why a firing alert must not be sent now, or None."""
        if self._maintenance.active(alert.axon_id, now):
            return "maintenance"
        silence = self._silences.match(alert.axon_id, alert.widget_id or "", alert.severity, now)
        if silence is not None:
            return f"silence #{silence.id}"
        state = self._registry.get(alert.axon_id)
        parent_id = state.effective.axon.parent if state and state.effective else None
        if parent_id and parent_id != alert.axon_id:
            parent = self._registry.get(parent_id)
            if parent is not None and parent.status == "offline":
                return f"parent {parent_id} offline"
        return None

    def _message(
        self,
        lines: list[tuple[AlertRow, str]],
        held_by_parent: Counter[str],
        now: float,
        kind: str = "alert",
    ) -> NotificationRow:
        severities = [a.severity for a, _ in lines] or ["warning"]
        severity = max(severities, key=lambda s: SEVERITY_RANK.get(s, 0))
        axons = sorted({a.axon_id for a, _ in lines})
        tags: set[str] = set()
        for axon_id in axons:
            state = self._registry.get(axon_id)
            if state is not None and state.effective is not None:
                tags.update(state.effective.axon.tags)
        text = [f"[{what.upper()}] {a.axon_id}: {a.message}" for a, what in lines[:MAX_LINES]]
        if len(lines) > MAX_LINES:
            text.append(f"… and {len(lines) - MAX_LINES} more")
        for parent, count in sorted(held_by_parent.items()):
            text.append(f"{count} alert(s) held back: their parent {parent} is offline")
        if len(lines) == 1 and not held_by_parent:
            alert, what = lines[0]
            title = f"[{what.upper()}] {alert.message}"[:250]
        else:
            counts = Counter(what for _, what in lines)
            parts = [f"{n} {what}" for what, n in sorted(counts.items())]
            parts += [f"{n} held back" for n in [sum(held_by_parent.values())] if n]
            title = f"Synapse: {', '.join(parts)}"
        return NotificationRow(
            kind=kind,
            title=title,
            body="\n".join(text),
            severity=severity,
            tags=sorted(tags),
            axon_id=axons[0] if len(axons) == 1 else None,
            created_at=now,
            next_attempt_at=now,
        )

    # -- queries -------------------------------------------------------------------------
    def get(self, alert_id: int) -> AlertView:
        with self._storage.session() as session:
            row = session.get(AlertRow, alert_id)
        if row is None:
            raise NotFoundError(f"there is no alert {alert_id}")
        return AlertView.model_validate(row.model_dump())

    def events(
        self, alert_id: int | None = None, axon_id: str | None = None, limit: int = 200
    ) -> list[AlertEventView]:
        query = select(AlertEventRow).order_by(col(AlertEventRow.id).desc()).limit(limit)
        if alert_id is not None:
            query = query.where(AlertEventRow.alert_id == alert_id)
        if axon_id is not None:
            query = query.where(AlertEventRow.axon_id == axon_id)
        with self._storage.session() as session:
            return [AlertEventView.model_validate(r.model_dump()) for r in session.exec(query)]

    # last in the class: its name would shadow ``list`` in the annotations below it
    def list(
        self, axon_id: str | None = None, state: str | None = None, limit: int = 100
    ) -> list[AlertView]:
        query = select(AlertRow).order_by(col(AlertRow.id).desc()).limit(limit)
        if axon_id is not None:
            query = query.where(AlertRow.axon_id == axon_id)
        if state is not None:
            query = query.where(AlertRow.state == state)
        with self._storage.session() as session:
            return [AlertView.model_validate(r.model_dump()) for r in session.exec(query)]


def _name(state: AxonState) -> str:
    if state.effective is not None and state.effective.axon.name:
        return state.effective.axon.name
    return state.id
