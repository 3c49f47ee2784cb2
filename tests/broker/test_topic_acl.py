"""The topic ACL on a running broker: no spoofing, no snooping, nothing malformed reaches the hub."""

from __future__ import annotations

import subprocess

import pytest

from hub.ports import HUB_USERNAME
from tests.broker import rawmqtt
from tests.broker.conftest import HUB_TOKEN, TOKENS

pytestmark = pytest.mark.timeout(30)
REFUSED = 128


def test_an_axon_publishing_on_another_axons_topic_never_reaches_the_sink(
    make_broker, make_client
) -> None:
    running = make_broker()
    nas = make_client(running.port, "nas-01", TOKENS["nas-01"])
    nas.publish("synapse/report/cam-02", b'{"cpu": 99}')
    nas.publish("synapse/register/cam-02", b"{}")
    nas.publish("synapse/report/nas-01", b"marker")  # same connection, so it arrives after them

    assert running.sink.wait_for("synapse/report/nas-01").payload == b"marker"
    assert [m.topic for m in running.sink.messages] == ["synapse/report/nas-01"]
    assert running.stats["refused_publishes"] == 2


def test_an_axon_cannot_subscribe_to_another_axons_command_topic_or_to_wildcards(
    make_broker, make_client
) -> None:
    running = make_broker()
    nas = make_client(running.port, "nas-01", TOKENS["nas-01"])
    forbidden = [
        "synapse/command/cam-02",
        "#",
        "synapse/#",
        "synapse/register/+",
        "$SYS/#",
        "synapse/lease/cam-02/#",
        "+/command/nas-01",
    ]
    for topic_filter in forbidden:
        assert nas.subscribe(topic_filter) == [REFUSED], topic_filter
    for topic_filter in (
        "synapse/command/nas-01",
        "synapse/error/nas-01",
        "synapse/lease/nas-01/#",
    ):
        assert nas.subscribe(topic_filter) == [1], topic_filter
    assert running.stats["refused_subscribes"] == len(forbidden)

    running.publish("synapse/command/cam-02", b"for cam only")
    running.publish("synapse/command/nas-01", b"for nas")
    nas.wait_message("synapse/command/nas-01")
    assert nas.topics() == ["synapse/command/nas-01"]


def test_only_the_hub_publishes_commands_and_errors(make_broker, make_client) -> None:
    running = make_broker()
    nas = make_client(running.port, "nas-01", TOKENS["nas-01"])
    cam = make_client(running.port, "cam-02", TOKENS["cam-02"])
    hub = make_client(running.port, HUB_USERNAME, HUB_TOKEN)
    nas.subscribe("synapse/command/nas-01")
    nas.subscribe("synapse/error/nas-01")

    cam.publish("synapse/command/nas-01", b'{"action": "rm -rf"}')
    nas.publish("synapse/error/nas-01", b"self-inflicted")
    hub.publish("synapse/command/nas-01", b'{"action": "restart"}')

    assert nas.wait_message("synapse/command/nas-01").payload == b'{"action": "restart"}'
    assert nas.topics() == ["synapse/command/nas-01"]
    assert running.stats["refused_publishes"] == 2
    assert running.sink.messages == []  # the hub's own messages are not fed back to it


@pytest.mark.parametrize(
    "topic",
    [
        b"synapse/report/nas-01/c\x00pu",
        b"synapse/report/nas-01/c\x1bpu",
        b"synapse/report/nas-01/\x7f",
        b"synapse/report/NAS-01",
        b"synapse/report/nas-01/+",
        b"synapse/unknown/nas-01",
        b"synapse/report",
    ],
)
def test_topics_outside_the_contract_never_reach_the_sink(make_broker, topic: bytes) -> None:
    running = make_broker()
    client = rawmqtt.open_session(running.port, "nas-01", "nas-01", TOKENS["nas-01"])
    client.send(rawmqtt.publish(topic, b"bad"))
    client.send(rawmqtt.publish("synapse/report/nas-01", b"marker"))
    running.sink.wait_for("synapse/report/nas-01", timeout=3)
    assert [m.topic for m in running.sink.messages] == ["synapse/report/nas-01"]


def test_mosquitto_clients_work_as_axons(make_broker) -> None:
    running = make_broker()
    common = ["-h", "127.0.0.1", "-p", str(running.port), "-u", "nas-01", "-P", TOKENS["nas-01"]]
    sub = subprocess.Popen(
        ["mosquitto_sub", *common, "-i", "nas-01-sub", "-t", "synapse/command/nas-01", "-C", "1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        running.until(lambda: len(running.broker.router.index) == 1, what="mosquitto_sub")
        subprocess.run(
            ["mosquitto_pub", *common, "-t", "synapse/report/nas-01/cpu", "-m", "87", "-q", "1"],
            check=True,
            timeout=10,
        )
        assert running.sink.wait_for("synapse/report/nas-01/cpu").payload == b"87"
        running.publish("synapse/command/nas-01", b'{"action": "restart"}')
        out, _ = sub.communicate(timeout=10)
        assert out.strip() == '{"action": "restart"}'
    finally:
        sub.kill()
        sub.wait()
