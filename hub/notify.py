"""Notifications: the outbox, the channels it routes to, and the worker that delivers it.

Everything that should reach a person (an alert transition, a reminder, a script's
``POST /api/v1/notify``, a test) is first a ``NotificationRow`` in the outbox. ``Delivery.step``
is the worker: it takes due rows, routes each to the channels whose severities and tags match,
sends through a ``Notifier`` (apprise, imported only here, only when something is sent) and
stores every attempt with its outcome. A failed channel is retried with exponential backoff; a
channel that already took a notification is never sent it again, so a restart mid-delivery only
retries what did not go out. A global token bucket bounds how many notifications leave per
minute; what waits for a token stays queued. ``step`` blocks on the network: the runtime runs it
in a worker thread, never on the loop that ingests reports.

Channels are apprise URLs. They carry secrets (tokens, passwords), so the API shows only the
scheme (``json://…``), never the URL. ``SYNAPSE_NOTIFY_URLS`` adds channels at start.
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from sqlalchemy import update
from sqlmodel import col, select

from hub.alert_models import ChannelRow, DeliveryAttemptRow, NotificationRow
from hub.clock import Clock
from hub.errors import NotFoundError, NotifyError, ValidationError
from hub.schema import Tag, parse_model
from hub.storage import Storage

log = logging.getLogger(__name__)

Severity = Literal["info", "warning", "error", "critical"]
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2, "critical": 3}
URL_PATTERN = r"^[a-z][a-z0-9+]{1,31}://\S+$"
_SPLIT_URLS = re.compile(r"[\s,]+(?=[a-z][a-z0-9+]{1,31}://)")
#: most rows one delivery step takes
BATCH = 20


class Notifier(Protocol):
    def send(self, url: str, title: str, body: str, severity: str) -> None:
        """Deliver or raise ``NotifyError`` (``permanent`` when retrying cannot help)."""
        ...


class AppriseNotifier:
    """apprise behind the seam: a few lines, its errors translated here."""

    def send(self, url: str, title: str, body: str, severity: str) -> None:
        # apprise 2.2 loads its plugins on first use, and one imports ``imghdr`` (deprecated):
        # keep that warning inside this boundary
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            self._send(url, title, body, severity)

    @staticmethod
    def _send(url: str, title: str, body: str, severity: str) -> None:
        import apprise  # heavy (~40 MB of plugins): only the delivery worker pays for it

        types = {
            "info": apprise.NotifyType.INFO,
            "warning": apprise.NotifyType.WARNING,
            "error": apprise.NotifyType.FAILURE,
            "critical": apprise.NotifyType.FAILURE,
        }
        app = apprise.Apprise()
        if not app.add(url):
            raise NotifyError("apprise does not understand this channel's URL", permanent=True)
        with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
            try:
                ok = app.notify(
                    title=title, body=body, notify_type=types.get(severity, apprise.NotifyType.INFO)
                )
            except Exception as exc:  # a plugin bug must not kill the worker
                raise NotifyError(f"apprise failed: {exc.__class__.__name__}") from None
            if not ok:
                detail = captured.getvalue().strip().splitlines()
                raise NotifyError((detail[-1] if detail else "the channel refused it")[:400])


class TokenBucket:
    """``burst`` tokens, refilled at ``per_minute``; one token per notification sent."""

    def __init__(self, burst: int, per_minute: float, now: float) -> None:
        self.capacity = float(burst)
        self.rate = per_minute / 60.0
        self.tokens = float(burst)
        self.updated = now
        self._lock = threading.Lock()

    def take(self, now: float) -> bool:
        with self._lock:
            self.tokens = min(self.capacity, self.tokens + max(0.0, now - self.updated) * self.rate)
            self.updated = max(self.updated, now)
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return True
            return False


# -- models at the API edge ------------------------------------------------------------------
class ChannelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    url: SecretStr = Field(max_length=2000)
    severities: list[Severity] = Field(default_factory=list, max_length=4)
    tags: list[Tag] = Field(default_factory=list, max_length=16)


class ChannelView(BaseModel):
    """A channel as the API shows it: the scheme only, never the URL (it holds secrets)."""

    id: int
    name: str
    scheme: str
    severities: list[str]
    tags: list[str]
    source: str
    created_at: float


class NotifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=250)
    body: str = Field("", max_length=4000)
    severity: Severity = "info"
    dedup_key: str | None = Field(None, min_length=1, max_length=200)
    tags: list[Annotated[str, Field(max_length=32)]] = Field(default_factory=list, max_length=16)


class AttemptView(BaseModel):
    channel_id: int
    at: float
    outcome: str
    error: str | None


class NotificationView(BaseModel):
    id: int
    kind: str
    title: str
    body: str
    severity: str
    tags: list[str]
    axon_id: str | None
    dedup_key: str | None
    created_at: float
    state: str
    attempts: int
    next_attempt_at: float
    finished_at: float | None
    last_error: str | None
    duplicate: bool = False
    deliveries: list[AttemptView] = Field(default_factory=list)


def split_urls(text: str) -> list[str]:
    return [u.strip() for u in _SPLIT_URLS.split(text.strip()) if u.strip()]


def scheme_of(url: str) -> str:
    return url.split("://", 1)[0] + "://…"


def routes(channel: ChannelRow, row: NotificationRow) -> bool:
    if row.channel_id is not None:
        return channel.id == row.channel_id
    if channel.severities and row.severity not in channel.severities:
        return False
    return not channel.tags or bool(set(channel.tags) & set(row.tags or []))


class Outbox:
    """Channels and the notification rows; the hub's side of notifications (no network)."""

    def __init__(self, storage: Storage, clock: Clock, dedup_window: float) -> None:
        self._storage = storage
        self._clock = clock
        self._dedup_window = dedup_window

    # -- channels --------------------------------------------------------------------------
    def sync_env_channels(self, urls: str) -> None:
        """Make the ``env`` channels exactly those of ``SYNAPSE_NOTIFY_URLS``; one whose URL is
        unchanged keeps its id, so what it already received is never sent to it again."""
        now = self._clock.now()
        wanted = split_urls(urls)
        with self._storage.session() as session:
            existing = session.exec(select(ChannelRow).where(ChannelRow.source == "env")).all()
            kept = set()
            for row in existing:
                if row.url in wanted and row.url not in kept:
                    kept.add(row.url)
                else:
                    session.delete(row)
            for i, url in enumerate(wanted):
                if url not in kept:
                    kept.add(url)
                    session.add(
                        ChannelRow(name=f"env-{i + 1}", url=url, source="env", created_at=now)
                    )

    def add_channel(self, data: object) -> ChannelView:
        spec = parse_model(ChannelCreate, data, what="the channel")
        url = spec.url.get_secret_value().strip()
        if not re.match(URL_PATTERN, url):
            raise ValidationError("url must be an apprise URL such as json://host/path")
        row = ChannelRow(
            name=spec.name,
            url=url,
            severities=list(spec.severities),
            tags=list(spec.tags),
            source="api",
            created_at=self._clock.now(),
        )
        with self._storage.session() as session:
            session.add(row)
        return self._channel_view(row)

    def channels(self) -> list[ChannelView]:
        return [self._channel_view(r) for r in self.channel_rows()]

    def channel_rows(self) -> list[ChannelRow]:
        with self._storage.session() as session:
            return list(session.exec(select(ChannelRow).order_by(col(ChannelRow.id))))

    def remove_channel(self, channel_id: int) -> None:
        with self._storage.session() as session:
            row = session.get(ChannelRow, channel_id)
            if row is None:
                raise NotFoundError(f"there is no channel {channel_id}")
            session.delete(row)

    def test_channel(self, channel_id: int) -> NotificationView:
        with self._storage.session() as session:
            if session.get(ChannelRow, channel_id) is None:
                raise NotFoundError(f"there is no channel {channel_id}")
        return self.enqueue(
            kind="test",
            title="Synapse test notification",
            body="If you can read this, the channel works.",
            severity="info",
            channel_id=channel_id,
        )

    # -- notifications ---------------------------------------------------------------------
    def notify(self, data: object) -> NotificationView:
        """A script's notification; one with a ``dedup_key`` seen within the window is
        answered with the earlier one (``duplicate``) and not sent again."""
        spec = parse_model(NotifyRequest, data, what="the notification")
        now = self._clock.now()
        if spec.dedup_key is not None:
            with self._storage.session() as session:
                earlier = session.exec(
                    select(NotificationRow)
                    .where(
                        NotificationRow.dedup_key == spec.dedup_key,
                        NotificationRow.created_at >= now - self._dedup_window,
                    )
                    .order_by(col(NotificationRow.id).desc())
                ).first()
            if earlier is not None:
                return _view(earlier).model_copy(update={"duplicate": True})
        return self.enqueue(
            kind="notify",
            title=spec.title,
            body=spec.body,
            severity=spec.severity,
            tags=list(spec.tags),
            dedup_key=spec.dedup_key,
        )

    def enqueue(self, **fields: Any) -> NotificationView:
        now = self._clock.now()
        row = NotificationRow(created_at=now, next_attempt_at=now, **fields)
        with self._storage.session() as session:
            session.add(row)
        return _view(row)

    def get(self, notification_id: int) -> NotificationView:
        with self._storage.session() as session:
            row = session.get(NotificationRow, notification_id)
            if row is None:
                raise NotFoundError(f"there is no notification {notification_id}")
            attempts = session.exec(
                select(DeliveryAttemptRow)
                .where(DeliveryAttemptRow.notification_id == notification_id)
                .order_by(col(DeliveryAttemptRow.id))
            ).all()
        view = _view(row)
        view.deliveries = [AttemptView.model_validate(a.model_dump()) for a in attempts]
        return view

    def recent(self, limit: int = 50) -> list[NotificationView]:
        with self._storage.session() as session:
            rows = session.exec(
                select(NotificationRow).order_by(col(NotificationRow.id).desc()).limit(limit)
            ).all()
        return [_view(r) for r in rows]

    @staticmethod
    def _channel_view(row: ChannelRow) -> ChannelView:
        return ChannelView(
            id=row.id or 0,
            name=row.name,
            scheme=scheme_of(row.url),
            severities=row.severities,
            tags=row.tags,
            source=row.source,
            created_at=row.created_at,
        )


