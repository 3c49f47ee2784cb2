"""The two ports the broker needs, faked in one place, and factories for a running broker.

- ``RecordingSink`` is the hub's ``InboundSink``: it keeps every ``Inbound`` and lets a test wait
  for "a message on topic X arrived" with a deadline.
- ``DictCredentials`` is the hub's ``Credentials``: axon id -> token, plus the hub's own login.
- ``make_broker(**settings_changes)`` starts an ``EmbeddedBroker`` on a free loopback port in a
  background thread with its own event loop (tests stay synchronous; ``call(coro)`` and
  ``run(fn)`` reach into the loop); ``make_client(...)`` connects a real paho client to it.
Everything started is stopped after the test.
"""

from __future__ import annotations

import asyncio
import hmac
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from broker import EmbeddedBroker
from hub.clock import Clock
from hub.ports import HUB_USERNAME, Identity, Inbound
from hub.settings import Settings
from hub.topics import Topics
from tests.broker import rawmqtt

T = TypeVar("T")
#: paho 2 reports a 3.1.1 CONNACK return code as the matching MQTT 5 reason code
V5_TO_V3_CONNACK = {132: 1, 133: 2, 136: 3, 134: 4, 135: 5}

HUB_TOKEN = "hub-" + "s3cr3t-" * 3
#: named axons with roles: a healthy one, a second one to spoof, and one nobody registered
TOKENS = {"nas-01": "tok-nas-" + "x" * 16, "cam-02": "tok-cam-" + "y" * 16}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RecordingSink:
    """Keeps every message; ``wait_for(topic)`` blocks until one arrives or fails the test."""

    def __init__(self) -> None:
        self.messages: list[Inbound] = []
        self._changed = threading.Condition()

    def handle(self, message: Inbound) -> None:
        with self._changed:
            self.messages.append(message)
            self._changed.notify_all()

    def on(self, topic: str) -> list[Inbound]:
        with self._changed:
            return [m for m in self.messages if m.topic == topic]

    def wait_for(self, topic: str, timeout: float = 5.0, count: int = 1) -> Inbound:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [m for m in self.messages if m.topic == topic]
                if len(found) >= count:
                    return found[count - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = sorted({m.topic for m in self.messages})
                    raise AssertionError(f"no message on {topic!r} within {timeout} s; saw {seen}")
                self._changed.wait(left)


class DictCredentials:
    """axon id -> token, compared in constant time; the hub logs in with HUB_TOKEN."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = dict(tokens)

    def authenticate(self, username: str | None, password: str | None) -> Identity:
        if username is None or password is None:
            return Identity.DENIED
        if username == HUB_USERNAME:
            ok = hmac.compare_digest(password.encode(), HUB_TOKEN.encode())
            return Identity.HUB if ok else Identity.DENIED
        expected = self.tokens.get(username)
        if expected is not None and hmac.compare_digest(password.encode(), expected.encode()):
            return Identity.AXON
        return Identity.DENIED


class LoopThread:
    """An event loop in a daemon thread; ``call`` runs a coroutine there and waits for it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def run(self, fn: Callable[..., T], *args: Any, timeout: float = 10.0) -> T:
        """Run a plain function on the loop thread (where the broker's state lives)."""
        done: Future[T] = Future()

        def step() -> None:
            try:
                done.set_result(fn(*args))
            except BaseException as exc:  # handed back to the test thread
                done.set_exception(exc)

        self.loop.call_soon_threadsafe(step)
        return done.result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@dataclass
class RunningBroker:
    broker: EmbeddedBroker
    sink: RecordingSink
    credentials: DictCredentials
    loop: LoopThread
    settings: Settings
    topics: Topics = field(default_factory=Topics)

    @property
    def port(self) -> int:
        return self.broker.port

    @property
    def stats(self) -> Any:
        return self.loop.run(lambda: self.broker.stats.snapshot())

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        return self.loop.call(coro, timeout)

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        return self.loop.run(fn, *args)

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> None:
        self.run(self.broker.publish, topic, payload, qos)

    def wait_stat(self, name: str, value: int, timeout: float = 5.0) -> None:
        self.until(lambda: self.broker.stats.snapshot()[name] >= value, timeout, f"stats.{name}")

    def until(self, check: Callable[[], Any], timeout: float = 5.0, what: str = "") -> Any:
        """Poll ``check`` on the broker's loop until it is truthy; fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        while not (value := self.run(check)):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what or check}")
            time.sleep(0.02)
        return value


@pytest.fixture(autouse=True)
def _close_raw_sockets() -> Iterator[None]:
    yield
    while rawmqtt.OPEN:
        rawmqtt.OPEN.pop().close()


@pytest.fixture
def make_broker() -> Iterator[Callable[..., RunningBroker]]:
    """``make_broker(tokens=..., clock=..., sink=..., **settings_changes)`` -> a started broker."""
    started: list[RunningBroker] = []

    def factory(
        *,
        tokens: dict[str, str] | None = None,
        clock: Clock | None = None,
        sink: Any = None,
        **changes: Any,
    ) -> RunningBroker:
        fields: dict[str, Any] = {"mqtt_host": "127.0.0.1", "mqtt_port": 0, "auth_delay_max": 0}
        fields.update(changes)
        settings = Settings(**fields)
        sink = sink or RecordingSink()
        credentials = DictCredentials(TOKENS if tokens is None else tokens)
        loop = LoopThread()

        async def build() -> EmbeddedBroker:
            broker = EmbeddedBroker(settings, sink, credentials, Topics(), clock)
            await broker.start()
            return broker

        running = RunningBroker(loop.call(build()), sink, credentials, loop, settings)
        started.append(running)
        return running

    yield factory
    for running in started:
        running.call(running.broker.stop())
        running.loop.close()


@dataclass
class PahoClient:
    """A connected paho client and what it received."""

    client: mqtt.Client
    received: list[mqtt.MQTTMessage]
    arrived: threading.Condition
    connack: int

    def subscribe(self, topic_filter: str, qos: int = 1, timeout: float = 5.0) -> list[int]:
        """Subscribe and return the SUBACK's reason codes (128 = refused)."""
        granted: Future[list[int]] = Future()
        self.client.on_subscribe = lambda c, u, mid, codes, props: granted.set_result(
            [code.value for code in codes]
        )
        self.client.subscribe(topic_filter, qos)
        return granted.result(timeout)

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> None:
        self.client.publish(topic, payload, qos=qos).wait_for_publish(5)

    def wait_message(self, topic: str, timeout: float = 5.0) -> mqtt.MQTTMessage:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                for message in self.received:
                    if message.topic == topic:
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"client got nothing on {topic!r} within {timeout} s")
                self.arrived.wait(left)

    def topics(self) -> list[str]:
        with self.arrived:
            return [m.topic for m in self.received]


