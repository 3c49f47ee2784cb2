"""Things that happened, for whoever listens now (``?wait=``, the dashboard's live stream).

Events are not storage: every one of them is also a row somewhere (a transition, a command, a
snapshot). Listeners run synchronously on the hub's thread and must be quick; a slow consumer
(a browser) puts events in its own bounded queue and drops when it is full.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Event:
    kind: str  # status | registered | values | command | approval
    axon_id: str
    at: float
    data: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; returns the function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def emit(self, event: Event) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # one broken listener must not stop ingest or the others
                log.exception("an event listener failed on %s", event.kind)
