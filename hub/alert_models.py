"""Tables of the alert pipeline: alerts and their transitions, the notification outbox, delivery
attempts, channels, silences and maintenance windows.

Transitions are rows; deadlines are indexed columns; a ``dispatched`` flag set by a conditional
update (in the same transaction that writes the notification) means a restart never sends the
same transition twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel


class AlertRow(SQLModel, table=True):
    """One episode of one monitor (or of an axon being offline): pending → firing → resolved.

    An episode that stops holding before its ``for`` window ends as ``ok`` without firing.
    """

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_axon_key", "axon_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    axon_id: str = Field(max_length=64)
    #: ``<widget>/<index>`` for a monitor, ``offline`` for the built-in alert
    key: str = Field(max_length=80)
    widget_id: str | None = Field(default=None, max_length=64)
    severity: str = Field(max_length=16)
    condition: str = Field(default="", max_length=512)
    message: str = Field(default="", max_length=512)
    state: str = Field(max_length=16, index=True)  # pending | firing | resolved | ok
    started_at: float
    fired_at: float | None = None
    ended_at: float | None = None
    value: str | None = Field(default=None, max_length=200)
    #: a firing notification went out for this episode (so its resolution is sent too)
    notified: bool = False
    #: why its firing was not sent: silence #n, maintenance, parent offline
    held: str | None = Field(default=None, max_length=200)
    next_reminder_at: float | None = Field(default=None, index=True)


class AlertEventRow(SQLModel, table=True):
    """A change of an alert's state, with its reason; the dispatcher marks it ``dispatched``."""

    __tablename__ = "alert_events"
    __table_args__ = (Index("ix_alert_events_pending", "dispatched", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(index=True)
    axon_id: str = Field(max_length=64)
    key: str = Field(max_length=80)
    from_state: str = Field(max_length=16)
    to_state: str = Field(max_length=16)
    reason: str = Field(max_length=300)
    at: float
    dispatched: bool = False
    #: what the dispatcher did: notified | silenced | maintenance | inhibited | quiet
    outcome: str | None = Field(default=None, max_length=64)
    notification_id: int | None = None


class NotificationRow(SQLModel, table=True):
    """The outbox: one message to send to every channel it routes to."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # alert | reminder | notify | test
    title: str = Field(max_length=250)
    body: str = Field(max_length=8000)
    severity: str = Field(max_length=16)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    axon_id: str | None = Field(default=None, max_length=64)
    #: a test notification goes to this channel only
    channel_id: int | None = None
    dedup_key: str | None = Field(default=None, max_length=200, index=True)
    created_at: float
    state: str = Field(default="queued", max_length=16)  # queued | sent | failed | no_channel
    attempts: int = 0
    next_attempt_at: float
    finished_at: float | None = None
    last_error: str | None = Field(default=None, max_length=500)


class DeliveryAttemptRow(SQLModel, table=True):
    """Every try of one notification on one channel: outcome and error."""

    __tablename__ = "delivery_attempts"

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(index=True)
    channel_id: int
    at: float
    outcome: str = Field(max_length=16)  # ok | error
    error: str | None = Field(default=None, max_length=500)


class ChannelRow(SQLModel, table=True):
    """An apprise URL (a secret: never returned by the API) and what it receives."""

    __tablename__ = "channels"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    url: str = Field(max_length=2000)
    #: the severities it receives; empty means all
    severities: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    #: when set, only notifications sharing one of these tags (the axon's tags) reach it
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    source: str = Field(default="api", max_length=8)  # api | env
    created_at: float


class SilenceRow(SQLModel, table=True):
    """Matchers (empty matches anything; axon and widget take shell globs) over a time range."""

    __tablename__ = "silences"

    id: int | None = Field(default=None, primary_key=True)
    axon: str = Field(default="", max_length=64)
    widget: str = Field(default="", max_length=64)
    severity: str = Field(default="", max_length=16)
    starts_at: float
    ends_at: float = Field(index=True)
    comment: str = Field(default="", max_length=500)
    created_by: str = Field(max_length=64)
    created_at: float


class MaintenanceRow(SQLModel, table=True):
    """A maintenance window of one axon, announced by itself (MQTT/HTTP) or by a person."""

    __tablename__ = "maintenance"

    id: int | None = Field(default=None, primary_key=True)
    axon_id: str = Field(index=True, max_length=64)
    starts_at: float
    ends_at: float = Field(index=True)
    reason: str = Field(default="", max_length=200)
    source: str = Field(max_length=16)  # mqtt | http | api
    #: set when the window ended early or its end was processed (TTL restarted)
    closed_at: float | None = None


def public(row: SQLModel) -> dict[str, Any]:
    return row.model_dump()