@pytest.fixture
def make_client() -> Iterator[Callable[..., PahoClient]]:
    """``make_client(port, username, password, client_id=..., will=..., keepalive=...)``."""
    clients: list[mqtt.Client] = []

    def factory(
        port: int,
        username: str | None,
        password: str | None,
        *,
        client_id: str | None = None,
        will: tuple[str, bytes] | None = None,
        keepalive: int = 60,
        expect: int | None = 0,
    ) -> PahoClient:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"{username or 'anon'}-{len(clients)}",
            protocol=mqtt.MQTTv311,
        )
        if username is not None:
            client.username_pw_set(username, password)
        if will is not None:
            client.will_set(will[0], will[1], qos=1)
        received: list[mqtt.MQTTMessage] = []
        arrived = threading.Condition()
        connacked: Future[int] = Future()

        def on_message(c: Any, u: Any, message: mqtt.MQTTMessage) -> None:
            with arrived:
                received.append(message)
                arrived.notify_all()

        def on_connect(c: Any, u: Any, flags: Any, reason: Any, props: Any) -> None:
            if not connacked.done():
                connacked.set_result(V5_TO_V3_CONNACK.get(reason.value, reason.value))

        def on_disconnect(c: Any, u: Any, flags: Any, reason: Any, props: Any) -> None:
            if not connacked.done():
                connacked.set_result(-1)

        client.on_message = on_message
        client.on_connect = on_connect
        client.on_disconnect = on_disconnect
        client.reconnect_delay_set(30, 60)  # a refused client must not retry during the test
        clients.append(client)
        client.connect("127.0.0.1", port, keepalive=keepalive)
        client.loop_start()
        code = connacked.result(5)
        if expect is not None:
            assert code == expect, f"CONNACK {code} for {username!r}, expected {expect}"
        return PahoClient(client, received, arrived, code)

    yield factory
    for client in clients:
        client.disconnect()
        client.loop_stop()
