"""ExternalBroker against Debian's mosquitto on a free loopback port."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from broker import ExternalBroker
from hub.ports import Inbound
from hub.settings import Settings
from hub.topics import Topics
from tests.broker.conftest import LoopThread, RecordingSink, free_port

pytestmark = pytest.mark.timeout(40)
MOSQUITTO = "/usr/sbin/mosquitto"


class Mosquitto:
    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.config = directory / "mosquitto.conf"
        self.config.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 5
        while subprocess.run(
            ["mosquitto_pub", "-p", str(self.port), "-h", "127.0.0.1", "-t", "probe", "-m", "x"],
            capture_output=True,
        ).returncode:
            assert time.monotonic() < deadline, "mosquitto did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(5)
            if self.process.stderr is not None:
                self.process.stderr.close()
            self.process = None


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    server = Mosquitto(tmp_path)
    server.start()
    yield server
    server.stop()


class ThreadCheckingSink(RecordingSink):
    def __init__(self) -> None:
        super().__init__()
        self.threads: set[int] = set()

    def handle(self, message: Inbound) -> None:
        self.threads.add(threading.get_ident())
        super().handle(message)


def _pub(port: int, topic: str, payload: str, *extra: str) -> None:
    subprocess.run(
        [
            "mosquitto_pub",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-t",
            topic,
            "-m",
            payload,
            "-q",
            "1",
            *extra,
        ],
        check=True,
        timeout=10,
    )


def test_messages_flow_both_ways_through_an_external_broker(mosquitto: Mosquitto) -> None:
    loop = LoopThread()
    sink = ThreadCheckingSink()
    settings = Settings(broker_url=f"mqtt://127.0.0.1:{mosquitto.port}")
    external = ExternalBroker(settings, sink, None, Topics())
    try:
        loop.call(external.start())
        assert external.stats.connections == 1
        _pub(mosquitto.port, "synapse/report/nas-01", '{"cpu": 3}')
        _pub(mosquitto.port, "synapse/status/nas-01", "online", "-r")
        _pub(mosquitto.port, "elsewhere/report/nas-01", "ignored")
        report = sink.wait_for("synapse/report/nas-01")
        status = sink.wait_for("synapse/status/nas-01")
        assert (report.payload, report.username, report.retain) == (b'{"cpu": 3}', None, False)
        assert sink.threads == {loop.thread.ident}  # handed over on the loop thread

        subscriber = subprocess.Popen(
            [
                "mosquitto_sub",
                "-h",
                "127.0.0.1",
                "-p",
                str(mosquitto.port),
                "-t",
                "synapse/command/nas-01",
                "-C",
                "1",
                "-v",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            # mosquitto_sub has no "subscribed" signal: publish until it has taken one (-C 1)
            deadline = time.monotonic() + 10
            while subscriber.poll() is None and time.monotonic() < deadline:
                loop.run(external.publish, "synapse/command/nas-01", b'{"action": "restart"}')
                time.sleep(0.05)
            out, _ = subscriber.communicate(timeout=10)
        finally:
            subscriber.kill()
            subscriber.wait()
        assert out.strip() == 'synapse/command/nas-01 {"action": "restart"}'
        assert status.retain is False  # live delivery of a retained publish is not flagged
    finally:
        loop.call(external.stop())
        loop.close()


def test_the_external_client_reconnects_by_itself(mosquitto: Mosquitto) -> None:
    loop = LoopThread()
    sink = RecordingSink()
    external = ExternalBroker(
        Settings(broker_url=f"mqtt://127.0.0.1:{mosquitto.port}"), sink, None, Topics()
    )
    try:
        loop.call(external.start())
        mosquitto.stop()
        mosquitto.start()
        deadline = time.monotonic() + 15
        while True:  # mosquitto_pub until the re-subscribed hub sees one
            _pub(mosquitto.port, "synapse/report/nas-01", "back")
            try:
                sink.wait_for("synapse/report/nas-01", timeout=0.5)
                break
            except AssertionError:
                assert time.monotonic() < deadline, "the hub did not reconnect"
        assert loop.run(lambda: external.stats.connections_total) >= 2
    finally:
        loop.call(external.stop())
        loop.close()


def test_a_bad_broker_url_names_itself() -> None:
    with pytest.raises(ValueError, match="SYNAPSE_BROKER_URL='http://x'"):
        ExternalBroker(Settings(broker_url="http://x"), RecordingSink(), None, Topics())


def test_start_does_not_hang_when_the_broker_is_down() -> None:
    loop = LoopThread()
    external = ExternalBroker(
        Settings(broker_url=f"mqtt://127.0.0.1:{free_port()}"), RecordingSink(), None, Topics()
    )
    try:
        loop.call(external.start(timeout=0.5))
        assert external.stats.connections == 0
    finally:
        loop.call(external.stop())
        loop.close()
