"""Protocol versions, malformed first packets and client-id takeover."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.broker import rawmqtt
from tests.broker.conftest import TOKENS

pytestmark = pytest.mark.timeout(30)
NAS = TOKENS["nas-01"]
UNACCEPTABLE_PROTOCOL = 1


@pytest.mark.parametrize("protocol", [("MQTT", 5), ("MQIsdp", 3), ("MQTT", 3), ("MQTT", 6)])
def test_other_protocol_versions_get_a_clear_refusal_then_a_close(
    make_broker, protocol: tuple[str, int]
) -> None:
    running = make_broker()
    client = rawmqtt.RawClient(running.port)
    client.send(rawmqtt.connect("nas-01", "nas-01", NAS, protocol=protocol))
    assert client.connack() == UNACCEPTABLE_PROTOCOL
    assert client.closed_within(1)


def test_refused_mqtt5_clients_do_not_block_the_listener(make_broker, make_client) -> None:
    running = make_broker(max_connections=3)
    base = ["-h", "127.0.0.1", "-p", str(running.port), "-u", "nas-01", "-P", NAS]
    mqtt5 = [
        subprocess.Popen(
            [
                "mosquitto_pub",
                *base,
                "-V",
                "5",
                "-i",
                f"v5-{n}",
                "-t",
                "synapse/report/nas-01",
                "-m",
                "1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(3)
    ]
    assert all(process.wait(timeout=5) != 0 for process in mqtt5)

    started = time.monotonic()
    make_client(running.port, "nas-01", NAS)
    assert time.monotonic() - started < 2
    assert running.stats["refused_connects"] == 3


@pytest.mark.parametrize(
    "first_packet",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        rawmqtt.publish("synapse/report/nas-01", b"{}"),  # PUBLISH before CONNECT
        rawmqtt.PINGREQ,
        b"\x10\xff\xff\xff\xff\x01",  # remaining length longer than four bytes
        rawmqtt.connect("x", "nas-01", NAS)[:-3] + b"\x00\x00\x00",  # lengths that do not add up
        b"\x10\x0c\x00\x04MQTT\x04\x01\x00\x3c\x00\x00",  # reserved flag set
    ],
)
def test_malformed_first_packets_are_closed_promptly(make_broker, first_packet: bytes) -> None:
    running = make_broker()
    client = rawmqtt.RawClient(running.port)
    client.send(first_packet)
    assert client.closed_within(1)
    assert running.sink.messages == []


def test_a_truncated_connect_is_closed_at_the_connect_deadline(make_broker) -> None:
    running = make_broker(connect_timeout=0.5)
    client = rawmqtt.RawClient(running.port)
    client.send(b"\x10\x05\x00\x04MQ")  # announces 5 bytes, sends 4, then waits forever
    assert client.closed_within(2)


def test_a_second_connection_with_the_same_client_id_closes_the_first(make_broker) -> None:
    running = make_broker()
    first = rawmqtt.open_session(
        running.port, "nas-01", "nas-01", NAS, will=("synapse/status/nas-01", b"offline")
    )
    second = rawmqtt.open_session(running.port, "nas-01", "nas-01", NAS)

    assert first.closed_within(2)
    assert running.sink.wait_for("synapse/status/nas-01").payload == b"offline"
    second.send(rawmqtt.PINGREQ)
    assert second.read_packet()[0] == 13
    assert running.stats["takeovers"] == 1
    assert running.stats["connections"] == 1


def test_an_axon_cannot_take_over_another_axons_client_id(make_broker) -> None:
    running = make_broker()
    nas = rawmqtt.open_session(running.port, "shared-id", "nas-01", NAS)
    intruder = rawmqtt.RawClient(running.port)
    intruder.send(rawmqtt.connect("shared-id", "cam-02", TOKENS["cam-02"]))
    assert intruder.connack() == 2  # identifier rejected
    nas.send(rawmqtt.PINGREQ)
    assert nas.read_packet()[0] == 13
