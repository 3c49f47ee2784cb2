"""The broker's decisions: who is connected, who may do what, and where a message goes.

Connections (``broker.connection``) speak MQTT and ask the ``Router`` everything else. A PUBLISH
an axon is allowed to send is handed to the hub's ``InboundSink`` right here, synchronously, with
the authenticated username, and then fanned out to subscribers through the ``SubscriptionIndex``.
There is no broadcast queue and no loopback client: the message is ingested in the same loop
iteration that read it. Retained messages are never stored, so nobody ever receives a message
it did not subscribe to. A live publish reaches the hub with ``retain=False`` whatever flag the
client set, exactly as an external broker delivers it to an existing subscriber; ``retain=True``
is reserved for replays, which this broker never makes.
"""

from __future__ import annotations

import itertools
import logging
import os
from typing import TYPE_CHECKING

from broker.acl import TopicPolicy, is_valid_topic_name
from broker.auth_throttle import AuthThrottle
from broker.stats import BrokerStats, hand_to_sink
from broker.subscriptions import SubscriptionIndex
from broker.wire import SUBACK_FAILURE, publish_parts
from hub.clock import Clock
from hub.ports import Credentials, Identity, Inbound, InboundSink
from hub.settings import Settings
from hub.topics import Topics

if TYPE_CHECKING:
    from broker.connection import Connection

log = logging.getLogger(__name__)

#: granted subscription QoS is capped here: the broker never runs the QoS 2 outbound flow
MAX_GRANTED_QOS = 1


class Router:
    def __init__(
        self,
        settings: Settings,
        sink: InboundSink,
        credentials: Credentials,
        topics: Topics,
        clock: Clock,
        stats: BrokerStats,
    ) -> None:
        self.settings = settings
        self.stats = stats
        self.policy = TopicPolicy(topics)
        self.throttle = AuthThrottle(clock, settings.auth_delay_max)
        self.index: SubscriptionIndex[Connection] = SubscriptionIndex()
        self.sessions: dict[str, Connection] = {}
        self._sink = sink
        self._credentials = credentials
        self._open: set[Connection] = set()
        self._ids = itertools.count(1)
        self._id_salt = os.urandom(4).hex()

    # --- connections ------------------------------------------------------------------------

    def admit(self, connection: Connection) -> bool:
        """Count a new socket against max_connections; ``False`` means close it at once."""
        if len(self._open) >= self.settings.max_connections:
            self.stats.refused_connects += 1
            self.stats.refused_over_limit += 1
            return False
        self._open.add(connection)
        return True

    def release(self, connection: Connection) -> None:
        self._open.discard(connection)

    @property
    def open_sockets(self) -> int:
        """Sockets counted against max_connections, including those still before CONNECT."""
        return len(self._open)

    def generate_client_id(self) -> str:
        return f"auto-{self._id_salt}-{next(self._ids)}"

    def authenticate(
        self, username: str | None, password: str | None, address: str | None
    ) -> Identity:
        """Ask the hub's credentials; anonymous clients are refused without asking."""
        if not username:
            return Identity.DENIED
        try:
            return self._credentials.authenticate(username, password)
        except Exception:
            log.exception("credentials check failed for %r; refusing", username)
            return Identity.DENIED

    def auth_failed(self, username: str | None, address: str | None) -> float:
        """Record a failed login; returns how long to wait before answering it."""
        self.stats.auth_failures += 1
        log.info("refused login for %r from %s", username, address)  # never the password
        return self.throttle.record_failure(username, address)

    def register(self, connection: Connection) -> bool:
        """Make ``connection`` the session of its client id, closing an older one."""
        self.throttle.record_success(connection.username, connection.address)
        existing = self.sessions.get(connection.client_id)
        if existing is not None:
            if existing.username != connection.username:
                return False  # one axon cannot kick another off by borrowing its client id
            existing.take_over()
        self.sessions[connection.client_id] = connection
        self.stats.connections += 1
        self.stats.connections_total += 1
        return True

    def unregister(self, connection: Connection) -> None:
        """Forget a closed connection; publish its will unless it said DISCONNECT."""
        if self.sessions.get(connection.client_id) is connection:
            del self.sessions[connection.client_id]
        self.stats.connections -= 1
        self.index.remove_all(connection)
        will = connection.will
        connection.will = None
        if will is not None:
            self.stats.wills_published += 1
            self.accept_publish(connection, will.topic, will.payload, will.qos, will.retain)

    def close_all(self) -> None:
        """Close every socket, connected or not, without publishing wills (the broker stops)."""
        for connection in list(self._open):
            connection.shutdown()

    # --- messages ---------------------------------------------------------------------------

    def accept_publish(
        self, source: Connection, topic: str, payload: bytes, qos: int, retain: bool
    ) -> bool:
        """A client's PUBLISH (or will): check the ACL, ingest it, route it. Never stored."""
        if source.identity is Identity.AXON:
            if self.policy.axon_publish(source.username, topic) is None:
                self.stats.refused_publishes += 1
                return False
            self.stats.messages_in += 1
            # live, not a replay from a store: see the module docstring
            self._ingest(Inbound(topic, payload, username=source.username, retain=False))
        elif source.identity is Identity.HUB and is_valid_topic_name(topic):
            self.stats.messages_in += 1
        else:
            self.stats.refused_publishes += 1
            return False
        self.route(topic, payload, qos)
        return True

    def route(self, topic: str, payload: bytes, qos: int) -> int:
        """Deliver to every subscriber at min(publish QoS, subscription QoS); never retained."""
        targets = self.index.match(topic)
        if not targets:
            return 0
        frames: dict[int, tuple[bytes, bytes]] = {}
        for connection, granted in targets.items():
            level = min(qos, granted)
            parts = frames.get(level)
            if parts is None:
                parts = frames[level] = publish_parts(topic, payload, level)
            connection.deliver(parts[0], parts[1], level)
        return len(targets)

    def _ingest(self, message: Inbound) -> None:
        hand_to_sink(self._sink, message, self.stats)

    # --- subscriptions ----------------------------------------------------------------------

    def subscribe(self, connection: Connection, requests: list[tuple[str, int]]) -> list[int]:
        codes: list[int] = []
        for topic_filter, qos in requests:
            if not self.policy.may_subscribe(
                connection.identity, connection.username, topic_filter
            ):
                self.stats.refused_subscribes += 1
                codes.append(SUBACK_FAILURE)
                continue
            granted = min(qos, MAX_GRANTED_QOS)
            self.index.add(topic_filter, connection, granted)
            codes.append(granted)
        return codes

    def unsubscribe(self, connection: Connection, filters: list[str]) -> None:
        for topic_filter in filters:
            self.index.remove(topic_filter, connection)
