"""The sampler: collectors isolated from each other, history kept and folded, streaks, health."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from hub.clock import ManualClock
from hub.collectors import HostCollector, HttpStats, ProcessCollector
from hub.sampler import Snapshot


class Broken:
    name = "host"

    def collect(self) -> dict[str, Any]:
        raise OSError("/proc is not mounted")


class Hung:
    name = "mqtt"

    def __init__(self) -> None:
        self.release = threading.Event()

    def collect(self) -> dict[str, Any]:
        self.release.wait(5)
        return {}


class Fine:
    name = "process"

    def collect(self) -> dict[str, Any]:
        return {"rss_bytes": 1000}


def test_a_failing_or_hanging_collector_costs_only_its_own_group(make_hub) -> None:
    hub = make_hub(stats_collector_timeout=0.2)
    hung = Hung()
    hub.system.collectors += [Broken(), hung, Fine()]
    try:
        snapshot = asyncio.run(hub.system.sample())
    finally:
        hung.release.set()
    assert snapshot.errors == {
        "host": "OSError: /proc is not mounted",
        "mqtt": "timed out after 0.2 s",
    }
    assert snapshot.groups["process"] == {"rss_bytes": 1000}
    health = hub.system.health()
    assert health["status"] == "warn"
    assert "collector host failed: OSError: /proc is not mounted" in health["reasons"]


def test_the_real_collectors_read_this_host(tmp_path) -> None:
    host = HostCollector(tmp_path).collect()
    assert 0 <= host["cpu_percent"] <= 100 and host["disks"][0]["mount"] == "data_dir"
    assert {
        "load_per_cpu",
        "memory_percent",
        "swap_percent",
        "net_bytes_recv",
        "uptime_sec",
    } <= set(host)
    process = ProcessCollector().collect()
    assert process["rss_bytes"] > 0 and process["threads"] >= 1 and process["open_files"] > 0


def test_http_stats_give_rates_error_share_and_p95(clock: ManualClock) -> None:
    stats = HttpStats(clock)
    for n in range(100):
        stats.record(500 if n < 5 else 200, (n + 1) / 1000)
    clock.advance(10)
    assert stats.collect() == {"requests_per_sec": 10.0, "error_rate": 0.05, "p95_ms": 96.0,
                               "in_flight": 0, "requests_total": 100}  # fmt: skip


def record(hub, clock: ManualClock, cpu: float, seconds: float = 60) -> None:
    hub.system.record(Snapshot(clock.now(), {"host": {"cpu_percent": cpu}}))
    clock.advance(seconds)


def test_history_averages_by_step_and_old_samples_fold_into_five_minute_rows(
    make_hub, clock: ManualClock
) -> None:
    hub = make_hub()
    start = clock.now()
    for cpu in (10, 20, 30, 40):
        record(hub, clock, cpu, 30)
    points = hub.system.history("host", 3600, 60)
    assert [p["cpu_percent"] for p in points] == [15.0, 35.0]
    clock.set(start + 86400 + 600)
    assert hub.system.maintain()
    folded = hub.system.history("host", 2 * 86400, 300)
    assert [p["cpu_percent"] for p in folded] == [25.0]
    clock.advance(7 * 86400)
    hub.system.maintain()
    assert hub.system.history("host", 30 * 86400, 3600) == []


def test_quiet_streaks_of_the_last_day_have_start_end_average_and_minimum(
    make_hub, clock: ManualClock
) -> None:
    hub = make_hub(quiet_min_dwell=0)
    t0 = clock.now()
    for cpu in (10, 20, 90, 90, 0):
        record(hub, clock, cpu)
    streaks = hub.system.streaks()
    assert streaks == [
        {"start": t0, "end": t0 + 120, "avg_score": 85.0, "min_score": 80.0},
        {"start": t0 + 240, "end": None, "avg_score": 100.0, "min_score": 100.0},
    ]
