"""Real parts for SDK tests: a mosquitto broker on a free port, a recording "hub side" MQTT
client, and axon scripts run in their own Python process.

Factories, not objects: ``start_mosquitto()``, ``hub_side(broker)``, ``run_axon(script, broker)``.
Waiting is polling for an observable result under a deadline (``wait_until``), never a fixed sleep.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
MOSQUITTO = "/usr/sbin/mosquitto"
TOKEN = "tok-" + "s3cr3t-" * 3  # distinctive, so a leak into any log is easy to find


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


class Broker:
    """A mosquitto process on 127.0.0.1; ``kill()`` and ``start()`` again keep the port."""

    def __init__(self, directory: Path, passwords: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.directory = directory
        self.config = directory / "mosquitto.conf"
        config = f"listener {self.port} 127.0.0.1\n"
        if passwords is None:
            config += "allow_anonymous true\n"
        else:  # only these username/password pairs may connect
            password_file = directory / "passwords"
            password_file.write_text("".join(f"{u}:{p}\n" for u, p in passwords.items()))
            subprocess.run(["mosquitto_passwd", "-U", str(password_file)], check=True)
            config += f"allow_anonymous false\npassword_file {password_file}\n"
            if os.geteuid() == 0:  # keep root, or it cannot read the file under pytest's tmp
                config += "user root\n"
        self.config.write_text(config)
        self.log = directory / "mosquitto.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> Broker:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [MOSQUITTO, "-c", str(self.config), "-v"], stdout=log, stderr=subprocess.STDOUT
            )
        wait_until(self._accepts, 10, f"mosquitto on port {self.port}\n{self.log.read_text()}")
        return self

    def _accepts(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"mosquitto exited:\n{self.log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
        except OSError:
            return False
        return True

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


@pytest.fixture
def start_mosquitto(tmp_path: Path) -> Iterator[Callable[..., Broker]]:
    """``start_mosquitto(passwords=None)``: a fresh broker; with passwords, only those users."""
    brokers: list[Broker] = []

    def start(passwords: dict[str, str] | None = None) -> Broker:
        directory = tmp_path / f"broker-{len(brokers)}"
        directory.mkdir()
        broker = Broker(directory, passwords)
        brokers.append(broker)
        return broker.start()

    yield start
    for broker in brokers:
        broker.kill()


@pytest.fixture
def broker(start_mosquitto: Callable[..., Broker]) -> Broker:
    return start_mosquitto()


@dataclass
class Message:
    topic: str
    payload: bytes
    retain: bool

    @property
    def text(self) -> str:
        return self.payload.decode()

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass
class HubSide:
    """A paho client standing where the hub will be: records everything under synapse/#."""

    broker: Broker
    messages: list[Message] = field(default_factory=list)
    client: mqtt.Client | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def connect(self) -> HubSide:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"hub-{uuid.uuid4().hex[:8]}")
        client.reconnect_delay_set(0.1, 0.5)  # type: ignore[arg-type]
        subscribed = threading.Event()

        def on_connect(c: mqtt.Client, *_: Any) -> None:
            c.subscribe("synapse/#", qos=1)

        def on_subscribe(*_: Any) -> None:
            subscribed.set()

        def on_message(_c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
            with self._lock:
                self.messages.append(Message(msg.topic, bytes(msg.payload), bool(msg.retain)))

        client.on_connect, client.on_subscribe, client.on_message = (
            on_connect,
            on_subscribe,
            on_message,
        )
        client.connect("127.0.0.1", self.broker.port, keepalive=10)
        client.loop_start()
        assert subscribed.wait(10), "hub side did not subscribe"
        self.client = client
        return self

    def close(self) -> None:
        if self.client is not None:
            self.client.disconnect()
            self.client.loop_stop()

    def on(self, topic: str) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if m.topic == topic]

    def wait_for(
        self,
        topic: str,
        match: Callable[[Message], bool] = lambda m: True,
        *,
        count: int = 1,
        timeout: float = 10.0,
    ) -> list[Message]:
        def found() -> list[Message] | None:
            hits = [m for m in self.on(topic) if match(m)]
            return hits if len(hits) >= count else None

        return wait_until(found, timeout, f"{count} message(s) on {topic}; got {self.on(topic)}")

    def publish(self, topic: str, payload: str | bytes, qos: int = 1) -> None:
        assert self.client is not None
        self.client.publish(topic, payload, qos=qos).wait_for_publish(5)

    def command(
        self,
        axon_id: str,
        action: Any,
        params: Any = None,
        *,
        request_id: str | None = None,
        expires_in: float = 60.0,
        **extra: Any,
    ) -> str:
        request_id = request_id or uuid.uuid4().hex
        body = {
            "request_id": request_id,
            "action": action,
            "params": params or {},
            "expires_at": time.time() + expires_in,
            **extra,
        }
        self.publish(f"synapse/command/{axon_id}", json.dumps(body))
        return request_id

    def result(self, axon_id: str, request_id: str, timeout: float = 10.0) -> dict[str, Any]:
        def is_it(m: Message) -> bool:
            return m.json().get("request_id") == request_id

        return self.wait_for(f"synapse/result/{axon_id}", is_it, timeout=timeout)[0].json()


@pytest.fixture
def hub_side() -> Iterator[Callable[[Broker], HubSide]]:
    made: list[HubSide] = []

    def make(broker: Broker) -> HubSide:
        made.append(HubSide(broker).connect())
        return made[-1]

    yield make
    for side in made:
        side.close()


@dataclass
class AxonProcess:
    """An axon script running in its own interpreter; its output goes to files."""

    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def err(self) -> str:
        return self.stderr.read_text(errors="replace")

    def out(self) -> str:
        return self.stdout.read_text(errors="replace")

    def kill9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def terminate(self, timeout: float = 10.0) -> int:
        self.process.terminate()
        return self.process.wait(timeout)

    def wait(self, timeout: float = 10.0) -> int:
        return self.process.wait(timeout)


@pytest.fixture
def run_axon(tmp_path: Path) -> Iterator[Callable[..., AxonProcess]]:
    """``run_axon(source_or_path, broker, env={...})`` starts a script with SYNAPSE_TOKEN set."""
    started: list[AxonProcess] = []

    def run(script: str | Path, broker: Broker, env: dict[str, str] | None = None) -> AxonProcess:
        n = len(started)
        if isinstance(script, str):
            path = tmp_path / f"axon_{n}.py"
            path.write_text(textwrap.dedent(script))
        else:
            path = script
        full_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(REPO),
            "SYNAPSE_TOKEN": TOKEN,
            "SYNAPSE_HUB": broker.url,
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        stdout, stderr = tmp_path / f"axon_{n}.out", tmp_path / f"axon_{n}.err"
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(
                [PYTHON, str(path)], env=full_env, stdout=out, stderr=err, cwd=tmp_path
            )
        started.append(AxonProcess(process, stdout, stderr))
        return started[-1]

    yield run
    for axon in started:
        if axon.process.poll() is None:
            axon.process.kill()
            axon.process.wait(10)
