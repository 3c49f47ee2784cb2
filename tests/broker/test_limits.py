"""Resource limits: packet size, connection count, CONNECT deadline."""

from __future__ import annotations

import time

import pytest

from tests.broker import rawmqtt
from tests.broker.conftest import TOKENS

pytestmark = pytest.mark.timeout(30)
NAS = TOKENS["nas-01"]


def test_a_packet_larger_than_the_limit_closes_the_connection_before_its_payload_is_read(
    make_broker,
) -> None:
    running = make_broker(max_packet_size=64 * 1024)
    client = rawmqtt.open_session(running.port, "nas-01", "nas-01", NAS)
    # a PUBLISH header announcing 200 MB, and no payload at all: the broker must not wait for it
    client.send(b"\x30" + bytes((0xFF, 0xFF, 0xFF, 0x5F)))
    assert client.closed_within(2)
    assert running.stats["oversized_packets"] == 1


def test_a_large_publish_from_a_real_client_is_dropped_with_its_connection(
    make_broker, make_client
) -> None:
    running = make_broker(max_packet_size=64 * 1024)
    nas = make_client(running.port, "nas-01", NAS)
    nas.client.publish("synapse/report/nas-01", b"x" * (65 * 1024), qos=0)
    running.wait_stat("oversized_packets", 1)
    assert running.sink.messages == []


def test_a_packet_at_the_limit_is_accepted(make_broker) -> None:
    running = make_broker(max_packet_size=64 * 1024)
    client = rawmqtt.open_session(running.port, "nas-01", "nas-01", NAS)
    topic = "synapse/report/nas-01"
    client.send(rawmqtt.publish(topic, b"x" * (64 * 1024 - 2 - len(topic))))
    assert len(running.sink.wait_for(topic).payload) == 64 * 1024 - 2 - len(topic)


def test_connections_beyond_max_connections_are_refused_at_once(make_broker) -> None:
    running = make_broker(max_connections=2)
    first = rawmqtt.open_session(running.port, "a", "nas-01", NAS)
    rawmqtt.open_session(running.port, "b", "cam-02", TOKENS["cam-02"])

    extra = rawmqtt.RawClient(running.port)
    assert extra.closed_within(1)  # closed without even waiting for its CONNECT

    first.send(rawmqtt.DISCONNECT)
    assert first.closed_within(2)
    running.until(lambda: running.broker.router.open_sockets < 2, what="a free slot")
    rawmqtt.open_session(running.port, "c", "nas-01", NAS)
    assert running.stats["refused_over_limit"] == 1


def test_a_connection_that_sends_no_connect_in_time_is_closed(make_broker) -> None:
    running = make_broker(connect_timeout=0.5)
    client = rawmqtt.RawClient(running.port)
    started = time.monotonic()
    assert client.closed_within(3)
    assert time.monotonic() - started >= 0.45
    assert running.stats["protocol_errors"] == 1


def test_a_connect_timeout_does_not_hurt_a_connected_client(make_broker) -> None:
    running = make_broker(connect_timeout=0.3)
    client = rawmqtt.open_session(running.port, "nas-01", "nas-01", NAS)
    time.sleep(0.5)
    client.send(rawmqtt.PINGREQ)
    assert client.read_packet()[0] == 13
