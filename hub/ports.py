"""The seams between the hub and the transports that drive it.

The hub imports no broker and no web framework. A transport (the embedded amqtt broker, the
client of an external broker, the HTTP layer) hands the hub ``Inbound`` messages through
``InboundSink.handle`` and gives it a ``Publisher`` for the few topics the hub writes
(commands, errors, lease answers). The embedded broker also asks ``Credentials`` who may connect.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol

#: MQTT username of the hub's own connection; it fails the axon-id pattern, so no axon can take it
HUB_USERNAME = "_hub"


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from an axon, as the transport saw it."""

    topic: str
    payload: bytes
    #: the authenticated MQTT username, or None where the transport cannot tell (external broker)
    username: str | None = None
    #: delivered from a broker's retained store (a replay on subscribe), not published live:
    #: its values are kept, but it never counts as a fresh heartbeat. The embedded broker
    #: stores no retained messages, so there it is always False.
    retain: bool = False
    #: "mqtt" or "http"
    via: str = "mqtt"


class InboundSink(Protocol):
    def handle(self, message: Inbound) -> None:
        """Take one message. Must not block and must not raise: bad input is answered, not thrown."""
        ...


class Publisher(Protocol):
    def publish(self, topic: str, payload: bytes, qos: int = 1) -> None:
        """Queue a message for delivery; returns at once. Never retained."""
        ...


class Identity(Enum):
    DENIED = "denied"
    AXON = "axon"
    HUB = "hub"


class Credentials(Protocol):
    def authenticate(self, username: str | None, password: str | None) -> Identity:
        """Check a CONNECT's credentials in constant time; may record a first-contact claim."""
        ...
