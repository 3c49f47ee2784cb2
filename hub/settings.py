"""The one settings object.

Every field is read from ``SYNAPSE_<NAME>`` (or from the file named by ``SYNAPSE_<NAME>_FILE``,
for secrets kept out of the environment), has a default and a help string, and is documented in
the README (a test fails when one is not). A bad value raises ``SettingsError`` naming the
variable and the value, so a typo in a unit file is one clear line, not a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from hub.errors import SettingsError

ENV_PREFIX = "SYNAPSE_"


class Settings(BaseModel):
    """Hub configuration. Build it with ``Settings.from_env()`` or ``Settings(**fields)``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    data_dir: Path = Field(Path("data"), description="Directory for the SQLite file and secrets.")
    database_url: str = Field(
        "",
        description="SQLAlchemy URL of the database; empty means sqlite:///<data_dir>/synapse.db.",
    )
    mqtt_host: str = Field("0.0.0.0", description="Address the embedded MQTT broker listens on.")  # noqa: S104
    mqtt_port: int = Field(1883, ge=0, le=65535, description="Port of the embedded MQTT broker.")
    http_host: str = Field("0.0.0.0", description="Address the HTTP API and dashboard listen on.")  # noqa: S104
    http_port: int = Field(8080, ge=0, le=65535, description="Port of the HTTP API and dashboard.")
    broker_url: str = Field(
        "",
        description="mqtt://host:port of an existing broker to use instead of the embedded one.",
    )
    broker_username: str = Field("", description="Username the hub uses on an external broker.")
    broker_password: SecretStr = Field(
        SecretStr(""), description="Password the hub uses on an external broker."
    )
    topic_prefix: str = Field(
        "synapse", pattern=r"^[a-z][a-z0-9_-]{0,31}$", description="First level of every topic."
    )
    auto_approve: bool = Field(
        False, description="Approve unknown axons on first contact instead of holding them pending."
    )
    max_packet_size: int = Field(
        256 * 1024, ge=1024, le=16 * 1024 * 1024, description="Largest MQTT packet in bytes."
    )
    max_connections: int = Field(
        10_000, ge=1, description="Most MQTT connections the embedded broker accepts at once."
    )
    max_keepalive: int = Field(
        600,
        ge=5,
        le=65535,
        description="Longest MQTT keepalive in seconds; 0 or longer keepalives are capped to it.",
    )
    connect_timeout: float = Field(
        10.0, gt=0, description="Seconds a new connection has to send its CONNECT packet."
    )
    client_queue_limit: int = Field(
        1000,
        ge=10,
        description="Undelivered messages held for one slow client before it is disconnected.",
    )
    auth_delay_max: float = Field(
        30.0, ge=0, description="Longest delay in seconds added after repeated failed logins."
    )
    history_flush_interval: float = Field(
        0.005,
        ge=0,
        le=60,
        description=(
            "Seconds a batch of reported values lingers before it is written; writes are "
            "group commits, so batches grow with load on their own."
        ),
    )
    history_batch_size: int = Field(
        5000, ge=1, description="Most history rows written in one transaction."
    )
    liveness_interval: float = Field(
        1.0, gt=0, description="Seconds between liveness sweeps that mark silent axons offline."
    )
    history_retention_days: int = Field(
        30, ge=1, description="Days of reported values kept in storage."
    )
    log_level: str = Field(
        "INFO",
        pattern=r"^(DEBUG|INFO|WARNING|ERROR)$",
        description="Log level: DEBUG, INFO, WARNING or ERROR.",
    )
    admin_username: str = Field(
        "admin",
        min_length=1,
        max_length=64,
        description="Name of the admin account made at first start.",
    )
    admin_password: SecretStr = Field(
        SecretStr(""),
        description="Creates the admin account at first start; empty: the dashboard asks for one.",
    )
    session_hours: float = Field(
        168.0, gt=0, le=8760, description="Hours a dashboard sign-in lasts before it ends."
    )
    # -- stats sampler, quiet state and leases (docs/leases.md) --
    stats_interval: float = Field(
        10.0, ge=1, le=3600, description="Seconds between samples of host, hub, API and MQTT stats."
    )
    stats_collector_timeout: float = Field(
        5.0, gt=0, le=60, description="Seconds one stats collector may take before it is skipped."
    )
    stats_retention_days: int = Field(
        7,
        ge=1,
        le=365,
        description="Days of stats history kept (raw for a day, then 5-minute averages).",
    )
    quiet_level: float = Field(
        70.0, ge=0, le=100, description="Quiet score at or above which the host becomes QUIET."
    )
    busy_level: float = Field(
        35.0, ge=0, le=100, description="Quiet score below which the host becomes BUSY."
    )
    panic_level: float = Field(
        10.0, ge=0, le=100, description="Quiet score below which the host is in PANIC."
    )
    quiet_margin: float = Field(
        10.0, ge=0, le=50, description="Points past a level the score must go to leave a state."
    )
    quiet_min_dwell: float = Field(
        30.0,
        ge=0,
        description="Seconds a quiet state lasts at least before it may change (PANIC excepted).",
    )
    lease_capacity_units: int = Field(
        100, ge=1, le=10_000, description="Lease cost units the host holds when idle."
    )
    lease_headroom: float = Field(
        20.0, ge=0, lt=100, description="Quiet score kept for everything else: capacity is 0 at it."
    )
    lease_max_active: int = Field(4, ge=1, description="Most leases active at once.")
    lease_max_per_axon: int = Field(1, ge=1, description="Most leases one axon holds at once.")
    lease_heartbeat_ttl: float = Field(
        30.0, ge=5, le=3600, description="Seconds a lease lives without a heartbeat."
    )
    lease_panic_cooldown: float = Field(
        300.0, ge=0, description="Seconds after a PANIC during which every lease is denied."
    )
    # -- alerts and notifications (docs/alerts.md) --
    notify_urls: SecretStr = Field(
        SecretStr(""), description="Apprise URLs that receive every notification, space-separated."
    )
    alert_group_window: float = Field(
        10.0, ge=0, le=600, description="Seconds alerts gather before they are sent as one message."
    )
    alert_repeat_interval: float = Field(
        14400.0, ge=0, description="Seconds between reminders of a still-firing alert; 0: none."
    )
    notify_burst: int = Field(10, ge=1, description="Notifications that may leave at once.")
    notify_rate_per_minute: float = Field(
        6.0, gt=0, description="Notifications per minute after the burst (a token bucket)."
    )
    notify_dedup_window: float = Field(
        300.0, ge=0, description="Seconds a dedup_key of POST /api/v1/notify suppresses repeats."
    )
    notify_max_attempts: int = Field(
        5, ge=1, le=50, description="Attempts per notification before it is marked failed."
    )
    notify_retry_delay: float = Field(
        30.0, gt=0, description="Seconds before the first retry; doubled for each next one."
    )

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'synapse.db'}"

    @classmethod
    def env_name(cls, field: str) -> str:
        return ENV_PREFIX + field.upper()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read every field from the environment; ``overrides`` win (the CLI uses them)."""
        env = os.environ if environ is None else environ
        raw: dict[str, Any] = {}
        for name in cls.model_fields:
            var = cls.env_name(name)
            if var in env:
                raw[name] = env[var]
            elif var + "_FILE" in env:
                path = Path(env[var + "_FILE"])
                try:
                    raw[name] = path.read_text().strip()
                except OSError as exc:
                    raise SettingsError(
                        f"{var}_FILE={path}: cannot read it ({exc.strerror})."
                    ) from exc
        unknown = sorted(
            k
            for k in env
            if k.startswith(ENV_PREFIX)
            and k.removesuffix("_FILE").removeprefix(ENV_PREFIX).lower() not in cls.model_fields
            and k not in IGNORED_ENV
        )
        if unknown:
            raise SettingsError(f"{unknown[0]} is not a Synapse setting (see the README's list).")
        raw.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**raw)
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            field = str(first["loc"][0]) if first["loc"] else "?"
            value = raw.get(field)
            shown = "***" if field in SECRET_FIELDS else repr(value)
            raise SettingsError(f"{cls.env_name(field)}={shown}: {first['msg']}.") from None


#: fields whose values never appear in messages or reprs
SECRET_FIELDS = frozenset({"broker_password", "admin_password", "notify_urls"})

#: SYNAPSE_ variables that belong to other programs (the SDK reads SYNAPSE_TOKEN and friends)
IGNORED_ENV = frozenset({"SYNAPSE_TOKEN", "SYNAPSE_HUB", "SYNAPSE_AXON_ID", "SYNAPSE_API_KEY"})
