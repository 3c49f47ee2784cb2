"""Keepalive is enforced by the broker (amqtt never disconnected a silent client)."""

from __future__ import annotations

import time

import pytest

from broker.connection import effective_keepalive
from tests.broker import rawmqtt
from tests.broker.conftest import TOKENS

pytestmark = pytest.mark.timeout(30)
NAS = TOKENS["nas-01"]


@pytest.mark.parametrize(("requested", "enforced"), [(0, 60), (61, 60), (65535, 60), (30, 30)])
def test_keepalive_zero_or_above_the_maximum_is_capped(requested: int, enforced: int) -> None:
    assert effective_keepalive(requested, 60) == enforced


def test_a_silent_client_is_disconnected_and_its_will_published(make_broker) -> None:
    running = make_broker()
    client = rawmqtt.RawClient(running.port)
    client.send(
        rawmqtt.connect(
            "nas-01", "nas-01", NAS, keepalive=1, will=("synapse/status/nas-01", b"offline")
        )
    )
    assert client.connack() == 0
    started = time.monotonic()

    will = running.sink.wait_for("synapse/status/nas-01", timeout=5)

    assert 1.4 <= time.monotonic() - started < 4
    assert (will.payload, will.username, will.retain) == (b"offline", "nas-01", False)
    assert client.closed_within(1)
    assert running.stats["keepalive_timeouts"] == 1


def test_a_client_that_pings_within_its_keepalive_stays_connected(make_broker) -> None:
    running = make_broker()
    client = rawmqtt.open_session(running.port, "nas-01", "nas-01", NAS, keepalive=1)
    for _ in range(5):  # 2.5 s: well past 1.5 x keepalive, kept alive by the pings
        time.sleep(0.5)
        client.send(rawmqtt.PINGREQ)
        assert client.read_packet()[0] == 13  # PINGRESP
    assert running.stats["keepalive_timeouts"] == 0


def test_keepalive_zero_and_too_long_keepalives_are_capped_on_a_real_connection(
    make_broker,
) -> None:
    running = make_broker(max_keepalive=7)
    rawmqtt.open_session(running.port, "zero", "nas-01", NAS, keepalive=0)
    rawmqtt.open_session(running.port, "long", "cam-02", TOKENS["cam-02"], keepalive=3600)
    sessions = running.run(
        lambda: {k: c.keepalive for k, c in running.broker.router.sessions.items()}
    )
    assert sessions == {"zero": 7, "long": 7}


def test_a_dropped_socket_publishes_the_will_with_the_dead_clients_username(make_broker) -> None:
    running = make_broker()
    client = rawmqtt.open_session(
        running.port, "nas-01", "nas-01", NAS, will=("synapse/status/nas-01", b"offline")
    )
    client.close()  # no DISCONNECT
    will = running.sink.wait_for("synapse/status/nas-01")
    assert (will.payload, will.username) == (b"offline", "nas-01")


def test_a_clean_disconnect_discards_the_will(make_broker) -> None:
    running = make_broker()
    client = rawmqtt.open_session(
        running.port, "nas-01", "nas-01", NAS, will=("synapse/status/nas-01", b"offline")
    )
    client.send(rawmqtt.DISCONNECT)
    assert client.closed_within(2)
    client2 = rawmqtt.open_session(running.port, "nas-01", "nas-01", NAS)
    client2.send(rawmqtt.publish("synapse/report/nas-01", b"{}"))
    running.sink.wait_for("synapse/report/nas-01")
    assert running.sink.on("synapse/status/nas-01") == []
