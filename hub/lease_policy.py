"""The lease policy, pure: a request, the active leases, the quiet state and the limits in; a
verdict out. No storage, no clock of its own: ``now`` is passed in, so every decision is a
function call a test makes directly. The checks and their order are described in
``hub.leases`` and docs/leases.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hub.lease_models import LeaseRow
from hub.quiet import QuietLevel, QuietState
from hub.topics import AXON_ID_RE

PRIORITY_RANK = {"LOW": 0, "NORMAL": 1, "HIGH": 2}
#: the legacy ``cost_class`` in units
COST_CLASSES = {"LOW": 10, "NORMAL": 30, "HIGH": 60}
CONSTRAINTS = ("cpu_heavy", "disk_write_heavy", "network_heavy")
#: retry hint while the host is not QUIET and nothing better is known
BUSY_RETRY = 60.0
MIN_RETRY, MAX_RETRY = 5.0, 900.0


@dataclass(frozen=True, slots=True)
class LeaseLimits:
    capacity_units: int = 100
    #: percent of the host kept for everything else: capacity is 0 at this quiet score
    headroom: float = 20.0
    max_active: int = 4
    max_per_axon: int = 1
    heartbeat_ttl: float = 30.0
    panic_cooldown: float = 300.0

    def capacity(self, score: float) -> int:
        share = (score - self.headroom) / (100.0 - self.headroom) if self.headroom < 100 else 0
        return math.floor(self.capacity_units * min(1.0, max(0.0, share)))


class LeaseRequest(BaseModel):
    """A request as an axon sends it (over MQTT or HTTP)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    axon_id: str = Field(pattern=AXON_ID_RE.pattern)
    job_type: str = Field(min_length=1, max_length=64)
    cost_units: int | None = Field(None, ge=1, le=100)
    cost_class: str | None = None
    priority: str = "NORMAL"
    expected_duration_sec: float | None = Field(None, gt=0, le=7 * 86400)
    constraints: list[str] = Field(default_factory=list, max_length=3)
    idempotency_key: str | None = Field(None, min_length=1, max_length=128)
    wait: bool = False
    #: how long a queued intent may wait for a grant
    wait_timeout_sec: float = Field(3600.0, gt=0, le=86400)
    #: correlates an MQTT reply with its request
    request_id: str | None = Field(None, max_length=64)

    @field_validator("priority", "cost_class")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if isinstance(value, str) else value

    @field_validator("priority")
    @classmethod
    def _priority(cls, value: str) -> str:
        if value not in PRIORITY_RANK:
            raise ValueError("priority must be LOW, NORMAL or HIGH")
        return value

    @field_validator("constraints", mode="before")
    @classmethod
    def _constraints(cls, value: Any) -> Any:
        if isinstance(value, dict):  # {"cpu_heavy": true} reads as well as ["cpu_heavy"]
            value = [k for k, v in value.items() if v]
        if isinstance(value, list):
            for item in value:
                if item not in CONSTRAINTS:
                    raise ValueError(
                        f"unknown constraint {str(item)[:40]!r} (known: {', '.join(CONSTRAINTS)})"
                    )
        return value

    @model_validator(mode="after")
    def _cost(self) -> LeaseRequest:
        if self.cost_units is None:
            if self.cost_class is None:
                raise ValueError("cost_units (1-100) is required")
            if self.cost_class not in COST_CLASSES:
                raise ValueError("cost_class must be LOW, NORMAL or HIGH")
            self.cost_units = COST_CLASSES[self.cost_class]
        self.constraints = sorted(set(self.constraints))
        return self


class LeaseView(BaseModel):
    """A decision or a lease as the API and the MQTT reply show it."""

    approved: bool
    lease_id: str | None
    decision_id: str
    state: str
    reason: str
    retry_after_sec: float | None
    limits: dict[str, float | int]
    axon_id: str
    job_type: str
    cost_units: int
    priority: str
    constraints: list[str]
    expected_duration_sec: float | None
    idempotency_key: str | None
    request_id: str | None
    requested_at: float
    granted_at: float | None
    last_heartbeat_at: float | None
    ended_at: float | None
    expires_at: float | None
    progress: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Verdict:
    approved: bool
    reason: str
    retry_after: float | None = None
    #: a denial that would deny anyone (the host, the global cap, capacity), not just this axon
    global_: bool = True


def decide(
    request: LeaseRequest,
    active: list[LeaseRow],
    quiet: QuietState,
    cooldown_left: float,
    limits: LeaseLimits,
    now: float,
) -> Verdict:
    """The policy; see the module docstring for the order of the checks."""
    if quiet.level == QuietLevel.PANIC:
        why = "; ".join(quiet.reasons)
        return Verdict(False, f"System is in PANIC ({why}); no leases", limits.panic_cooldown)
    if cooldown_left > 0:
        return Verdict(
            False,
            f"Recent PANIC detected; cooling down for {cooldown_left:.0f} more s",
            clamp(cooldown_left),
        )
    if quiet.level != QuietLevel.QUIET and request.priority != "HIGH":
        return Verdict(
            False,
            f"System is {quiet.level.value}; waiting for QUIET (score {quiet.score:.0f}, "
            f"priority {request.priority})",
            BUSY_RETRY,
        )
    retry = next_end(active, now, limits)
    if len(active) >= limits.max_active:
        return Verdict(
            False, f"Too many active leases: {len(active)} of {limits.max_active}", retry
        )
    own = [lease for lease in active if lease.axon_id == request.axon_id]
    if len(own) >= limits.max_per_axon:
        return Verdict(
            False,
            f"Axon {request.axon_id} already holds {len(own)} of {limits.max_per_axon} "
            f"active lease(s) ({own[0].job_type}, {own[0].lease_id})",
            next_end(own, now, limits),
            global_=False,
        )
    for constraint in request.constraints:
        holder = next((a for a in active if constraint in (a.constraints or [])), None)
        if holder is not None:
            return Verdict(
                False,
                f"Another {constraint} lease is active ({holder.job_type} on {holder.axon_id})",
                next_end([holder], now, limits),
                global_=False,
            )
    used = sum(lease.cost_units for lease in active)
    capacity = limits.capacity(quiet.score)
    cost = request.cost_units or 0
    if used + cost > capacity:
        return Verdict(
            False,
            f"Capacity exceeded: used={used}, requested={cost}, capacity={capacity}",
            retry,
        )
    return Verdict(
        True, f"Granted: used={used + cost} of capacity={capacity}, system {quiet.level.value}"
    )


def next_end(leases: list[LeaseRow], now: float, limits: LeaseLimits) -> float:
    """Seconds until the first of these leases is expected to end (a retry hint)."""
    ends = [
        (lease.granted_at or now) + lease.expected_duration_sec - now
        for lease in leases
        if lease.expected_duration_sec
    ]
    return clamp(min(ends) if ends else limits.heartbeat_ttl)


def clamp(seconds: float) -> float:
    return round(min(MAX_RETRY, max(MIN_RETRY, seconds)), 1)


def lease_limits(settings: Any) -> LeaseLimits:
    """The policy's limits from the hub's settings."""
    return LeaseLimits(
        capacity_units=settings.lease_capacity_units,
        headroom=settings.lease_headroom,
        max_active=settings.lease_max_active,
        max_per_axon=settings.lease_max_per_axon,
        heartbeat_ttl=settings.lease_heartbeat_ttl,
        panic_cooldown=settings.lease_panic_cooldown,
    )
