"""How quiet is the host? A score from the latest readings, and a state that does not flap.

``assess(readings)`` is pure: it turns one set of ``Readings`` (what the sampler
measured, or what a test made up) into a ``quiet_score`` from 0 (on fire) to 100 (idle), with a
sentence for every input that pulled the score down. ``QuietTracker`` turns the stream of scores
into a state with hysteresis:

    QUIET ── score < quiet − margin ─> NORMAL ── score < busy ─> BUSY ── score < panic ─> PANIC
    QUIET <─ score ≥ quiet ────────── NORMAL <─ score ≥ busy + margin ─ BUSY <─ score ≥ panic + margin

A state is entered at its level and left only past it by ``margin`` points, and every change
but the one into PANIC waits until the current state has lasted ``min_dwell`` seconds. So a
score wandering around a boundary does not flip the state (nor the leases gated on it) at
every sample; PANIC is entered at once because waiting there is what hurts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum

from hub.clock import Clock


class QuietLevel(StrEnum):
    QUIET = "QUIET"
    NORMAL = "NORMAL"
    BUSY = "BUSY"
    PANIC = "PANIC"


ORDER = (QuietLevel.QUIET, QuietLevel.NORMAL, QuietLevel.BUSY, QuietLevel.PANIC)


@dataclass(frozen=True, slots=True)
class Readings:
    """What the quiet assessment looks at; every field optional (None = not measured)."""

    cpu_percent: float | None = None
    #: 1-minute load average divided by the number of CPUs
    load_per_cpu: float | None = None
    memory_percent: float | None = None
    swap_percent: float | None = None
    #: the HTTP API's p95 latency in milliseconds and its 5xx share (0–1)
    api_p95_ms: float | None = None
    api_error_rate: float | None = None


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Score levels (0–100) and the hysteresis; see the module docstring."""

    quiet: float = 70.0
    busy: float = 35.0
    panic: float = 10.0
    margin: float = 10.0
    min_dwell: float = 30.0

    def __post_init__(self) -> None:
        if not 0 <= self.panic < self.busy < self.quiet <= 100:
            raise ValueError(
                f"quiet levels must satisfy 0 <= panic < busy < quiet <= 100, got "
                f"panic={self.panic}, busy={self.busy}, quiet={self.quiet}"
            )


@dataclass(frozen=True, slots=True)
class Assessment:
    score: float
    #: one sentence per input that lowered the score, worst first
    reasons: tuple[str, ...]
    inputs: dict[str, float]


def _pressure(readings: Readings) -> list[tuple[float, str, str, float]]:
    """(pressure 0–100, input name, how it reads, raw value) for every measured input."""
    out: list[tuple[float, str, str, float]] = []
    r = readings
    if r.cpu_percent is not None:
        out.append((r.cpu_percent, "cpu_percent", f"CPU at {r.cpu_percent:.0f}%", r.cpu_percent))
    if r.load_per_cpu is not None:
        # a load of 1 per CPU is full use (75), 1.5 per CPU is saturated (100)
        p = r.load_per_cpu * 75.0 if r.load_per_cpu <= 1 else 75 + (r.load_per_cpu - 1) * 50
        out.append((p, "load_per_cpu", f"load {r.load_per_cpu:.2f} per CPU", r.load_per_cpu))
    if r.memory_percent is not None:
        # memory in use is normal up to half; the rest of the scale is the last half
        p = max(0.0, (r.memory_percent - 50.0) * 2.0)
        out.append((p, "memory_percent", f"memory {r.memory_percent:.0f}% used", r.memory_percent))
    if r.swap_percent is not None:
        p = max(0.0, (r.swap_percent - 20.0) * 1.25)
        out.append((p, "swap_percent", f"swap {r.swap_percent:.0f}% used", r.swap_percent))
    if r.api_p95_ms is not None:
        # 100 ms is fine, 2 s is as bad as it gets
        p = (r.api_p95_ms - 100.0) / 19.0
        out.append((p, "api_p95_ms", f"API p95 latency {r.api_p95_ms:.0f} ms", r.api_p95_ms))
    if r.api_error_rate is not None:
        p = r.api_error_rate * 200.0
        out.append((p, "api_error_rate", f"API errors {r.api_error_rate:.0%}", r.api_error_rate))
    return [(min(100.0, max(0.0, p)), name, text, raw) for p, name, text, raw in out]


