"""``/metrics`` in the Prometheus exposition format, and the middleware that times the API.

Each app gets its own ``CollectorRegistry`` (never the global one), so two hubs in one test
process do not mix their numbers. Values are read from the hub at scrape time. ``/metrics``
needs any API key (``bearer_token`` in the Prometheus scrape config): it shows axon ids.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hub.collectors import HttpStats
from hub.hub import Hub
from web.deps import HubDep, ReaderDep


class HttpStatsMiddleware:
    """Pure ASGI: counts requests, 5xx answers, latency and requests in flight."""

    def __init__(self, app: Any, stats: HttpStats) -> None:
        self.app = app
        self.stats = stats

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = [500]

        async def send_status(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        self.stats.in_flight += 1
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_status)
        finally:
            self.stats.in_flight -= 1
            self.stats.record(status[0], time.perf_counter() - started)


class HubCollector(Collector):
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def collect(self) -> Iterator[Metric]:
        hub = self.hub
        axons = GaugeMetricFamily("synapse_axons", "Axons by status.", labels=["status"])
        counts: dict[str, int] = {}
        for state in hub.registry.all():
            counts[state.status] = counts.get(state.status, 0) + 1
        for status, n in sorted(counts.items()):
            axons.add_metric([status], n)
        yield axons
        ingest = CounterMetricFamily(
            "synapse_ingest_messages", "Messages ingest handled, by outcome.", labels=["kind"]
        )
        for kind, n in sorted(hub.ingest.counts.items()):
            ingest.add_metric([kind], n)
        yield ingest
        http = hub.system.http
        yield CounterMetricFamily(
            "synapse_http_requests", "HTTP requests.", value=http.requests_total
        )
        yield CounterMetricFamily(
            "synapse_http_errors", "HTTP 5xx answers.", value=http.errors_total
        )
        yield GaugeMetricFamily(
            "synapse_http_in_flight", "HTTP requests in flight.", value=http.in_flight
        )
        quiet = hub.quiet.state
        yield GaugeMetricFamily("synapse_quiet_score", "Quiet score, 0-100.", value=quiet.score)
        level = GaugeMetricFamily(
            "synapse_quiet_state", "1 for the current quiet state.", labels=["state"]
        )
        for name in ("QUIET", "NORMAL", "BUSY", "PANIC"):
            level.add_metric([name], 1.0 if quiet.level.value == name else 0.0)
        yield level
        leases: dict[str, Any] = hub.leases.status()
        yield GaugeMetricFamily(
            "synapse_leases_active", "Active leases.", value=len(leases["active"])
        )
        yield GaugeMetricFamily(
            "synapse_leases_queued", "Queued lease intents.", value=len(leases["queued"])
        )
        yield GaugeMetricFamily(
            "synapse_lease_units_used", "Cost units held by active leases.", value=leases["used"]
        )
        yield GaugeMetricFamily(
            "synapse_lease_capacity_units", "Lease capacity now.", value=leases["capacity"]
        )
        decisions = CounterMetricFamily(
            "synapse_lease_decisions", "Lease decisions by kind.", labels=["kind"]
        )
        totals: dict[str, int] = {}
        for entry in hub.leases.summary():
            for kind, n in entry.get("decisions", {}).items():
                totals[kind] = totals.get(kind, 0) + n
        for kind, n in sorted(totals.items()):
            decisions.add_metric([kind], n)
        yield decisions
        snap = hub.system.latest
        if snap is not None:
            for group, data in snap.groups.items():
                for key, value in data.items():
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        yield GaugeMetricFamily(
                            f"synapse_{group}_{key}", f"{group} {key}.", value=value
                        )


def install(app: FastAPI, hub: Hub) -> None:
    app.add_middleware(HttpStatsMiddleware, stats=hub.system.http)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HubCollector(hub))
    router = APIRouter(tags=["meta"])

    @router.get("/metrics", dependencies=[ReaderDep], response_class=Response)
    async def metrics(_hub: HubDep) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(router)
