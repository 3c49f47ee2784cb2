"""The hub: the domain's single entry point for transports, the web layer and the CLI.

It wires the parts (registry, liveness, ingest, history, credentials) around one storage and one
clock, and exposes the operations the outside calls. It owns no event loop and no sockets: the
runtime (``synapse.runtime``) drives its ``step`` methods and connects it to a broker.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import tuple_
from sqlmodel import col, select

from hub.alerts import AlertBook, Alerts
from hub.clock import Clock
from hub.commands import Commands, CommandView
from hub.credentials import CredentialStore, load_or_create_key
from hub.errors import AuthError, NotFoundError, ValidationError
from hub.events import Event, EventBus
from hub.history import FlushResult, HistoryWriter
from hub.ingest import Ingest
from hub.leases import Leases, lease_limits
from hub.liveness import Liveness
from hub.maintenance import Maintenance, MaintenanceView
from hub.models import RejectionRow, SampleRow
from hub.monitors import MonitorEngine
from hub.notify import Delivery, Outbox, TokenBucket
from hub.ports import Inbound, Publisher
from hub.recovery import RecoveryKit, kit_for
from hub.registry import AxonState, Registry
from hub.sampler import SystemStats
from hub.settings import Settings
from hub.silences import Silences
from hub.storage import Storage
from hub.topics import Kind, Topics, is_valid_axon_id
from hub.values import decode_json, parse_report
from hub.views import AxonDetail, AxonSummary, RejectionView, detail, rejection, summary

log = logging.getLogger(__name__)


class Hub:
    def __init__(self, settings: Settings, storage: Storage, clock: Clock) -> None:
        self.settings = settings
        self.storage = storage
        self.clock = clock
        self.topics = Topics(settings.topic_prefix)
        storage.create_all()
        self.credentials = CredentialStore(
            storage,
            load_or_create_key(settings.data_dir),
            clock,
            auto_approve=settings.auto_approve,
        )
        self.registry = Registry(storage, clock)
        self.liveness = Liveness(storage, self.registry, clock)
        self.history = HistoryWriter(storage, settings.history_batch_size)
        self.ingest = Ingest(
            topics=self.topics,
            registry=self.registry,
            liveness=self.liveness,
            history=self.history,
            credentials=self.credentials,
            clock=clock,
        )
        self.events = EventBus()
        self.commands = Commands(storage, self.registry, clock, self.topics, self.events)
        self.ingest.handlers[Kind.RESULT] = self.commands.on_result
        self.ingest.events = self.events
        self.liveness.listeners.append(self._status_changed)
        self.liveness.listeners.append(self.commands.axon_went_offline)
        # monitors → alerts → outbox → delivery (hub/monitors.py, alerts.py, notify.py)
        self._wire_alerts(settings, storage, clock)
        # stats → quiet state → leases (hub/sampler.py, hub/quiet.py, hub/leases.py)
        self.system = SystemStats(settings, storage, clock)
        self.quiet = self.system.quiet
        self.leases = Leases(
            storage, self.registry, clock, self.topics, self.events, self.quiet,
            lease_limits(settings),
        )  # fmt: skip
        self.ingest.handlers[Kind.LEASE] = self.leases.on_message
        self.liveness.listeners.append(self.leases.axon_went_offline)

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        """Load state from storage and record the downtime since the last run."""
        self.registry.load()
        self.liveness.resume()
        self._load_alerts()

    def stop(self) -> None:
        """Write everything still buffered and note when the hub stopped."""
        self.flush()
        self.liveness.mark_alive()

    def attach(self, publisher: Publisher) -> None:
        self.ingest.publisher = publisher
        self.commands.publisher = publisher
        self.leases.publisher = publisher

    def _status_changed(self, state: AxonState, old: str, reason: str) -> None:
        self.events.emit(
            Event(
                "status",
                state.id,
                self.clock.now(),
                {"from": old, "to": state.status, "reason": reason},
            )
        )

    # -- inbound (the broker's InboundSink) ----------------------------------------------
    def handle(self, message: Inbound) -> None:
        self.ingest.handle(message)

    def report_http(self, axon_id: str, token: str, body: bytes) -> None:
        """A report from a curl reporter; raises AuthError / ValidationError with a sentence."""
        if not is_valid_axon_id(axon_id):
            raise NotFoundError(f"{axon_id[:70]!r} is not a valid axon id")
        if not self.credentials.verify_or_claim(axon_id, token):
            raise AuthError("the token does not match this axon")
        report = parse_report(body)
        state = self.ingest.state_for(axon_id)
        self.ingest.accept_report(state, report, fresh=True)

    # -- steps the runtime drives ----------------------------------------------------------
    def liveness_step(self) -> bool:
        return self.liveness.step()

    def commands_step(self) -> bool:
        return self.commands.step()

    def alerts_step(self) -> bool:
        """``for`` windows, maintenance ends, then dispatch (grouping, holds, reminders)."""
        fired = self.monitors.step()
        ended = self.maintenance.step()
        return self.alerts.step() or fired or ended

    def delivery_step(self) -> bool:
        """Send due notifications; blocks on the network (the runtime runs it in a thread)."""
        return self.delivery.step()

    def _wire_alerts(self, settings: Settings, storage: Storage, clock: Clock) -> None:
        self.alert_book = AlertBook(storage, self.events)
        self.silences = Silences(storage, clock)
        self.maintenance = Maintenance(storage, self.registry, self.liveness, clock)
        self.alerts = Alerts(
            storage,
            self.registry,
            clock,
            self.alert_book,
            self.silences,
            self.maintenance,
            group_window=settings.alert_group_window,
            repeat_interval=settings.alert_repeat_interval,
        )
        self.monitors = MonitorEngine(self.alert_book, clock)
        self.outbox = Outbox(storage, clock, settings.notify_dedup_window)
        self.delivery = Delivery(
            storage,
            clock,
            self.outbox,
            TokenBucket(settings.notify_burst, settings.notify_rate_per_minute, clock.now()),
            max_attempts=settings.notify_max_attempts,
            retry_delay=settings.notify_retry_delay,
        )
        self.ingest.on_report = self.monitors.on_report
        self.ingest.handlers[Kind.MAINTENANCE] = self.maintenance.on_mqtt
        self.liveness.holds = self.maintenance.holds
        self.liveness.listeners.append(self.alerts.status_changed)

    def _load_alerts(self) -> None:
        self.silences.load()
        self.maintenance.load()
        self.alerts.load()
        self.monitors.load()
        self.outbox.sync_env_channels(self.settings.notify_urls.get_secret_value())

    def maintenance_http(self, axon_id: str, token: str | None, body: bytes) -> MaintenanceView:
        """A window announced over HTTP by the axon itself (its token) or by an admin
        (``token`` None: the web layer checked the API key)."""
        if not is_valid_axon_id(axon_id):
            raise NotFoundError(f"{axon_id[:70]!r} is not a valid axon id")
        if token is not None:
            self.credentials.verify(axon_id, token)
        return self.maintenance.request(axon_id, self.parse_json(body), "http")

    def flush(self) -> FlushResult:
        return self.history.flush()

    # -- queries -----------------------------------------------------------------------
    def axons(self) -> list[AxonSummary]:
        return [summary(s) for s in self.registry.all()]

    def axon(self, axon_id: str) -> AxonDetail:
        state = self.registry.require(axon_id)
        return detail(state, self.registry.transitions(axon_id), self.registry.snapshots(axon_id))

    def snapshot(self, axon_id: str, snapshot_id: int | None = None) -> dict[str, Any]:
        self.registry.require(axon_id)
        for row in self.registry.snapshots(axon_id, limit=1000):
            if snapshot_id is None or row.id == snapshot_id:
                return {"id": row.id, "content_hash": row.content_hash, "payload": row.payload}
        raise NotFoundError(f"axon {axon_id!r} has no snapshot {snapshot_id}")

    def history_of(
        self, axon_id: str, widget_id: str, since: float, limit: int = 1000
    ) -> list[tuple[float, Any]]:
        self.registry.require(axon_id)
        with self.storage.session() as session:
            rows = session.exec(
                select(SampleRow)
                .where(
                    SampleRow.axon_id == axon_id,
                    SampleRow.widget_id == widget_id,
                    SampleRow.ts >= since,
                )
                .order_by(col(SampleRow.ts).desc())
                .limit(limit)
            ).all()
        return [(r.ts, r.num if r.text is None else r.text) for r in reversed(rows)]

    def spark_series(
        self, wanted: dict[str, str | None], since: float, points: int
    ) -> dict[str, dict[str, list[float]]]:
        """Numeric values since ``since`` of one widget per axon (axon id → widget id), thinned
        to at most ``points`` per series: the overview's sparklines, in one indexed query."""
        pairs = [(axon_id, widget_id) for axon_id, widget_id in wanted.items() if widget_id]
        series: dict[str, dict[str, list[float]]] = {}
        if not pairs:
            return series
        with self.storage.session() as session:
            rows = session.exec(
                select(SampleRow.axon_id, SampleRow.widget_id, SampleRow.num)
                .where(
                    tuple_(SampleRow.axon_id, SampleRow.widget_id).in_(pairs),
                    SampleRow.ts >= since,
                    col(SampleRow.num).is_not(None),
                )
                .order_by(col(SampleRow.ts))
            ).all()
        for axon_id, widget_id, num in rows:
            if num is not None:
                series.setdefault(axon_id, {}).setdefault(widget_id, []).append(num)
        for per_axon in series.values():
            for widget_id, values in per_axon.items():
                if len(values) > points:
                    step = len(values) / points
                    per_axon[widget_id] = [values[int(i * step)] for i in range(points)]
        return series

    def errors(self, axon_id: str | None = None, limit: int = 100) -> list[RejectionView]:
        query = select(RejectionRow).order_by(col(RejectionRow.id).desc()).limit(limit)
        if axon_id is not None:
            query = query.where(RejectionRow.axon_id == axon_id)
        with self.storage.session() as session:
            return [rejection(r) for r in session.exec(query).all()]

    # -- commands from people --------------------------------------------------------------
    def patch_overrides(self, axon_id: str, patch: Any) -> AxonDetail:
        state = self.registry.patch_overrides(axon_id, patch)
        self.liveness.ttl_changed(state)
        return self.axon(axon_id)

    def reset_override(self, axon_id: str, path: str) -> AxonDetail:
        state = self.registry.reset_override(axon_id, path)
        self.liveness.ttl_changed(state)
        return self.axon(axon_id)

    def run_action(
        self, axon_id: str, action_id: str, params: Any, requested_by: str
    ) -> CommandView:
        return self.commands.send(axon_id, action_id, params, requested_by)

    def approve(self, axon_id: str) -> AxonDetail:
        self.registry.set_approval(axon_id, "approved", "approved by an admin")
        return self.axon(axon_id)

    def reject(self, axon_id: str) -> AxonDetail:
        self.registry.set_approval(axon_id, "rejected", "rejected by an admin")
        return self.axon(axon_id)

    def mint_axon_token(self, axon_id: str) -> str:
        return self.credentials.mint_axon_token(axon_id)

    def recovery_kit(
        self, axon_id: str, snapshot_id: int | None = None, *, host: str = "localhost"
    ) -> RecoveryKit:
        """The axon regenerated from a snapshot (the definition in force by default)."""
        return kit_for(self.registry, self.settings, axon_id, snapshot_id, host=host)

    def mint_api_key(self, name: str = "admin", role: str = "admin") -> str:
        return self.credentials.mint_api_key(name, role)

    def parse_json(self, body: bytes) -> Any:
        """Decode a request body with the same strictness as MQTT payloads."""
        try:
            return decode_json(body, what="the request body")
        except ValidationError:
            raise
