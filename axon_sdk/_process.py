"""Process plumbing for a running axon: reconnect jitter, SIGTERM, default logging."""

from __future__ import annotations

import logging
import random
import signal
import threading
from collections.abc import Callable

import paho.mqtt.client as mqtt

log = logging.getLogger("axon_sdk")

#: reconnect backoff bounds in seconds (paho doubles the delay between them)
RECONNECT_MIN = 1.0
RECONNECT_MAX = 30.0


def jitter_backoff(client: mqtt.Client) -> None:
    """Exponential backoff (paho doubles the delay) scaled by a per-disconnect random factor,
    so axons that lost the same broker do not all come back in the same second."""
    factor = random.uniform(0.5, 1.5)  # noqa: S311 - jitter, not cryptography
    client.reconnect_delay_set(RECONNECT_MIN * factor, RECONNECT_MAX * factor)  # type: ignore[arg-type]


def on_sigterm(handler: Callable[[], object]) -> Callable[[], None]:
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: handler())

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore


def default_logging() -> None:
    if logging.getLogger().handlers or log.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    # paho's own lines (e.g. "Client is not connected" on each retry) repeat ours in its words;
    # they show when the program configures logging itself
    logging.getLogger("axon_sdk.mqtt").setLevel(logging.CRITICAL)
