"""The stats sampler: collectors in, a snapshot, the quiet state and stored history out.

``SystemStats.sample()`` (a runtime step every ``stats_interval`` seconds) runs every collector in
a worker thread with its own timeout; a collector that raises or hangs leaves its error in the
snapshot and the others still count. ``record(snapshot)`` is the synchronous half — it feeds the
quiet tracker and stores one row per group — so tests hand it made-up snapshots directly.

History is raw for a day, then 5-minute averages until ``stats_retention_days`` (``maintain``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select

from hub.clock import Clock
from hub.collectors import Collector, HostCollector, HttpStats, ProcessCollector
from hub.errors import ValidationError
from hub.lease_models import SystemSampleRow
from hub.quiet import QuietLevel, QuietTracker, Readings, Thresholds
from hub.settings import Settings
from hub.storage import Storage

log = logging.getLogger(__name__)

GROUPS = ("host", "process", "http", "mqtt", "quiet")
RAW_KEEP = 86400.0
DOWNSAMPLE_STEP = 300


@dataclass(slots=True)
class Snapshot:
    at: float
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: collector name → why it has no reading this time
    errors: dict[str, str] = field(default_factory=dict)


def readings_from(snapshot: Snapshot) -> Readings:
    host = snapshot.groups.get("host", {})
    http = snapshot.groups.get("http", {})
    return Readings(
        cpu_percent=host.get("cpu_percent"),
        load_per_cpu=host.get("load_per_cpu"),
        memory_percent=host.get("memory_percent"),
        swap_percent=host.get("swap_percent"),
        api_p95_ms=http.get("p95_ms") if http.get("requests_per_sec") else None,
        api_error_rate=http.get("error_rate") if http.get("requests_per_sec") else None,
    )


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(
        quiet=settings.quiet_level,
        busy=settings.busy_level,
        panic=settings.panic_level,
        margin=settings.quiet_margin,
        min_dwell=settings.quiet_min_dwell,
    )


class SystemStats:
    def __init__(self, settings: Settings, storage: Storage, clock: Clock) -> None:
        self._settings = settings
        self._storage = storage
        self._clock = clock
        self.quiet = QuietTracker(thresholds(settings), clock)
        self.http = HttpStats(clock)
        self.collectors: list[Collector] = []
        self.latest: Snapshot | None = None

    def add_default_collectors(self) -> None:
        """The psutil collectors (host, process) and the HTTP stats; the runtime adds MQTT."""
        self.collectors += [HostCollector(self._settings.data_dir), ProcessCollector(), self.http]

    # -- sampling --------------------------------------------------------------------------
    async def sample(self) -> Snapshot:
        timeout = self._settings.stats_collector_timeout
        snapshot = Snapshot(self._clock.now())
        for collector in list(self.collectors):
            try:
                snapshot.groups[collector.name] = await asyncio.wait_for(
                    asyncio.to_thread(collector.collect), timeout
                )
            except TimeoutError:
                snapshot.errors[collector.name] = f"timed out after {timeout:g} s"
            except Exception as exc:  # isolated: one broken collector, not the sampler
                snapshot.errors[collector.name] = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("stats collector %s failed: %s", collector.name, exc)
        self.record(snapshot)
        return snapshot

    def record(self, snapshot: Snapshot) -> None:
        """Feed the quiet state and store the snapshot (one row per group)."""
        state = self.quiet.observe(readings_from(snapshot))
        snapshot.groups["quiet"] = {"score": state.score, "level": state.level.value}
        self.latest = snapshot
        with self._storage.session() as session:
            for group, data in snapshot.groups.items():
                flat = {k: v for k, v in data.items() if isinstance(v, int | float | str)}
                session.add(SystemSampleRow(group=group, ts=snapshot.at, data=flat))

    # -- queries ---------------------------------------------------------------------------
    def current(self) -> dict[str, Any]:
        snap = self.latest
        return {
            "at": snap.at if snap else None,
            "groups": snap.groups if snap else {},
            "errors": snap.errors if snap else {},
            "quiet": self.quiet.state.public(),
        }

    def history(self, group: str, range_sec: float, step: float) -> list[dict[str, Any]]:
        """Averages of every numeric field per ``step`` seconds over the last ``range_sec``."""
        if group not in GROUPS:
            raise ValidationError(f"group must be one of {', '.join(GROUPS)}, not {group[:20]!r}")
        if step <= 0 or range_sec <= 0 or range_sec / step > 2000:
            raise ValidationError("range / step must give 1 to 2000 points")
        now = self._clock.now()
        with self._storage.session() as session:
            rows = session.exec(
                select(SystemSampleRow)
                .where(SystemSampleRow.group == group, SystemSampleRow.ts >= now - range_sec)
                .order_by(col(SystemSampleRow.ts))
            ).all()
        buckets: dict[int, dict[str, list[float]]] = {}
        for row in rows:
            bucket = buckets.setdefault(int(row.ts // step), {})
            for key, value in row.data.items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    bucket.setdefault(key, []).append(float(value))
        return [
            {"ts": index * step, **{k: round(sum(v) / len(v), 3) for k, v in fields.items()}}
            for index, fields in sorted(buckets.items())
        ]

    def streaks(self, hours: float = 24.0) -> list[dict[str, Any]]:
        """QUIET streaks of the last ``hours``: start, end (None while it lasts), avg/min score."""
        now = self._clock.now()
        with self._storage.session() as session:
            rows = session.exec(
                select(SystemSampleRow)
                .where(SystemSampleRow.group == "quiet", SystemSampleRow.ts >= now - hours * 3600)
                .order_by(col(SystemSampleRow.ts))
            ).all()
        streaks: list[dict[str, Any]] = []
        scores: list[float] = []
        start: float | None = None
        for row in rows:
            if row.data.get("level") == QuietLevel.QUIET.value:
                start = row.ts if start is None else start
                scores.append(float(row.data.get("score", 0)))
            elif start is not None:
                streaks.append(_streak(start, row.ts, scores))
                start, scores = None, []
        if start is not None:
            streaks.append(_streak(start, None, scores))
        return streaks

    def health(self) -> dict[str, Any]:
        """ok / warn / error, with a reason for everything that is not ok."""
        reasons: list[tuple[str, str]] = []
        snap = self.latest
        now = self._clock.now()
        if snap is None or now - snap.at > 3 * self._settings.stats_interval + 5:
            reasons.append(("warn", "no recent stats sample"))
        if snap is not None:
            for name, error in snap.errors.items():
                reasons.append(("warn", f"collector {name} failed: {error}"))
            disk = snap.groups.get("host", {}).get("disk_max_percent")
            if isinstance(disk, int | float) and disk >= 90:
                reasons.append(("error" if disk >= 97 else "warn", f"a disk is {disk:.0f}% full"))
        level = self.quiet.state.level
        if level == QuietLevel.PANIC:
            reasons.append(("error", "host in PANIC: " + "; ".join(self.quiet.state.reasons)))
        elif level == QuietLevel.BUSY:
            reasons.append(("warn", "host BUSY: " + "; ".join(self.quiet.state.reasons)))
        status = "ok"
        if any(sev == "error" for sev, _ in reasons):
            status = "error"
        elif reasons:
            status = "warn"
        return {"status": status, "reasons": [r for _, r in reasons], "quiet": level.value}

    # -- retention -------------------------------------------------------------------------
    def maintain(self) -> bool:
        """Fold raw samples older than a day into 5-minute averages; drop what is past
        retention. Returns whether anything changed."""
        now = self._clock.now()
        cutoff = now - RAW_KEEP
        with self._storage.session() as session:
            old = session.exec(
                select(SystemSampleRow).where(
                    SystemSampleRow.step == 0, SystemSampleRow.ts < cutoff
                )
            ).all()
            merged: dict[tuple[str, int], list[SystemSampleRow]] = {}
            for row in old:
                merged.setdefault((row.group, int(row.ts // DOWNSAMPLE_STEP)), []).append(row)
            for (group, index), rows in merged.items():
                session.add(SystemSampleRow(group=group, step=DOWNSAMPLE_STEP,
                                            ts=index * DOWNSAMPLE_STEP, data=_average(rows)))  # fmt: skip
                for row in rows:
                    session.delete(row)
            gone = session.execute(
                delete(SystemSampleRow).where(
                    col(SystemSampleRow.ts) < now - self._settings.stats_retention_days * 86400
                )
            )
            return bool(old) or bool(getattr(gone, "rowcount", 0))


def _streak(start: float, end: float | None, scores: list[float]) -> dict[str, Any]:
    return {
        "start": start,
        "end": end,
        "avg_score": round(sum(scores) / len(scores), 1) if scores else None,
        "min_score": min(scores) if scores else None,
    }


def _average(rows: list[SystemSampleRow]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in rows[0].data:
        values = [r.data.get(key) for r in rows]
        numbers = [
            float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)
        ]
        if numbers and len(numbers) == len(values):
            out[key] = round(sum(numbers) / len(numbers), 3)
        else:  # a label such as the quiet level: the last one stands for the bucket
            out[key] = values[-1]
    return out
