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
SECRET_FIELDS = frozenset({"broker_password"})

#: SYNAPSE_ variables that belong to other programs (the SDK reads SYNAPSE_TOKEN and friends)
IGNORED_ENV = frozenset({"SYNAPSE_TOKEN", "SYNAPSE_HUB", "SYNAPSE_AXON_ID", "SYNAPSE_API_KEY"})
