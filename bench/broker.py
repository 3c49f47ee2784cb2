"""Benchmark of the embedded broker (not a test). Run: .venv/bin/python bench/broker.py

Prints:
  (a) raw amqtt 0.12 forwarding (default plugins, one paho subscriber) vs our in-broker ingest;
  (b) in-broker ingest with 10 vs 1,000 connected, subscribed axons, as a ratio;
  (c) the time for 5,000 axons to connect and subscribe;
  (d) in-broker ingest vs ingest through a loopback paho client logged in as the hub.
Publishers are paho clients in separate processes (multiprocessing); idle axons are raw sockets
in a helper process. Loopback only, bounded counts, every wait has a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing as mp
import socket
import struct
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # this file is named broker.py: make `import broker` find the package

import paho.mqtt.client as mqtt  # noqa: E402
from amqtt.broker import Broker  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from broker import EmbeddedBroker, ExternalBroker  # noqa: E402
from hub.ports import HUB_USERNAME, Identity, Inbound  # noqa: E402
from hub.settings import Settings  # noqa: E402
from hub.topics import Topics  # noqa: E402

HUB_TOKEN = "bench-hub-token"  # noqa: S105 - a loopback benchmark login
DEADLINE = 120.0


class Tokens:
    def authenticate(self, username: str | None, password: str | None) -> Identity:
        if username == HUB_USERNAME:
            return Identity.HUB if password == HUB_TOKEN else Identity.DENIED
        return Identity.AXON if username and password == "tok-" + username else Identity.DENIED


class CountingSink:
    def __init__(self) -> None:
        self.count = 0
        self.target = 0
        self.reached = threading.Event()

    def expect(self, n: int) -> None:
        self.count, self.target = 0, n
        self.reached.clear()

    def handle(self, message: Inbound) -> None:
        self.count += 1
        if self.count == self.target:
            self.reached.set()


class IgnoringSink:
    def handle(self, message: Inbound) -> None:
        pass


# --- helper processes --------------------------------------------------------------------------


def _paho(port: int, user: str | None, client_id: str) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
    if user:
        client.username_pw_set(user, "tok-" + user)
    connected = threading.Event()
    client.on_connect = lambda *a: connected.set()
    client.connect("127.0.0.1", port, keepalive=60)
    client.loop_start()
    if not connected.wait(10):
        raise SystemExit("publisher could not connect")
    return client


def publisher(port: int, user: str | None, count: int, ready: Any, go: Any) -> None:
    """One paho client publishing ``count`` QoS 0 reports as fast as paho goes."""
    client = _paho(port, user, f"pub-{user}")
    topic = f"synapse/report/{user or 'bench-00000'}"
    ready.set()
    go.wait(DEADLINE)
    info = None
    for _ in range(count):
        info = client.publish(topic, b'{"cpu": 1}', qos=0)
    if info is not None:
        info.wait_for_publish(DEADLINE)
    time.sleep(1)
    client.disconnect()
    client.loop_stop()


def subscriber(port: int, count: int, ready: Any, result: Any) -> None:
    """A paho client on raw amqtt, subscribed to everything; reports when the last one came."""
    got = [0]
    done = threading.Event()

    def on_message(*_: Any) -> None:
        got[0] += 1
        if got[0] == count:
            result.put(time.time())
            done.set()

    client = _paho(port, None, "sub")
    client.on_message = on_message
    subscribed = threading.Event()
    client.on_subscribe = lambda *a: subscribed.set()
    client.subscribe("synapse/#", 0)
    subscribed.wait(10)
    ready.set()
    if not done.wait(DEADLINE):
        result.put(-float(got[0]))
    client.disconnect()
    client.loop_stop()


def _length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _s(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("!H", len(raw)) + raw


def idle_axons(port: int, first: int, count: int, result: Any, stop: Any) -> None:
    """Connect ``count`` raw-socket axons, each subscribed to its command/error/lease topics."""
    started = time.perf_counter()
    socks = []
    for n in range(first, first + count):
        name = f"bench-{n:05d}"
        body = _s("MQTT") + bytes((4, 0xC2)) + struct.pack("!H", 600) + _s(name) + _s(name)
        body += _s("tok-" + name)
        sub = struct.pack("!H", 1) + b"".join(
            _s(f) + b"\x01"
            for f in (f"synapse/command/{name}", f"synapse/error/{name}", f"synapse/lease/{name}/#")
        )
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"\x10" + _length(len(body)) + body + b"\x82" + _length(len(sub)) + sub)
        socks.append(sock)
    for sock in socks:  # CONNACK (4 bytes) + SUBACK (7 bytes)
        sock.settimeout(DEADLINE)
        need = 11
        while need:
            chunk = sock.recv(need)
            if not chunk:
                raise SystemExit("an idle axon was refused")
            need -= len(chunk)
    result.put(time.perf_counter() - started)
    stop.wait(DEADLINE * 3)
    for sock in socks:
        sock.close()


# --- measurements ------------------------------------------------------------------------------


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(DEADLINE)


def measure_publish(port: int, count: int, user: str, finished: threading.Event) -> float:
    """msg/s from the go signal until ``finished`` is set by whatever counts the messages."""
    ready, go = mp.Event(), mp.Event()
    process = mp.Process(target=publisher, args=(port, user, count, ready, go))
    process.start()
    ready.wait(DEADLINE)
    started = time.perf_counter()
    go.set()
    if not finished.wait(DEADLINE):
        raise SystemExit(f"only part of {count} messages arrived within {DEADLINE} s")
    elapsed = time.perf_counter() - started
    process.join(DEADLINE)
    return count / elapsed


def raw_amqtt_rate(loop: LoopThread, count: int) -> float:
    async def start() -> Broker:
        broker = Broker({"listeners": {"default": {"type": "tcp", "bind": "127.0.0.1:0"}}})
        await broker.start()
        return broker

    amqtt = loop.call(start())
    port = amqtt._servers["default"].instance.sockets[0].getsockname()[1]
    ready, go, result = mp.Event(), mp.Event(), mp.Queue()
    sub = mp.Process(target=subscriber, args=(port, count, ready, result))
    sub.start()
    ready.wait(DEADLINE)
    pub = mp.Process(target=publisher, args=(port, None, count, mp.Event(), go))
    pub.start()
    time.sleep(1)  # let the publisher connect
    started = time.time()
    go.set()
    finished = result.get(timeout=DEADLINE * 2)
    sub.join(DEADLINE)
    pub.join(DEADLINE)
    loop.call(amqtt.shutdown())
    if finished < 0:
        print(f"    raw amqtt delivered only {-finished:.0f} of {count} in {DEADLINE} s")
        return -finished / DEADLINE
    return count / (finished - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="messages per measurement")
    parser.add_argument("--axons", type=int, default=1_000, help="axons for (b)")
    parser.add_argument("--connects", type=int, default=5_000, help="axons for (c)")
    args = parser.parse_args()
    logging.getLogger("amqtt").setLevel(logging.WARNING)
    logging.getLogger("transitions").setLevel(logging.WARNING)
    loop = LoopThread()

    print(f"(a) raw amqtt forwarding vs in-broker ingest, {args.count} QoS 0 messages")
    amqtt_rate = raw_amqtt_rate(loop, args.count)
    sink = CountingSink()
    settings = Settings(mqtt_host="127.0.0.1", mqtt_port=0, max_connections=20_000)
    ours = EmbeddedBroker(settings, sink, Tokens(), Topics())
    loop.call(ours.start())
    sink.expect(args.count)
    ingest = measure_publish(ours.port, args.count, "bench-00000", sink.reached)
    print(f"    raw amqtt: {amqtt_rate:10,.0f} msg/s")
    print(f"    ours:      {ingest:10,.0f} msg/s   ({ingest / amqtt_rate:.1f}x)")

    print(f"(b) ingest with 10 vs {args.axons} connected, subscribed axons")
    stop, result = mp.Event(), mp.Queue()
    holders = [mp.Process(target=idle_axons, args=(ours.port, 1, 9, result, stop))]
    holders[0].start()
    result.get(timeout=DEADLINE)
    sink.expect(args.count)
    few = measure_publish(ours.port, args.count, "bench-00000", sink.reached)
    holders.append(
        mp.Process(target=idle_axons, args=(ours.port, 10, args.axons - 10, result, stop))
    )
    holders[1].start()
    result.get(timeout=DEADLINE)
    sink.expect(args.count)
    many = measure_publish(ours.port, args.count, "bench-00000", sink.reached)
    print(f"    10 axons: {few:,.0f} msg/s; {args.axons} axons: {many:,.0f} msg/s")
    print(f"    ratio {many / few:.2f} (target >= 0.80)")
    stop.set()
    for holder in holders:
        holder.join(DEADLINE)

    print(f"(c) {args.connects} axons connecting and subscribing (pipelined raw sockets)")
    stop, result = mp.Event(), mp.Queue()
    holder = mp.Process(target=idle_axons, args=(ours.port, 10_000, args.connects, result, stop))
    holder.start()
    seconds = result.get(timeout=DEADLINE)
    print(f"    {seconds:.2f} s (target < 10 s)")
    stop.set()
    holder.join(DEADLINE)
    loop.call(ours.stop())

    print("(d) in-broker ingest vs a loopback paho client logged in as the hub")
    counting = CountingSink()
    ours = EmbeddedBroker(settings, IgnoringSink(), Tokens(), Topics())
    loop.call(ours.start())
    loopback = ExternalBroker(
        Settings(
            broker_url=f"mqtt://127.0.0.1:{ours.port}",
            broker_username=HUB_USERNAME,
            broker_password=HUB_TOKEN,
            client_queue_limit=max(1000, args.count),
        ),
        counting,
    )
    loop.call(loopback.start())
    counting.expect(args.count)
    via_client = measure_publish(ours.port, args.count, "bench-00000", counting.reached)
    loop.call(loopback.stop())
    loop.call(ours.stop())
    print(f"    in-broker {ingest:,.0f} msg/s; loopback client {via_client:,.0f} msg/s")
    print(f"    ratio {ingest / via_client:.1f}x")


if __name__ == "__main__":
    main()
