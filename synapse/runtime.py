"""The composition root: settings → storage → hub → broker → web, in one process and one loop.

``Runtime`` is the only place where the parts meet. Tests build one per test with their own
settings (free ports, a temporary data dir) and a ``ManualClock``; two runtimes can live in one
process because nothing is built at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import signal
from collections.abc import Awaitable, Callable, Generator

import uvicorn

from broker import EmbeddedBroker, ExternalBroker
from hub.clock import Clock, SystemClock
from hub.collectors import IngestCollector
from hub.hub import Hub
from hub.settings import Settings
from hub.storage import Storage
from web import pages
from web.app import create_app

log = logging.getLogger("synapse")

#: how often the hub notes that it is alive (to measure downtime after a crash)
ALIVE_INTERVAL = 30.0


class _EmbeddedUvicorn(uvicorn.Server):
    """uvicorn without its own signal handling: the runtime decides when to stop and flushes."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class Runtime:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.storage = Storage(settings.effective_database_url)
        self.hub = Hub(settings, self.storage, self.clock)
        self.broker: EmbeddedBroker | ExternalBroker
        if settings.broker_url:
            self.broker = ExternalBroker(settings, self.hub, topics=self.hub.topics)
        else:
            self.broker = EmbeddedBroker(
                settings, self.hub, self.hub.credentials, self.hub.topics, self.clock
            )
        self.app = create_app(self.hub)
        self._http: _EmbeddedUvicorn | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopped = asyncio.Event()

    @property
    def http_port(self) -> int:
        if self._http is None or not self._http.servers:
            return self.settings.http_port
        sockets = self._http.servers[0].sockets
        return int(sockets[0].getsockname()[1])

    @property
    def mqtt_port(self) -> int:
        return self.broker.port if isinstance(self.broker, EmbeddedBroker) else 0

    async def start(self) -> None:
        self.hub.start()
        await self.broker.start()
        self.hub.attach(self.broker)
        config = uvicorn.Config(
            self.app,
            host=self.settings.http_host,
            port=self.settings.http_port,
            log_level="warning",
            lifespan="off",
            access_log=False,
            # open dashboard event streams never finish by themselves: cut them at stop
            timeout_graceful_shutdown=1,
        )
        self._http = _EmbeddedUvicorn(config)
        self._tasks.append(asyncio.create_task(self._http.serve(), name="http"))
        while not self._http.started:
            if self._tasks[0].done():
                self._tasks[0].result()  # raises the bind error
            await asyncio.sleep(0.01)
        self._every(self.settings.liveness_interval, self._liveness, "liveness")
        self._every(1.0, self._commands, "commands")
        # monitors → alerts on this loop; delivery (network) in a worker thread
        self._every(1.0, self._alerts, "alerts")
        self._every(1.0, self._delivery, "delivery")
        # stats → quiet state → leases: sample in threads, expire and grant leases each second
        self.hub.system.add_default_collectors()
        self.hub.system.collectors.append(
            IngestCollector(
                self.hub.ingest.counts, lambda: dataclasses.asdict(self.broker.stats), self.clock
            )
        )
        self._every(self.settings.stats_interval, self._sample, "stats")
        self._every(1.0, self._leases, "leases")
        self._every(3600.0, self._stats_retention, "stats-retention")
        self._history_pending = asyncio.Event()
        loop = asyncio.get_running_loop()

        def history_pending() -> None:
            loop.call_soon_threadsafe(self._history_pending.set)

        self.hub.history.on_pending = history_pending
        self._tasks.append(asyncio.create_task(self._flush_loop(), name="history"))
        self._every(3600.0, self._prune, "retention")
        self._every(ALIVE_INTERVAL, self._alive, "alive")
        # Everything built so far lives as long as the process: move it out of the collector's
        # sight so a full collection does not walk tens of thousands of long-lived objects
        # (SQLAlchemy, FastAPI, pydantic) while reports wait.
        gc.collect()
        gc.freeze()
        log.info(
            "synapse is up: MQTT on %s:%s, HTTP on http://%s:%s, database %s",
            self.settings.mqtt_host,
            self.mqtt_port or self.settings.mqtt_port,
            self.settings.http_host,
            self.http_port,
            self.storage.safe_url,
        )

    async def stop(self) -> None:
        """Stop taking messages, then write everything accepted: nothing is lost on SIGTERM."""
        if self._http is not None:
            self._http.should_exit = True
            pages.close_streams(self.app)  # dashboards' event streams end instead of hanging
        await self.broker.stop()
        for task in self._tasks:
            if task.get_name() != "http":
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.to_thread(self.hub.stop)
        self.storage.dispose()
        self._stopped.set()
        log.info("synapse stopped")

    async def serve_forever(self) -> None:
        """Run until SIGTERM or SIGINT, then stop cleanly."""
        await self.start()
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await self.stop()

    # -- background steps: the loop only waits; the work is a step tests call directly --
    def _every(self, interval: float, step: Callable[[], Awaitable[None]], name: str) -> None:
        async def loop() -> None:
            while True:
                await asyncio.sleep(interval)
                try:
                    await step()
                except Exception:
                    log.exception("the %s step failed; it will run again", name)

        self._tasks.append(asyncio.create_task(loop(), name=name))

    async def _liveness(self) -> None:
        self.hub.liveness_step()

    async def _commands(self) -> None:
        self.hub.commands_step()

    async def _alerts(self) -> None:
        self.hub.alerts_step()

    async def _delivery(self) -> None:
        """Sends block on the network: off the loop, so ingest never waits for a channel."""
        while await asyncio.to_thread(self.hub.delivery_step):
            pass

    async def _sample(self) -> None:
        await self.hub.system.sample()

    async def _leases(self) -> None:
        self.hub.leases.step()

    async def _stats_retention(self) -> None:
        self.hub.system.maintain()

    async def _flush_loop(self) -> None:
        """Group commit: sleep until something is buffered, linger briefly, write it all in one
        transaction; whatever arrives during the write forms the next batch. At low load a
        report is stored within milliseconds, at high load batches grow by themselves."""
        while True:
            await self._history_pending.wait()
            await asyncio.sleep(self.settings.history_flush_interval)
            self._history_pending.clear()
            try:
                await asyncio.to_thread(self.hub.flush)
            except Exception:
                log.exception("writing history failed; it will be retried")
                self._history_pending.set()

    async def _prune(self) -> None:
        cutoff = self.clock.now() - self.settings.history_retention_days * 86400
        await asyncio.to_thread(self.hub.history.prune, cutoff)

    async def _alive(self) -> None:
        await asyncio.to_thread(self.hub.liveness.mark_alive)
