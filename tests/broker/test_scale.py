"""Many connected axons: all of them connect, subscribe and are routed to.

How fast (5,000 connects, ingest with 1,000 subscribers vs 10) is a benchmark, not a test:
``bench/broker.py`` prints those figures as ratios measured in one run. A timed test would only
flake on a loaded CI machine.
"""

from __future__ import annotations

import threading

import pytest

from hub.ports import Inbound
from tests.broker import rawmqtt
from tests.broker.conftest import RunningBroker

pytestmark = pytest.mark.timeout(60)


def axon_tokens(count: int) -> dict[str, str]:
    return {f"axon-{n:05d}": f"tok-{n:05d}" for n in range(count)}


def connect_axons(running: RunningBroker, names: list[str]) -> list[rawmqtt.RawClient]:
    """Connect and subscribe many raw axons, pipelined: all CONNECTs first, then the answers."""
    clients = []
    for name in names:
        client = rawmqtt.RawClient(running.port, timeout=20)
        client.send(
            rawmqtt.connect(name, name, f"tok-{name[5:]}")
            + rawmqtt.subscribe(
                1,
                (f"synapse/command/{name}", 1),
                (f"synapse/error/{name}", 1),
                (f"synapse/lease/{name}/#", 1),
            )
        )
        clients.append(client)
    for client in clients:
        assert client.connack() == 0
        assert client.suback() == [1, 1, 1]
    return clients


def test_five_thousand_axons_connect_and_subscribe(make_broker) -> None:
    running = make_broker(tokens=axon_tokens(5000))
    connect_axons(running, [f"axon-{n:05d}" for n in range(5000)])
    assert running.stats["connections"] == 5000


class CountingSink:
    """Counts instead of keeping messages, so the measurement does not grow the heap."""

    def __init__(self) -> None:
        self.count = self.target = 0
        self.reached = threading.Event()

    def expect(self, n: int) -> None:
        self.count, self.target = 0, n
        self.reached.clear()

    def handle(self, message: Inbound) -> None:
        self.count += 1
        if self.count == self.target:
            self.reached.set()


def test_every_report_reaches_the_hub_with_a_thousand_subscribed_axons(make_broker) -> None:
    sink = CountingSink()
    running = make_broker(tokens=axon_tokens(1000), sink=sink)
    clients = connect_axons(running, [f"axon-{n:05d}" for n in range(1000)])
    running.run(sink.expect, 5000)
    clients[0].send(
        b"".join(rawmqtt.publish("synapse/report/axon-00000", b"1") for _ in range(5000))
    )
    assert sink.reached.wait(30), f"{sink.count} of 5000 reports reached the hub"
