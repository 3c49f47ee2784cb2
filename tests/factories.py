"""Plain factories shared by the suite: settings, registrations, free ports, sending messages."""

from __future__ import annotations

import copy
import json
import socket
from pathlib import Path
from typing import Any

from hub.hub import Hub
from hub.ports import Inbound
from hub.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_settings(tmp_path: Path, **changes: Any) -> Settings:
    fields: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "mqtt_host": "127.0.0.1",
        "mqtt_port": 0,
        "http_host": "127.0.0.1",
        "http_port": 0,
    }
    fields.update(changes)
    return Settings(**fields)


HEALTHY: dict[str, Any] = {
    "id": "nas-01",
    "name": "Basement NAS",
    "ttl": 60,
    "docs": "# NAS\nKeeps the photos.",
    "actions": [{"id": "restart", "label": "Restart", "style": "danger"}],
    "widgets": [
        {
            "id": "cpu",
            "type": "stat",
            "label": "CPU",
            "unit": "%",
            "monitors": [{"condition": "value > 90", "severity": "error", "message": "High CPU"}],
        },
        {"id": "status", "type": "status", "label": "Status"},
    ],
}


def registration(**changes: Any) -> dict[str, Any]:
    """A healthy registration, with ``changes`` laid over it."""
    data = copy.deepcopy(HEALTHY)
    data.update(changes)
    return data


def send(hub: Hub, topic: str, payload: Any, *, username: str | None = None, **kw: Any) -> None:
    """Hand a message to the hub the way a transport does."""
    if isinstance(payload, bytes):
        body = payload
    elif isinstance(payload, str):
        body = payload.encode()
    else:
        body = json.dumps(payload).encode()
    hub.handle(Inbound(topic=topic, payload=body, username=username, **kw))
