"""Stats collectors: each measures one thing and returns a flat dict of readings.

A collector is anything with a ``name`` and a blocking ``collect() -> dict``. The sampler runs
each in a worker thread with a timeout and keeps its error apart, so a hung disk or a psutil
surprise costs that group one sample, never the loop. psutil is used here and nowhere else.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import psutil

from hub.clock import Clock


class Collector(Protocol):
    name: str

    def collect(self) -> dict[str, Any]: ...


class HostCollector:
    """CPU total and load, memory and swap, disk per mount (the data dir first), network
    bytes, uptime."""

    name = "host"

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        psutil.cpu_percent(interval=None)  # the first call only starts the measurement

    def collect(self) -> dict[str, Any]:
        cpus = psutil.cpu_count() or 1
        load1, load5, load15 = psutil.getloadavg()
        memory = psutil.virtual_memory()
        swap = psutil.swap_memory()
        net = psutil.net_io_counters()
        disks: list[dict[str, Any]] = []
        data_dir = self._data_dir if self._data_dir.exists() else Path.cwd()
        usage = psutil.disk_usage(str(data_dir))
        disks.append({"mount": "data_dir", "path": str(data_dir), "percent": usage.percent,
                      "free_bytes": usage.free})  # fmt: skip
        for part in psutil.disk_partitions(all=False)[:16]:
            try:
                usage = psutil.disk_usage(part.mountpoint)
            except OSError:
                continue
            disks.append({"mount": part.mountpoint, "percent": usage.percent,
                          "free_bytes": usage.free})  # fmt: skip
        return {
            "cpu_percent": psutil.cpu_percent(interval=None),
            "cpu_count": cpus,
            "load1": load1,
            "load5": load5,
            "load15": load15,
            "load_per_cpu": round(load1 / cpus, 3),
            "memory_percent": memory.percent,
            "memory_available_bytes": memory.available,
            "swap_percent": swap.percent,
            "disk_max_percent": max(d["percent"] for d in disks),
            "disks": disks,
            "net_bytes_sent": net.bytes_sent if net else 0,
            "net_bytes_recv": net.bytes_recv if net else 0,
            "uptime_sec": round(time.time() - psutil.boot_time()),
        }


class ProcessCollector:
    """The hub's own process: RSS, CPU, threads, open files."""

    name = "process"

    def __init__(self) -> None:
        self._process = psutil.Process(os.getpid())
        self._process.cpu_percent(interval=None)

    def collect(self) -> dict[str, Any]:
        p = self._process
        with p.oneshot():
            try:
                open_files = p.num_fds()
            except AttributeError:  # Windows has handles, not fds
                open_files = len(p.open_files())
            return {
                "rss_bytes": p.memory_info().rss,
                "cpu_percent": p.cpu_percent(interval=None),
                "threads": p.num_threads(),
                "open_files": open_files,
            }


class HttpStats:
    """What the HTTP middleware saw: requests, 5xx errors, latencies, requests in flight.

    ``record`` runs on the event loop for every request; ``collect`` turns what came in since
    the previous call into rates over that window.
    """

    name = "http"

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.in_flight = 0
        self.requests_total = 0
        self.errors_total = 0
        self._latencies: deque[float] = deque(maxlen=4096)
        self._last_at = clock.now()
        self._last_requests = 0
        self._last_errors = 0

    def record(self, status: int, seconds: float) -> None:
        self.requests_total += 1
        if status >= 500:
            self.errors_total += 1
        self._latencies.append(seconds)

    def collect(self) -> dict[str, Any]:
        now = self._clock.now()
        window = max(now - self._last_at, 1e-9)
        requests = self.requests_total - self._last_requests
        errors = self.errors_total - self._last_errors
        latencies = sorted(self._latencies)
        self._latencies.clear()
        self._last_at, self._last_requests, self._last_errors = (
            now,
            self.requests_total,
            self.errors_total,
        )
        p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] if latencies else 0.0
        return {
            "requests_per_sec": round(requests / window, 3),
            "error_rate": round(errors / requests, 4) if requests else 0.0,
            "p95_ms": round(p95 * 1000, 2),
            "in_flight": self.in_flight,
            "requests_total": self.requests_total,
        }


class IngestCollector:
    """MQTT ingest: messages/s and rejected/s from the ingest counters, connected axons from
    the broker's stats (read through callables: hub/ knows neither broker)."""

    name = "mqtt"

    def __init__(
        self,
        counts: Mapping[str, int],
        broker_stats: Callable[[], Mapping[str, int]],
        clock: Clock,
    ) -> None:
        self._counts = counts
        self._broker_stats = broker_stats
        self._clock = clock
        self._last_at = clock.now()
        self._last: tuple[int, int] = (0, 0)

    def collect(self) -> dict[str, Any]:
        now = self._clock.now()
        broker = dict(self._broker_stats())
        messages = int(broker.get("messages_in", sum(self._counts.values())))
        rejected = int(self._counts.get("rejected", 0)) + int(broker.get("refused_publishes", 0))
        window = max(now - self._last_at, 1e-9)
        rates = ((messages - self._last[0]) / window, (rejected - self._last[1]) / window)
        self._last_at, self._last = now, (messages, rejected)
        return {
            "messages_per_sec": round(rates[0], 3),
            "rejected_per_sec": round(rates[1], 3),
            "connected_axons": int(broker.get("connections", 0)),
            "messages_total": messages,
            "rejected_total": rejected,
        }
