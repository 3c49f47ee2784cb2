"""Leases: an axon asks "may I start this heavy job now?" and the hub answers from the quiet state.

``decide`` (``hub.lease_policy``) is the policy, pure: a request, the active leases, the quiet state and the limits in,
a verdict out. Checks in order, the first that fails is the reason given:

1. PANIC: hard deny, whatever the priority ("System is in PANIC: …").
2. The cool-down after a PANIC: hard deny ("Recent PANIC detected; cooling down").
3. Not QUIET: soft deny unless the priority is HIGH ("System is BUSY; waiting for QUIET").
4. The global and the per-axon cap on active leases.
5. One active lease per constraint (two ``disk_write_heavy`` jobs at once thrash one disk).
6. Capacity: ``used + requested <= capacity``, where capacity is ``capacity_units`` scaled by
   the quiet score above the headroom kept for everything else on the host.

``Leases`` is the lifecycle around it, one ``LeaseRow`` per request (a transition is an update
of its state, a deadline its ``due_at``) and one ``LeaseEventRow`` per decision:
queued → active → released | expired | revoked, or denied / cancelled. ``step()`` expires leases
without heartbeat and queued intents past their wait, then re-evaluates the queue (also run when
a lease ends and when the quiet state improves). Queued intents are rows, so a restart keeps them.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from sqlalchemy import update
from sqlmodel import col, func, select

from hub.clock import Clock
from hub.errors import ConflictError, LeaseError, NotFoundError, ValidationError
from hub.events import Event, EventBus
from hub.lease_models import LeaseEventRow, LeaseRow
from hub.lease_policy import (
    PRIORITY_RANK,
    LeaseLimits,
    LeaseRequest,
    LeaseView,
    Verdict,
    decide,
    lease_limits,
    next_end,
)
from hub.ports import Inbound, Publisher
from hub.quiet import QuietLevel, QuietTracker
from hub.registry import AxonState, Registry
from hub.schema import parse_model
from hub.storage import Storage
from hub.topics import Kind, ParsedTopic, Topics
from hub.values import decode_json

__all__ = ["LeaseLimits", "LeaseRequest", "LeaseView", "Leases", "decide", "lease_limits"]

log = logging.getLogger(__name__)

ENDED = frozenset({"released", "expired", "revoked"})


class Leases:
    def __init__(
        self,
        storage: Storage,
        registry: Registry,
        clock: Clock,
        topics: Topics,
        events: EventBus,
        quiet: QuietTracker,
        limits: LeaseLimits,
    ) -> None:
        self._storage = storage
        self._registry = registry
        self._clock = clock
        self._topics = topics
        self._events = events
        self.quiet = quiet
        self.limits = limits
        self.publisher: Publisher | None = None
        quiet.listeners.append(self._quiet_changed)

    # -- requests --------------------------------------------------------------------------
    def request(self, data: Any, *, via: str = "http") -> LeaseView:
        """Decide on a request (a dict as sent); raise ValidationError with a sentence."""
        request = parse_model(LeaseRequest, data, what="the lease request")
        axon = self._registry.get(request.axon_id)
        if axon is None or axon.approval != "approved":
            status = axon.approval if axon is not None else "unknown"
            raise ConflictError(f"axon {request.axon_id!r} is {status}; it cannot hold leases")
        now = self._clock.now()
        if request.idempotency_key is not None:
            earlier = self._by_key(request.axon_id, request.idempotency_key)
            if earlier is not None and self._still_stands(earlier, now):
                return self.view(earlier)
        verdict = decide(
            request, self._active(), self.quiet.state, self._cooldown(), self.limits, now
        )
        row = LeaseRow(
            lease_id=uuid.uuid4().hex,
            axon_id=request.axon_id,
            job_type=request.job_type,
            cost_units=request.cost_units or 0,
            priority=request.priority,
            constraints=request.constraints,
            expected_duration_sec=request.expected_duration_sec,
            idempotency_key=request.idempotency_key,
            state="denied",
            reason=verdict.reason,
            via=via,
            request_id=request.request_id,
            requested_at=now,
        )
        if verdict.approved and (ahead := self._waiting_ahead(request, now)):
            verdict = Verdict(
                False,
                f"{ahead} earlier request(s) of the same or higher priority are waiting",
                next_end(self._active(), now, self.limits),
            )
        if verdict.approved:
            self._grant(row, now)
        elif request.wait and verdict.retry_after is not None and not self._hard(verdict):
            row.state = "queued"
            row.reason = f"Queued: {verdict.reason}"
            row.due_at = now + request.wait_timeout_sec
        else:
            row.retry_after_sec = verdict.retry_after
        with self._storage.session() as session:
            session.add(row)
        self._record(row, {"active": "grant", "queued": "queue"}.get(row.state, "deny"))
        return self.view(row)

    def _waiting_ahead(self, request: LeaseRequest, now: float) -> int:
        """Queued intents of at least this priority still blocked for everyone: a new request
        does not overtake them (fairness), unless it would not be blocked by them anyway."""
        rank = PRIORITY_RANK[request.priority]
        blocked = 0
        active = self._active()
        for row in self._queued_rows():
            if PRIORITY_RANK[row.priority] < rank:
                continue
            verdict = decide(
                self._as_request(row), active, self.quiet.state, self._cooldown(), self.limits, now
            )
            blocked += not verdict.approved and verdict.global_
        return blocked

    @staticmethod
    def _as_request(row: LeaseRow) -> LeaseRequest:
        return LeaseRequest.model_validate(
            {"axon_id": row.axon_id, "job_type": row.job_type, "cost_units": row.cost_units,
             "priority": row.priority, "constraints": row.constraints or []}
        )  # fmt: skip

    def _queued_rows(self) -> list[LeaseRow]:
        with self._storage.session() as session:
            rows = session.exec(select(LeaseRow).where(LeaseRow.state == "queued")).all()
        return sorted(rows, key=lambda r: (-PRIORITY_RANK[r.priority], r.requested_at))

    def _hard(self, verdict: Verdict) -> bool:
        """PANIC and its cool-down deny at once even with ``wait``: they last long."""
        return verdict.reason.startswith(("System is in PANIC", "Recent PANIC"))

    def _still_stands(self, row: LeaseRow, now: float) -> bool:
        if row.state in ("active", "queued") or row.state in ENDED:
            return True
        return row.state == "denied" and now < row.requested_at + (row.retry_after_sec or 0)

    def _grant(self, row: LeaseRow, now: float) -> None:
        row.state = "active"
        row.granted_at = now
        row.last_heartbeat_at = now
        row.due_at = now + self.limits.heartbeat_ttl
        row.retry_after_sec = None

    # -- lifecycle -------------------------------------------------------------------------
    def heartbeat(self, axon_id: str, lease_id: str) -> LeaseView:
        now = self._clock.now()
        row = self._change(
            axon_id, lease_id, ("active",), {"last_heartbeat_at": now,
                                             "due_at": now + self.limits.heartbeat_ttl}
        )  # fmt: skip
        return self.view(row)

    def progress(self, axon_id: str, lease_id: str, progress: Any) -> LeaseView:
        if not isinstance(progress, dict):
            progress = {"progress": progress}
        if len(json.dumps(progress)) > 2048:
            raise ValidationError("progress is too large (max 2048 bytes of JSON)")
        now = self._clock.now()
        row = self._change(
            axon_id, lease_id, ("active",), {"progress": {**progress, "at": now},
                                             "last_heartbeat_at": now,
                                             "due_at": now + self.limits.heartbeat_ttl}
        )  # fmt: skip
        self._events.emit(Event("lease_progress", axon_id, now, {"lease_id": lease_id, **progress}))
        return self.view(row)

    def release(self, axon_id: str, lease_id: str, note: str = "") -> LeaseView:
        """End an active lease (``released``) or withdraw a queued intent (``cancelled``)."""
        now = self._clock.now()
        row = self._find(lease_id, axon_id)
        if row.state == "queued":
            state, reason = "cancelled", "Withdrawn by the axon while queued"
        else:
            state, reason = "released", f"Released by the axon{': ' + note[:200] if note else ''}"
        row = self._change(axon_id, lease_id, ("active", "queued"),
                           {"state": state, "reason": reason, "ended_at": now, "due_at": None})  # fmt: skip
        self._record(row, "release" if state == "released" else "cancel")
        self.step()
        return self.view(row)

    def revoke(self, lease_id: str, reason: str, by: str) -> LeaseView:
        """The hub takes a lease back and tells the axon on ``synapse/lease/{id}/revoke``."""
        now = self._clock.now()
        row = self._find(lease_id)
        why = f"Revoked by {by}: {reason[:200] or 'no reason given'}"
        row = self._change(row.axon_id, lease_id, ("active", "queued"),
                           {"state": "revoked", "reason": why, "ended_at": now, "due_at": None})  # fmt: skip
        self._record(row, "revoke")
        self._announce_end(row)
        self.step()
        return self.view(row)

    def step(self) -> bool:
        """Expire leases without heartbeat and intents past their wait, then grant from the
        queue in order (priority, then age). Returns whether anything changed."""
        now = self._clock.now()
        with self._storage.session() as session:
            due = session.exec(
                select(LeaseRow).where(
                    col(LeaseRow.state).in_(("active", "queued")), col(LeaseRow.due_at) <= now
                )
            ).all()
        changed = False
        for row in due:
            if row.state == "active":
                since = now - (row.last_heartbeat_at or now)
                values = {"state": "expired", "ended_at": now, "due_at": None,
                          "reason": f"Expired: no heartbeat for {since:.0f} s "
                                    f"(ttl {self.limits.heartbeat_ttl:.0f} s)"}  # fmt: skip
                kind = "expire"
            else:
                values = {"state": "cancelled", "ended_at": now, "due_at": None,
                          "reason": f"Waited {now - row.requested_at:.0f} s without a grant"}  # fmt: skip
                kind = "cancel"
            if self._update(row.lease_id, (row.state,), values):
                ended = self._find(row.lease_id)
                self._record(ended, kind)
                self._announce_end(ended)
                changed = True
        return self._drain_queue(now) or changed

    def _drain_queue(self, now: float) -> bool:
        """Grant queued intents in order; a head blocked by the host or by capacity blocks
        everyone behind it (a big job is not starved by a stream of small ones), one blocked
        only by its own axon's cap or a constraint is skipped."""
        granted = False
        for row in self._queued_rows():
            request = self._as_request(row)
            verdict = decide(
                request, self._active(), self.quiet.state, self._cooldown(), self.limits, now
            )
            if not verdict.approved:
                if self._hard(verdict) or verdict.global_:
                    break
                continue
            if self._update(row.lease_id, ("queued",), {"state": "active", "granted_at": now,
                            "last_heartbeat_at": now, "reason": verdict.reason,
                            "due_at": now + self.limits.heartbeat_ttl}):  # fmt: skip
                lease = self._find(row.lease_id)
                self._record(lease, "grant")
                self._publish(lease, "reply")
                granted = True
        return granted

    def _quiet_changed(self, old: QuietLevel, new: QuietLevel) -> None:
        from hub.quiet import ORDER

        if ORDER.index(new) < ORDER.index(old):
            self.step()

    def axon_went_offline(self, state: AxonState, _old: str, _reason: str) -> None:
        """A liveness listener: an axon that dropped withdraws its queued intents."""
        if state.status != "offline":
            return
        with self._storage.session() as session:
            ids = session.exec(
                select(LeaseRow.lease_id).where(
                    LeaseRow.axon_id == state.id, LeaseRow.state == "queued"
                )
            ).all()
        for lease_id in ids:
            values = {"state": "cancelled", "ended_at": self._clock.now(), "due_at": None,
                      "reason": "The axon went offline while queued"}  # fmt: skip
            if self._update(lease_id, ("queued",), values):
                self._record(self._find(lease_id), "cancel")

    # -- MQTT (the ingest handler for synapse/lease/{id}/...) --------------------------------
    def on_message(self, state: AxonState, parsed: ParsedTopic, message: Inbound) -> None:
        verb = parsed.rest
        if verb in ("reply", "revoke"):
            return  # the hub's own answers, echoed back by a broker: not for us
        data = decode_json(message.payload, what=f"the lease {verb or 'message'}")
        if not isinstance(data, dict):
            raise ValidationError(f"a lease {verb or 'message'} must be a JSON object")
        if verb == "request":
            data.setdefault("axon_id", state.id)
            if data["axon_id"] != state.id:
                raise ValidationError("axon_id does not match the topic's axon")
            try:
                view = self.request(data, via="mqtt")
            except (ValidationError, ConflictError) as exc:
                request_id = data.get("request_id")
                self._send(state.id, "reply", {"request_id": request_id, "approved": False,
                                               "error": exc.message, "reason": exc.message})  # fmt: skip
                raise
            self._send(state.id, "reply", view.model_dump())
            return
        lease_id = data.get("lease_id")
        if not isinstance(lease_id, str) or not lease_id:
            raise ValidationError(f"a lease {verb} needs a lease_id")
        try:
            if verb == "heartbeat":
                self.heartbeat(state.id, lease_id)
            elif verb == "progress":
                self.progress(state.id, lease_id, data.get("progress"))
            elif verb == "release":
                self.release(state.id, lease_id, str(data.get("note") or ""))
            else:
                raise ValidationError(
                    f"unknown lease verb {verb[:30]!r} (request, heartbeat, progress, release)"
                )
        except LeaseError as exc:
            # a lease that ended meanwhile: tell the axon so it stops (its job is not covered)
            self._send(state.id, "revoke", {"lease_id": lease_id[:64], "reason": exc.message,
                                            "state": exc.detail})  # fmt: skip

    # -- queries ---------------------------------------------------------------------------
    def get(self, lease_id: str) -> LeaseView:
        return self.view(self._find(lease_id))

    def recent(self, limit: int = 50, axon_id: str | None = None) -> list[LeaseView]:
        query = select(LeaseRow).order_by(col(LeaseRow.requested_at).desc()).limit(limit)
        if axon_id is not None:
            query = query.where(LeaseRow.axon_id == axon_id)
        with self._storage.session() as session:
            return [self.view(r) for r in session.exec(query).all()]

    def queued(self) -> list[LeaseView]:
        return [self.view(r) for r in self._queued_rows()]

    def active(self) -> list[LeaseView]:
        return [self.view(r) for r in self._active()]

    def summary(self) -> list[dict[str, Any]]:
        """Per axon: grants, denies, the last decision's reason."""
        with self._storage.session() as session:
            counts = session.exec(
                select(LeaseEventRow.axon_id, LeaseEventRow.kind, func.count()).group_by(
                    LeaseEventRow.axon_id, LeaseEventRow.kind
                )
            ).all()
            last_ids = session.exec(
                select(func.max(LeaseEventRow.id)).group_by(LeaseEventRow.axon_id)
            ).all()
            last = session.exec(
                select(LeaseEventRow).where(col(LeaseEventRow.id).in_(last_ids))
            ).all()
        out: dict[str, dict[str, Any]] = {}
        for axon_id, kind, count in counts:
            entry = out.setdefault(axon_id, {"axon_id": axon_id, "grants": 0, "denies": 0})
            if kind in ("grant", "deny"):
                entry["grants" if kind == "grant" else "denies"] = count
            entry.setdefault("decisions", {})[kind] = count
        for event in last:
            out[event.axon_id].update(
                last_decision=event.kind, last_reason=event.reason, last_at=event.at
            )
        return sorted(out.values(), key=lambda e: e["axon_id"])

    def events(self, limit: int = 100, lease_id: str | None = None) -> list[dict[str, Any]]:
        query = select(LeaseEventRow).order_by(col(LeaseEventRow.id).desc()).limit(limit)
        if lease_id is not None:
            query = query.where(LeaseEventRow.lease_id == lease_id)
        with self._storage.session() as session:
            return [e.model_dump() for e in session.exec(query).all()]

    def status(self) -> dict[str, Any]:
        active = self._active()
        used = sum(r.cost_units for r in active)
        return {
            "quiet": self.quiet.state.public(),
            "cooldown_sec": round(self._cooldown(), 1),
            "capacity": self.limits.capacity(self.quiet.state.score),
            "used": used,
            "limits": self._limits(),
            "active": [self.view(r).model_dump() for r in active],
            "queued": [v.model_dump() for v in self.queued()],
            "recent": [v.model_dump() for v in self.recent(20)],
        }

    def view(self, row: LeaseRow) -> LeaseView:
        holds = row.state in ("active", "queued") or row.state in ENDED
        return LeaseView(
            approved=row.state == "active",
            lease_id=row.lease_id if holds else None,
            decision_id=row.lease_id,
            state=row.state,
            reason=row.reason,
            retry_after_sec=row.retry_after_sec,
            limits=self._limits(),
            axon_id=row.axon_id,
            job_type=row.job_type,
            cost_units=row.cost_units,
            priority=row.priority,
            constraints=list(row.constraints or []),
            expected_duration_sec=row.expected_duration_sec,
            idempotency_key=row.idempotency_key,
            request_id=row.request_id,
            requested_at=row.requested_at,
            granted_at=row.granted_at,
            last_heartbeat_at=row.last_heartbeat_at,
            ended_at=row.ended_at,
            expires_at=row.due_at,
            progress=row.progress,
        )

    # -- helpers ---------------------------------------------------------------------------
    def _limits(self) -> dict[str, float | int]:
        return {
            "heartbeat_ttl_sec": self.limits.heartbeat_ttl,
            "max_active": self.limits.max_active,
            "max_per_axon": self.limits.max_per_axon,
        }

    def _cooldown(self) -> float:
        return self.quiet.cooling_down(self.limits.panic_cooldown)

    def _active(self) -> list[LeaseRow]:
        with self._storage.session() as session:
            return list(session.exec(select(LeaseRow).where(LeaseRow.state == "active")).all())

    def _by_key(self, axon_id: str, key: str) -> LeaseRow | None:
        with self._storage.session() as session:
            return session.exec(
                select(LeaseRow)
                .where(LeaseRow.axon_id == axon_id, LeaseRow.idempotency_key == key)
                .order_by(col(LeaseRow.requested_at).desc())
            ).first()

    def _find(self, lease_id: str, axon_id: str | None = None) -> LeaseRow:
        with self._storage.session() as session:
            row = session.get(LeaseRow, lease_id[:64])
        if row is None or (axon_id is not None and row.axon_id != axon_id):
            raise NotFoundError(f"there is no lease {lease_id[:64]!r}")
        return row

    def _update(self, lease_id: str, states: tuple[str, ...], values: dict[str, Any]) -> bool:
        """Conditional update: a lease changes only from one of ``states``, exactly once."""
        with self._storage.session() as session:
            result = session.execute(
                update(LeaseRow)
                .where(col(LeaseRow.lease_id) == lease_id, col(LeaseRow.state).in_(states))
                .values(**values)
            )
            return bool(getattr(result, "rowcount", 0))

    def _change(
        self, axon_id: str, lease_id: str, states: tuple[str, ...], values: dict[str, Any]
    ) -> LeaseRow:
        row = self._find(lease_id, axon_id)
        if not self._update(lease_id, states, values):
            raise LeaseError(
                f"lease {lease_id[:64]} is {row.state}, not {' or '.join(states)}: {row.reason}",
                detail=row.state,
            )
        return self._find(lease_id)

    def _record(self, row: LeaseRow, kind: str) -> None:
        quiet = self.quiet.state
        now = self._clock.now()
        event = LeaseEventRow(
            lease_id=row.lease_id, axon_id=row.axon_id, kind=kind, reason=row.reason[:500],
            quiet_level=quiet.level.value, quiet_score=quiet.score, at=now,
        )  # fmt: skip
        with self._storage.session() as session:
            session.add(event)
        self._events.emit(
            Event("lease", row.axon_id, now, {"decision": kind, **self.view(row).model_dump()})
        )
        log.info("lease %s %s for %s: %s", row.lease_id, kind, row.axon_id, row.reason)

    def _announce_end(self, row: LeaseRow) -> None:
        """Tell the axon its lease (or intent) ended without it asking."""
        self._send(row.axon_id, "revoke", {"lease_id": row.lease_id, "reason": row.reason,
                                           "state": row.state})  # fmt: skip

    def _publish(self, row: LeaseRow, verb: str) -> None:
        self._send(row.axon_id, verb, self.view(row).model_dump())

    def _send(self, axon_id: str, verb: str, body: dict[str, Any]) -> None:
        if self.publisher is not None:
            topic = self._topics.build(Kind.LEASE, axon_id, verb)
            self.publisher.publish(topic, json.dumps(body).encode(), qos=1)
