"""Named axons the dashboard tests use, and a helper to register one as a transport would."""

from __future__ import annotations

from typing import Any

from tests.factories import registration, send
from tests.runtime import RunningHub

#: a healthy axon without monitors (the tests here are about pages, not alert rules)
PLAIN_WIDGETS = [
    {"id": "cpu", "type": "stat", "label": "CPU", "unit": "%"},
    {"id": "status", "type": "status", "label": "Status"},
]

HOSTILE = "<img src=x onerror=alert('label')>"
HOSTILE_DOCS = """# Hostile docs

<script>alert('script')</script>
<img src=x onerror="alert('img')">
<svg onload="alert('svg')"><script>alert('svg-script')</script></svg>
[click me](javascript:alert('link'))
[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
<a href="javascript:alert('raw')">raw link</a>
<iframe src="javascript:alert('frame')"></iframe>

[a fine link](https://example.org/ok)
"""


def plain(axon_id: str = "nas-01", **changes: Any) -> dict[str, Any]:
    body = registration(id=axon_id, widgets=PLAIN_WIDGETS)
    body.update(changes)
    return body


def register(running: RunningHub, body: dict[str, Any], token: str | None = None) -> None:
    """Mint a token (so the axon is approved at first contact) and register, then report."""
    axon_id = body["id"]
    if token is None:
        running.run(running.hub.mint_axon_token, axon_id)
    running.run(send, running.hub, f"synapse/register/{axon_id}", body, username=axon_id)


def report(running: RunningHub, axon_id: str, values: dict[str, Any]) -> None:
    running.run(send, running.hub, f"synapse/report/{axon_id}", values, username=axon_id)
