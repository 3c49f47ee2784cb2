"""Alert tests: a hub on a ManualClock, and a real HTTP endpoint that apprise delivers to."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hub.hub import Hub
from tests.factories import registration, send


class Sink:
    """A loopback HTTP server that keeps every JSON body posted to it (apprise's json://)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        #: paths answered with 500 whatever ``status`` says
        self.failing: set[str] = set()
        #: while cleared, requests hang (a slow channel); set by default
        self.gate = threading.Event()
        self.gate.set()
        self.waiting = threading.Event()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                if not sink.gate.is_set():
                    sink.waiting.set()
                    sink.gate.wait(10)
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                sink.received.append({"path": self.path, **json.loads(body or b"{}")})
                self.send_response(500 if self.path in sink.failing else sink.status)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def url(self, path: str = "alerts") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def titles(self) -> list[str]:
        return [m["title"] for m in self.received]

    def close(self) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sink() -> Iterator[Sink]:
    s = Sink()
    yield s
    s.close()


@pytest.fixture
def alert_hub(make_hub: Callable[..., Hub], sink: Sink) -> Callable[..., Hub]:
    """A hub that sends at once (no grouping wait) to the sink, with ``nas-01`` registered."""

    def factory(**settings: Any) -> Hub:
        settings.setdefault("alert_group_window", 0.0)
        settings.setdefault("notify_urls", sink.url())
        hub = make_hub(**settings)
        return hub

    return factory


def register(hub: Hub, axon_id: str = "nas-01", **changes: Any) -> None:
    send(hub, f"synapse/register/{axon_id}", registration(id=axon_id, **changes))
    hub.approve(axon_id)


def report(hub: Hub, values: dict[str, Any], axon_id: str = "nas-01") -> None:
    send(hub, f"synapse/report/{axon_id}", values, username=axon_id)


def cpu_widget(*monitors: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"id": "cpu", "type": "stat", "label": "CPU", "unit": "%", "monitors": list(monitors)},
        {"id": "status", "type": "status", "label": "Status"},
        {"id": "disk", "type": "stat", "label": "Disk"},
    ]


def deliver(hub: Hub) -> None:
    """One dispatch and the delivery worker until it has nothing left."""
    hub.alerts_step()
    while hub.delivery_step():
        pass
