"""A whole hub (broker, hub, HTTP) running in a background thread on free loopback ports."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from hub.clock import Clock
from hub.settings import Settings
from synapse.runtime import Runtime
from tests.factories import make_settings

T = TypeVar("T")


class RunningHub:
    """Start with ``RunningHub.start(tmp_path, ...)``; ``stop()`` is what SIGTERM does."""

    def __init__(self, settings: Settings, clock: Clock | None) -> None:
        self.settings = settings
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.runtime: Runtime = self.call(self._build(settings, clock))
        self.call(self.runtime.start())
        self.api_key = self.run(self.runtime.hub.mint_api_key, "tests")
        self.http = httpx.Client(
            base_url=f"http://127.0.0.1:{self.runtime.http_port}",
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=10,
        )

    @classmethod
    def start(cls, tmp_path: Path, clock: Clock | None = None, **changes: Any) -> RunningHub:
        return cls(make_settings(tmp_path, **changes), clock)

    @staticmethod
    async def _build(settings: Settings, clock: Clock | None) -> Runtime:
        return Runtime(settings, clock)

    @property
    def hub(self):  # noqa: ANN201  (the Hub; touch it only through run())
        return self.runtime.hub

    @property
    def mqtt_port(self) -> int:
        return self.runtime.mqtt_port

    @property
    def http_port(self) -> int:
        return self.runtime.http_port

    def call(self, coro: Any, timeout: float = 30) -> Any:
        """Run a coroutine on the hub's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``fn`` on the hub's loop thread (the hub is single-threaded by design)."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def target() -> None:
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:
                future.set_exception(exc)

        self._loop.call_soon_threadsafe(target)
        return future.result(30)

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 10, what: str = "") -> Any:
        """Poll ``predicate`` on the loop thread until it is truthy (a network round trip)."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.run(predicate)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
            time.sleep(0.02)

    def stop(self) -> None:
        if not self._loop.is_running():
            return
        self.http.close()
        self.call(self.runtime.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
