"""Delivery: QoS, bounded queues for slow consumers, no retained replays, a guarded sink."""

from __future__ import annotations

import socket

import pytest

import broker
from hub.ports import HUB_USERNAME, Inbound
from tests.broker import rawmqtt
from tests.broker.conftest import HUB_TOKEN, TOKENS, RecordingSink

pytestmark = pytest.mark.timeout(30)
NAS = TOKENS["nas-01"]


def test_the_package_exports_exactly_its_public_surface() -> None:
    assert sorted(broker.__all__) == ["BrokerStats", "EmbeddedBroker", "ExternalBroker"]


def test_no_amqtt_plugin_is_loaded(make_broker) -> None:
    running = make_broker()
    assert running.broker._broker is not None
    assert running.broker._broker.plugins_manager.plugins == []


@pytest.mark.parametrize(
    ("publish_qos", "subscribe_qos", "delivered"), [(1, 0, 0), (0, 1, 0), (1, 1, 1)]
)
def test_delivered_qos_is_the_lower_of_publish_and_subscription_qos(
    make_broker, make_client, publish_qos: int, subscribe_qos: int, delivered: int
) -> None:
    running = make_broker()
    nas = make_client(running.port, "nas-01", NAS)
    nas.subscribe("synapse/command/nas-01", subscribe_qos)
    running.publish("synapse/command/nas-01", b"go", qos=publish_qos)
    message = nas.wait_message("synapse/command/nas-01")
    assert (message.qos, message.retain) == (delivered, False)


def test_a_consumer_that_never_acknowledges_is_dropped_at_the_queue_limit(make_broker) -> None:
    running = make_broker(client_queue_limit=10)
    client = rawmqtt.open_session(running.port, "nas-01", "nas-01", NAS)
    client.send(rawmqtt.subscribe(1, ("synapse/command/nas-01", 1)))
    assert client.suback() == [1]
    for n in range(11):  # never PUBACKed
        running.publish("synapse/command/nas-01", b"cmd %d" % n, qos=1)
    assert running.stats["dropped_slow_consumer"] == 1
    assert running.stats["connections"] == 0


def test_a_consumer_whose_socket_stops_draining_is_dropped_with_bounded_memory(make_broker) -> None:
    running = make_broker(client_queue_limit=10)
    client = rawmqtt.RawClient(running.port, rcvbuf=4096)
    client.send(rawmqtt.connect("nas-01", "nas-01", NAS))
    assert client.connack() == 0
    client.send(rawmqtt.subscribe(1, ("synapse/command/nas-01", 0)))
    assert client.suback() == [0]
    # the client never reads again; 64 KiB messages fill the socket, then the broker's queue
    running.run(
        lambda: [
            running.broker.publish("synapse/command/nas-01", b"x" * 65536, 0) for _ in range(400)
        ]
    )
    assert running.stats["dropped_slow_consumer"] == 1


def test_one_slow_consumer_does_not_stop_the_others(make_broker, make_client) -> None:
    running = make_broker(client_queue_limit=10)
    stalled = rawmqtt.open_session(running.port, "stalled", HUB_USERNAME, HUB_TOKEN)
    stalled.send(rawmqtt.subscribe(1, ("synapse/report/#", 1)))
    assert stalled.suback() == [1]
    nas = make_client(running.port, "nas-01", NAS)
    for n in range(20):
        nas.publish(f"synapse/report/nas-01/n{n}", b"1")
    running.sink.wait_for("synapse/report/nas-01/n19")
    assert len(running.sink.messages) == 20
    assert running.stats["dropped_slow_consumer"] == 1


def test_no_client_receives_a_message_it_did_not_subscribe_to(make_broker, make_client) -> None:
    running = make_broker()
    nas = make_client(running.port, "nas-01", NAS)
    nas.client.publish("synapse/report/nas-01", b'{"cpu": 1}', qos=1, retain=True).wait_for_publish(
        5
    )
    ingested = running.sink.wait_for("synapse/report/nas-01")
    # live, not a replay: the hub gets it as mosquitto would deliver it to a subscriber
    assert ingested.retain is False

    hub = make_client(running.port, HUB_USERNAME, HUB_TOKEN)
    cam = make_client(running.port, "cam-02", TOKENS["cam-02"])
    hub.subscribe("synapse/#")
    cam.subscribe("synapse/command/cam-02")
    nas.publish("synapse/report/nas-01", b"live")
    assert hub.wait_message("synapse/report/nas-01").payload == b"live"
    assert hub.topics() == ["synapse/report/nas-01"]  # the retained one was never stored
    assert cam.topics() == []


def test_the_hubs_own_publishes_are_never_retained(make_broker, make_client) -> None:
    running = make_broker()
    running.publish("synapse/command/nas-01", b"early")
    nas = make_client(running.port, "nas-01", NAS)
    nas.subscribe("synapse/command/nas-01")
    running.publish("synapse/command/nas-01", b"late")
    assert nas.wait_message("synapse/command/nas-01").payload == b"late"
    assert [m.payload for m in nas.received] == [b"late"]


def test_the_hubs_publish_works_from_another_thread(make_broker, make_client) -> None:
    running = make_broker()
    nas = make_client(running.port, "nas-01", NAS)
    nas.subscribe("synapse/error/nas-01")
    running.broker.publish("synapse/error/nas-01", b"bad ttl")  # the test thread, not the loop
    assert nas.wait_message("synapse/error/nas-01").payload == b"bad ttl"
    with pytest.raises(ValueError, match="not a valid MQTT topic"):
        running.broker.publish("synapse/command/+", b"x")


class ExplodingSink(RecordingSink):
    def handle(self, message: Inbound) -> None:
        super().handle(message)
        if message.topic.endswith("boom"):
            raise RuntimeError("a bug in the hub")


def test_a_raising_sink_is_counted_and_the_connection_survives(make_broker, make_client) -> None:
    running = make_broker(sink=ExplodingSink())
    nas = make_client(running.port, "nas-01", NAS)
    nas.publish("synapse/report/nas-01/boom", b"1")
    nas.publish("synapse/report/nas-01", b"after")
    assert running.sink.wait_for("synapse/report/nas-01").payload == b"after"
    assert running.stats["sink_errors"] == 1
    assert running.stats["connections"] == 1


def test_qos2_publishes_are_ingested_once(make_broker) -> None:
    running = make_broker()
    client = rawmqtt.open_session(running.port, "nas-01", "nas-01", NAS)
    frame = rawmqtt.publish("synapse/result/nas-01", b"done", qos=2, packet_id=7)
    client.send(frame)
    assert client.read_packet()[0] == 5  # PUBREC
    client.send(bytes((frame[0] | 0x08,)) + frame[1:])  # a DUP resend before PUBREL
    assert client.read_packet()[0] == 5
    client.send(rawmqtt.packet(6, 2, b"\x00\x07"))  # PUBREL
    assert client.read_packet()[0] == 7  # PUBCOMP
    client.send(rawmqtt.publish("synapse/report/nas-01", b"marker"))
    running.sink.wait_for("synapse/report/nas-01")
    assert len(running.sink.on("synapse/result/nas-01")) == 1


def test_the_loopback_address_is_the_only_one_bound(make_broker) -> None:
    running = make_broker()
    address = running.run(
        lambda: running.broker._broker._servers["default"].instance.sockets[0].getsockname()[0]
    )
    assert address == "127.0.0.1"
    assert socket.gethostbyname("localhost") == "127.0.0.1"
