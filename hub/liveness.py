"""Online while reports arrive within the effective TTL; offline when silent past it, or at once
when the axon (or its last will) says ``offline``.

Every change is a ``TransitionRow`` with a reason. The sweep is ``step()``: the runtime calls it
every ``liveness_interval`` seconds, tests call it after moving a ``ManualClock``. After a hub
restart the hub's own downtime is one ``HubEventRow`` and every axon that was online gets a full
TTL from the restart, so the hub's absence never mass-flips axons offline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from hub.clock import Clock
from hub.models import AxonRow, HubEventRow, MetaRow, TransitionRow
from hub.registry import AxonState, Registry
from hub.storage import Storage

log = logging.getLogger(__name__)

LAST_ALIVE_KEY = "hub_last_alive_at"

#: called after each status change: (axon state, old status, reason)
StatusListener = Callable[[AxonState, str, str], None]


class Liveness:
    def __init__(self, storage: Storage, registry: Registry, clock: Clock) -> None:
        self._storage = storage
        self._registry = registry
        self._clock = clock
        #: when each online axon turns offline unless it reports again
        self._due: dict[str, float] = {}
        self.listeners: list[StatusListener] = []
        #: (axon id, now) → True while silence must not turn it offline (maintenance)
        self.holds: Callable[[str, float], bool] = lambda _axon_id, _now: False

    def seen(self, state: AxonState, now: float, reason: str) -> None:
        """A fresh heartbeat: push the deadline, and come online if not already."""
        state.last_seen_at = now
        self._due[state.id] = now + state.ttl
        if state.status != "online":
            self._transition(state, "online", reason, now)

    def went_offline(self, state: AxonState, reason: str) -> None:
        self._due.pop(state.id, None)
        if state.status != "offline":
            self._transition(state, "offline", reason, self._clock.now())

    def ttl_changed(self, state: AxonState) -> None:
        if state.id in self._due and state.last_seen_at is not None:
            self._due[state.id] = state.last_seen_at + state.ttl

    def due_at(self, axon_id: str) -> float | None:
        return self._due.get(axon_id)

    def restart_ttl(self, state: AxonState, now: float) -> None:
        """A full TTL from ``now`` (maintenance ended), so there is no false offline after it."""
        if state.id in self._due or state.status == "online":
            self._due[state.id] = now + state.ttl

    def step(self) -> bool:
        """Mark every axon silent past its TTL offline. True if any was."""
        now = self._clock.now()
        expired = [
            axon_id
            for axon_id, due in self._due.items()
            if due <= now and not self.holds(axon_id, now)
        ]
        if not expired:
            return False
        # one transaction for the whole sweep, listeners included (see Storage.session)
        with self._storage.session():
            for axon_id in expired:
                state = self._registry.get(axon_id)
                self._due.pop(axon_id, None)
                if state is not None and state.status == "online":
                    reason = f"silent for more than {state.ttl}s (TTL)"
                    self._transition(state, "offline", reason, now)
        return True

    def resume(self) -> None:
        """At hub start: record the downtime as one event and give online axons a fresh TTL."""
        now = self._clock.now()
        with self._storage.session() as session:
            meta = session.get(MetaRow, LAST_ALIVE_KEY)
            if meta is not None:
                since = float(meta.value)
                session.add(
                    HubEventRow(
                        kind="hub_down",
                        detail=f"hub was not running for {now - since:.0f}s",
                        at=since,
                        until=now,
                    )
                )
            session.add(HubEventRow(kind="hub_start", at=now))
        for state in self._registry.all():
            if state.status == "online":
                self._due[state.id] = now + state.ttl
        self.mark_alive()

    def mark_alive(self) -> None:
        """Remember that the hub was running now (to measure the next downtime)."""
        with self._storage.session() as session:
            row = session.get(MetaRow, LAST_ALIVE_KEY) or MetaRow(key=LAST_ALIVE_KEY, value="")
            row.value = repr(self._clock.now())
            session.add(row)

    def _transition(self, state: AxonState, to: str, reason: str, now: float) -> None:
        old = state.status
        with self._storage.session() as session:
            row = session.get(AxonRow, state.id)
            if row is not None:
                row.status = to
                row.status_since = now
                row.last_seen_at = state.last_seen_at
                row.offline_due_at = self._due.get(state.id)
                session.add(row)
            session.add(
                TransitionRow(
                    axon_id=state.id, from_state=old, to_state=to, reason=reason[:200], at=now
                )
            )
        state.status = to
        state.status_since = now
        log.info("axon %s is %s (%s)", state.id, to, reason)
        for listener in self.listeners:
            listener(state, old, reason)