def assess(readings: Readings) -> Assessment:
    """Score = 100 − the worst pressure: one saturated resource is enough to make a host busy."""
    pressures = sorted(_pressure(readings), reverse=True)
    worst = pressures[0][0] if pressures else 0.0
    reasons = tuple(f"{text} (pressure {p:.0f})" for p, _name, text, _raw in pressures if p >= 30.0)
    inputs = {name: raw for _p, name, _text, raw in pressures}
    return Assessment(round(100.0 - worst, 1), reasons, inputs)


@dataclass(slots=True)
class QuietState:
    level: QuietLevel
    score: float
    since: float
    reasons: tuple[str, ...]
    inputs: dict[str, float]
    #: when PANIC was last left (or is still on: ``level`` says so), for the lease cool-down
    last_panic_at: float | None = None
    #: the level the score alone points at, while hysteresis holds the current one
    pending: QuietLevel | None = None
    assessed_at: float | None = None
    history: list[tuple[float, QuietLevel, QuietLevel, str]] = field(default_factory=list)

    def public(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("history")
        data["reasons"] = list(self.reasons)
        return data


class QuietTracker:
    """Keeps the quiet state; ``observe`` takes each new set of readings."""

    def __init__(self, thresholds: Thresholds, clock: Clock) -> None:
        self.thresholds = thresholds
        self._clock = clock
        #: called with (old, new) after every change of level
        self.listeners: list[Callable[[QuietLevel, QuietLevel], None]] = []
        self._first = True  # the first sample sets the state: there was nothing to dwell in
        now = clock.now()
        # until the first sample the hub knows nothing: NORMAL is the cautious middle
        self.state = QuietState(
            QuietLevel.NORMAL, 50.0, now, ("no sample yet",), {}, assessed_at=None
        )

    def target(self, current: QuietLevel, score: float) -> QuietLevel:
        """The level the score points at from ``current``, hysteresis applied."""
        t = self.thresholds
        worse_below = {QuietLevel.QUIET: t.quiet - t.margin, QuietLevel.NORMAL: t.busy,
                       QuietLevel.BUSY: t.panic}  # fmt: skip
        better_at = {QuietLevel.NORMAL: t.quiet, QuietLevel.BUSY: t.busy + t.margin,
                     QuietLevel.PANIC: t.panic + t.margin}  # fmt: skip
        index = ORDER.index(current)
        moved = index
        while moved < 3 and score < worse_below[ORDER[moved]]:
            moved += 1
        if moved == index:
            while moved > 0 and score >= better_at[ORDER[moved]]:
                moved -= 1
        return ORDER[moved]

    def observe(self, readings: Readings) -> QuietState:
        now = self._clock.now()
        assessment = assess(readings)
        state = self.state
        old = state.level
        target = self.target(old, assessment.score)
        state.score = assessment.score
        state.reasons = assessment.reasons or ("every input is low",)
        state.inputs = assessment.inputs
        state.assessed_at = now
        state.pending = None
        if target != old:
            dwelt = now - state.since
            first = self._first
            if first or target == QuietLevel.PANIC or dwelt >= self.thresholds.min_dwell:
                self._move(old, target, now)
            else:
                state.pending = target
        self._first = False
        if state.level == QuietLevel.PANIC:
            state.last_panic_at = now
        return state

    def _move(self, old: QuietLevel, new: QuietLevel, now: float) -> None:
        state = self.state
        if old == QuietLevel.PANIC:
            state.last_panic_at = now
        state.level = new
        state.since = now
        reason = "; ".join(state.reasons)
        state.history.append((now, old, new, reason))
        del state.history[:-200]
        for listener in list(self.listeners):
            listener(old, new)

    def cooling_down(self, cooldown: float) -> float:
        """Seconds left of the cool-down after the last PANIC (0 when there is none)."""
        last = self.state.last_panic_at
        if last is None or self.state.level == QuietLevel.PANIC:
            return 0.0
        return max(0.0, last + cooldown - self._clock.now())
