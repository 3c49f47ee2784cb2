"""The embedded broker: amqtt's ``Broker`` with its connection path replaced, and the hub's port.

``AmqttBroker`` keeps what amqtt does well (listener configuration, the start/stop state
machine, the plugin manager for anyone who wants one) and overrides what it gets wrong for a
hub that faces untrusted clients:

- ``_create_server_instance``: every socket is a ``broker.connection.Connection`` (bounded
  framing, CONNECT deadline, keepalive, prompt refusal over the limit) instead of
  ``stream_connected`` -> ``BrokerProtocolHandler``;
- ``_broadcast_message`` / ``internal_message_broadcast``: routed at once through the
  subscription index instead of a queue scanned against every filter;
- ``retain_message``: a no-op; nothing is retained, so nothing is replayed to strangers;
- ``_session_monitor`` / ``_broadcast_loop``: not needed (sessions are clean, routing is inline);
- the plugin set is explicitly empty: authentication and ACL live in ``Router``.

``EmbeddedBroker`` is what the composition root builds; it implements ``hub.ports.Publisher``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from amqtt.broker import Broker
from amqtt.contexts import ListenerType

from broker.acl import is_valid_topic_name
from broker.connection import Connection
from broker.router import Router
from broker.stats import BrokerStats
from hub.clock import Clock, SystemClock
from hub.ports import Credentials, InboundSink
from hub.settings import Settings
from hub.topics import Topics

log = logging.getLogger(__name__)

#: amqtt logs per packet at INFO/DEBUG; the broker's own counters replace that
AMQTT_LOGGERS = ("amqtt", "transitions")
LISTEN_BACKLOG = 4096


class AmqttBroker(Broker):
    """amqtt's broker whose connections, routing and retention are the ``Router``'s."""

    def __init__(self, router: Router, host: str, port: int) -> None:
        config: dict[str, Any] = {
            "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
            "plugins": {},  # amqtt's default set costs a third of throughput and allows anonymous
        }
        super().__init__(config, loop=asyncio.get_running_loop())
        self._router = router

    async def _create_server_instance(
        self,
        listener_name: str,
        listener_type: ListenerType,
        address: str | None,
        port: int,
        ssl_context: Any,
    ) -> asyncio.Server:
        router = self._router
        return await asyncio.get_running_loop().create_server(
            lambda: Connection(router),
            address,
            port,
            reuse_address=True,
            ssl=ssl_context,
            backlog=LISTEN_BACKLOG,
        )

    async def _broadcast_loop(self) -> None:
        """Nothing to drain: messages are routed when they arrive."""

    async def _session_monitor(self) -> None:
        """Nothing to expire: every session is clean and ends with its connection."""

    async def _broadcast_message(
        self, session: Any, topic: str | None, data: Any, force_qos: int | None = None
    ) -> None:
        if topic is not None and data is not None:
            self._router.route(topic, bytes(data), force_qos or 0)

    async def retain_message(
        self, source_session: Any, topic_name: Any, data: Any, qos: Any = None
    ) -> None:
        """Retained messages are never stored (amqtt replayed them to clients that never asked)."""

    async def shutdown(self) -> None:
        for server in self._servers.values():
            if server.instance is not None:
                server.instance.close()  # stop accepting before closing what is open
        self._router.close_all()
        await super().shutdown()

    def bound_port(self) -> int:
        server = self._servers["default"].instance
        assert isinstance(server, asyncio.Server)  # noqa: S101 - TCP listener only
        return int(server.sockets[0].getsockname()[1])


class EmbeddedBroker:
    """The default transport: an MQTT broker in the hub's own process and event loop."""

    def __init__(
        self,
        settings: Settings,
        sink: InboundSink,
        credentials: Credentials,
        topics: Topics,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.stats = BrokerStats()
        self._router = Router(
            settings, sink, credentials, topics, clock or SystemClock(), self.stats
        )
        self._broker: AmqttBroker | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread_id: int | None = None
        self._port = 0

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("the broker is not started")
        return self._port

    @property
    def router(self) -> Router:
        """The broker's decisions (sessions, index, throttle); for tests and the stats page."""
        return self._router

    async def start(self) -> None:
        for name in AMQTT_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
        self._loop = asyncio.get_running_loop()
        self._thread_id = threading.get_ident()
        self._broker = AmqttBroker(self._router, self.settings.mqtt_host, self.settings.mqtt_port)
        await self._broker.start()
        self._port = self._broker.bound_port()
        log.info("MQTT broker listening on %s:%d", self.settings.mqtt_host, self._port)

    async def stop(self) -> None:
        if self._broker is None:
            return
        broker, self._broker = self._broker, None
        await broker.shutdown()
        # let the closed transports call connection_lost before the loop moves on
        await asyncio.sleep(0)
        self._port = 0

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> None:
        """Deliver to subscribers now (on the loop thread) or on the next loop turn; never retained."""
        if not is_valid_topic_name(topic):
            raise ValueError(f"cannot publish on {topic!r}: not a valid MQTT topic name")
        if qos not in (0, 1, 2):
            raise ValueError(f"qos must be 0, 1 or 2, not {qos!r}")
        loop = self._loop
        if loop is None or self._broker is None:
            raise RuntimeError("the broker is not started")
        if threading.get_ident() == self._thread_id:
            self._router.route(topic, bytes(payload), qos)
        else:
            loop.call_soon_threadsafe(self._router.route, topic, bytes(payload), qos)
