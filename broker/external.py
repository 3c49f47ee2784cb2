"""The hub as an ordinary MQTT client of an existing broker (mosquitto, EMQX).

Used when ``settings.broker_url`` is set. That broker does authentication and ACL; the hub only
subscribes to the axon topics and publishes commands, errors and lease answers. paho runs its
network loop in its own thread and reconnects by itself; every message is handed to the sink on
the asyncio loop thread (``call_soon_threadsafe``), so the hub never sees a second thread. The
username of an external broker's client is not known to us, so ``Inbound.username`` is ``None``.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from broker.stats import BrokerStats, hand_to_sink
from hub.clock import Clock
from hub.ports import Credentials, Inbound, InboundSink
from hub.settings import Settings
from hub.topics import Topics

log = logging.getLogger(__name__)

KEEPALIVE = 30
RECONNECT_MIN, RECONNECT_MAX = 1, 30


def parse_broker_url(url: str) -> tuple[str, int]:
    """``mqtt://host:port`` -> (host, port); a bad URL names itself."""
    parts = urlsplit(url)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise ValueError(f"SYNAPSE_BROKER_URL={url!r}: expected mqtt://host:port")
    return parts.hostname, parts.port or 1883


class ExternalBroker:
    def __init__(
        self,
        settings: Settings,
        sink: InboundSink,
        credentials: Credentials | None = None,
        topics: Topics | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Same arguments as ``EmbeddedBroker`` so the composition root can pick either;
        ``credentials`` and ``clock`` are unused: the external broker authenticates."""
        self.settings = settings
        self.stats = BrokerStats()
        self._sink = sink
        self._topics = topics or Topics(settings.topic_prefix)
        self._host, self._port = parse_broker_url(settings.broker_url)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connected = asyncio.Event()
        #: messages from paho's network thread waiting for the loop (see _on_message)
        self._inbox: collections.deque[Inbound] = collections.deque()
        self._drain_scheduled = False
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"synapse-hub-{os.getpid()}-{os.urandom(3).hex()}",
            protocol=mqtt.MQTTv311,
            clean_session=True,
        )
        if settings.broker_username:
            self._client.username_pw_set(
                settings.broker_username, settings.broker_password.get_secret_value() or None
            )
        self._client.reconnect_delay_set(RECONNECT_MIN, RECONNECT_MAX)
        self._client.max_queued_messages_set(settings.client_queue_limit)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    @property
    def port(self) -> int:
        return self._port

    async def start(self, timeout: float = 10.0) -> None:
        """Connect and subscribe; waits for the first CONNACK, reconnects by itself afterwards."""
        self._loop = asyncio.get_running_loop()
        self._client.connect_async(self._host, self._port, keepalive=KEEPALIVE)
        self._client.loop_start()
        try:
            await asyncio.wait_for(self._connected.wait(), timeout)
        except TimeoutError:
            log.warning("no answer from %s:%d yet; paho keeps retrying", self._host, self._port)

    async def stop(self) -> None:
        self._client.disconnect()
        await asyncio.to_thread(self._client.loop_stop)
        self._connected.clear()

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> None:
        """Queued by paho (bounded by client_queue_limit); never retained."""
        info = self._client.publish(topic, payload, qos=qos, retain=False)
        if info.rc == mqtt.MQTT_ERR_SUCCESS or info.rc == mqtt.MQTT_ERR_NO_CONN:
            self.stats.messages_out += 1
        else:
            self.stats.dropped_slow_consumer += 1

    # --- paho callbacks: network thread ------------------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("external broker refused the hub: %s", reason)
            self._call(self._count_refusal)
            return
        client.subscribe([(f, 1) for f in self._topics.subscriptions()])
        self._call(self._mark_connected)

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self._call(self._mark_disconnected)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        inbound = Inbound(
            message.topic, bytes(message.payload), username=None, retain=bool(message.retain)
        )
        # One loop wake-up per burst, not per message: call_soon_threadsafe writes to the
        # loop's self-pipe each time, which capped ingest well below mosquitto's rate.
        self._inbox.append(inbound)
        if not self._drain_scheduled:
            self._drain_scheduled = True
            self._call(self._drain)

    def _call(self, callback: Any, *args: Any) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(callback, *args)

    # --- loop thread -------------------------------------------------------------------------

    def _mark_connected(self) -> None:
        self.stats.connections = 1
        self.stats.connections_total += 1
        self._connected.set()

    def _mark_disconnected(self) -> None:
        self.stats.connections = 0
        self._connected.clear()

    def _count_refusal(self) -> None:
        self.stats.refused_connects += 1

    def _drain(self) -> None:
        self._drain_scheduled = False  # before popping: a message appended now schedules again
        inbox = self._inbox
        while inbox:
            self._deliver(inbox.popleft())

    def _deliver(self, message: Inbound) -> None:
        self.stats.messages_in += 1
        hand_to_sink(self._sink, message, self.stats)
