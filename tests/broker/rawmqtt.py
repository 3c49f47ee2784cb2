"""A deliberately small MQTT 3.1.1 client on a raw socket, for what paho will not do.

paho always behaves; these tests need clients that misbehave (never read, never ack, announce a
huge packet, speak MQTT 5, stay silent) and thousands of cheap connections. Written from the spec,
independent of broker/wire.py, so the broker's decoder is tested against a second implementation.
"""

from __future__ import annotations

import socket
import struct
import time


def _length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _str(value: str | bytes) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    return struct.pack("!H", len(raw)) + raw


def packet(kind: int, flags: int, body: bytes) -> bytes:
    return bytes(((kind << 4) | flags,)) + _length(len(body)) + body


def connect(
    client_id: str,
    username: str | None = None,
    password: str | None = None,
    *,
    keepalive: int = 60,
    will: tuple[str, bytes] | None = None,
    will_retain: bool = False,
    protocol: tuple[str, int] = ("MQTT", 4),
    clean: bool = True,
) -> bytes:
    flags = 0x02 if clean else 0
    payload = _str(client_id)
    if will is not None:
        flags |= 0x04 | 0x08 | (0x20 if will_retain else 0)  # will QoS 1
        payload += _str(will[0]) + _str(will[1])
    if username is not None:
        flags |= 0x80
        payload += _str(username)
    if password is not None:
        flags |= 0x40
        payload += _str(password)
    header = _str(protocol[0]) + bytes((protocol[1], flags)) + struct.pack("!H", keepalive)
    if protocol[1] == 5:
        header += b"\x00"  # empty MQTT 5 properties
    return packet(1, 0, header + payload)


def subscribe(packet_id: int, *filters: tuple[str, int]) -> bytes:
    body = struct.pack("!H", packet_id) + b"".join(_str(f) + bytes((q,)) for f, q in filters)
    return packet(8, 2, body)


def publish(
    topic: str | bytes, payload: bytes, *, qos: int = 0, packet_id: int = 1, retain: bool = False
) -> bytes:
    body = _str(topic) + (struct.pack("!H", packet_id) if qos else b"") + payload
    return packet(3, (qos << 1) | (1 if retain else 0), body)


def puback(packet_id: int) -> bytes:
    return packet(4, 0, struct.pack("!H", packet_id))


PINGREQ = b"\xc0\x00"
DISCONNECT = b"\xe0\x00"


#: every socket a test opened; conftest closes them after each test
OPEN: list[RawClient] = []


class RawClient:
    """A blocking socket with packet-level reads; every wait has a deadline."""

    def __init__(self, port: int, *, rcvbuf: int | None = None, timeout: float = 5.0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        OPEN.append(self)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self._buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _read(self, n: int) -> bytes:
        while len(self._buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the broker")
            self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def read_packet(self) -> tuple[int, int, bytes]:
        first = self._read(1)[0]
        length, multiplier = 0, 1
        while True:
            byte = self._read(1)[0]
            length += (byte & 0x7F) * multiplier
            multiplier *= 128
            if not byte & 0x80:
                break
        return first >> 4, first & 0x0F, self._read(length)

    def connack(self) -> int:
        """The CONNACK return code."""
        kind, _flags, body = self.read_packet()
        assert kind == 2, f"expected CONNACK, got packet type {kind}"
        return body[1]

    def suback(self) -> list[int]:
        kind, _flags, body = self.read_packet()
        assert kind == 9, f"expected SUBACK, got packet type {kind}"
        return list(body[2:])

    def closed_within(self, seconds: float) -> bool:
        """True when the broker closes the socket (EOF or reset) within ``seconds``."""
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                self.sock.settimeout(max(0.01, deadline - time.monotonic()))
                if not self.sock.recv(65536):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False
        return False

    def close(self) -> None:
        self.sock.close()


def open_session(
    port: int, client_id: str, username: str, password: str, **kw: object
) -> RawClient:
    client = RawClient(port)
    client.send(connect(client_id, username, password, **kw))  # type: ignore[arg-type]
    code = client.connack()
    assert code == 0, f"CONNACK {code} for {username}"
    return client