def _view(row: NotificationRow) -> NotificationView:
    return NotificationView.model_validate(row.model_dump())


class Delivery:
    """The worker: ``step()`` sends what is due. Blocking; run it off the ingest loop."""

    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        outbox: Outbox,
        bucket: TokenBucket,
        *,
        max_attempts: int,
        retry_delay: float,
        notifier: Notifier | None = None,
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._outbox = outbox
        self.bucket = bucket
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self.notifier: Notifier = notifier or AppriseNotifier()
        #: one delivery at a time, whichever thread calls (the runtime's worker, a test)
        self._lock = threading.Lock()

    def step(self) -> bool:
        """Send every due notification (while tokens last). True if any was tried."""
        with self._lock:
            return self._step()

    def _step(self) -> bool:
        now = self._clock.now()
        with self._storage.session() as session:
            due = session.exec(
                select(NotificationRow)
                .where(NotificationRow.state == "queued", NotificationRow.next_attempt_at <= now)
                .order_by(col(NotificationRow.id))
                .limit(BATCH)
            ).all()
        if not due:
            return False
        channels = self._outbox.channel_rows()
        tried = False
        for row in due:
            if not self.bucket.take(now):
                log.info("notification rate limit reached; %d wait in the outbox", len(due))
                break
            tried = True
            self._deliver(row, [c for c in channels if routes(c, row)], now)
        return tried

    def _deliver(self, row: NotificationRow, targets: list[ChannelRow], now: float) -> None:
        if not targets:
            self._finish(row, {"state": "no_channel", "finished_at": now})
            return
        with self._storage.session() as session:
            done = set(
                session.exec(
                    select(DeliveryAttemptRow.channel_id).where(
                        DeliveryAttemptRow.notification_id == row.id,
                        DeliveryAttemptRow.outcome == "ok",
                    )
                ).all()
            )
        errors: list[NotifyError] = []
        for channel in targets:
            if channel.id in done:
                continue
            error: NotifyError | None = None
            try:
                self.notifier.send(channel.url, row.title, row.body or row.title, row.severity)
            except NotifyError as exc:
                error = exc
                errors.append(exc)
            with self._storage.session() as session:
                session.add(
                    DeliveryAttemptRow(
                        notification_id=row.id or 0,
                        channel_id=channel.id or 0,
                        at=self._clock.now(),
                        outcome="ok" if error is None else "error",
                        error=None if error is None else error.message[:500],
                    )
                )
        if not errors:
            self._finish(row, {"state": "sent", "finished_at": self._clock.now()})
            return
        attempts = row.attempts + 1
        last = errors[-1].message[:500]
        if all(e.permanent for e in errors) or attempts >= self._max_attempts:
            self._finish(row, {"state": "failed", "attempts": attempts, "last_error": last,
                               "finished_at": self._clock.now()})  # fmt: skip
        else:
            delay = self._retry_delay * 2 ** (attempts - 1)
            self._finish(row, {"state": "queued", "attempts": attempts, "last_error": last,
                               "next_attempt_at": now + delay})  # fmt: skip

    def _finish(self, row: NotificationRow, values: dict[str, Any]) -> None:
        """Conditional update: only a still-queued row at the attempt we read changes."""
        with self._storage.session() as session:
            session.execute(
                update(NotificationRow)
                .where(
                    col(NotificationRow.id) == row.id,
                    col(NotificationRow.state) == "queued",
                    col(NotificationRow.attempts) == row.attempts,
                )
                .values(**values)
            )
