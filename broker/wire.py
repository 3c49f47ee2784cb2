"""MQTT 3.1.1 framing and the few packet layouts the broker decodes itself, synchronously.

amqtt reads a packet with ``await reader.read(remaining_length)``: the length is trusted, so a
client announcing 200 MB makes the broker buffer 200 MB, and one coroutine per packet makes
ingest slow. Here a connection's bytes are split into frames in ``data_received``; the remaining
length is checked against ``max_packet_size`` *before* any payload is kept, and each packet is
decoded from memory without awaiting. Outbound control packets use amqtt's own builders; the hot
PUBLISH path is encoded here so one frame is built once per message, not once per subscriber.
Every decoder raises ``MalformedPacket``; the caller closes the connection.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from amqtt.mqtt.connack import ConnackPacket
from amqtt.mqtt.suback import SubackPacket
from amqtt.mqtt.unsuback import UnsubackPacket

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT = 8, 9, 10, 11, 12, 13, 14

#: CONNACK return codes (MQTT 3.1.1, 3.2.2.3)
ACCEPTED, UNACCEPTABLE_PROTOCOL, IDENTIFIER_REJECTED, SERVER_UNAVAILABLE = 0, 1, 2, 3
BAD_CREDENTIALS, NOT_AUTHORIZED = 4, 5
SUBACK_FAILURE = 0x80

PINGRESP_FRAME = b"\xd0\x00"


class MalformedPacket(Exception):
    """The bytes do not form the packet they claim to be."""


class PacketTooLarge(MalformedPacket):
    """A fixed header announced more than the broker accepts; the payload was never read."""


def split_frames(
    buffer: bytes | bytearray, max_packet_size: int
) -> tuple[list[tuple[int, int, bytes]], int]:
    """Cut complete packets off the front of ``buffer``.

    Returns ``[(type, flags, body)]`` and how many bytes were consumed. An incomplete packet is
    left for the next call; a remaining length above ``max_packet_size`` raises at once.
    """
    frames: list[tuple[int, int, bytes]] = []
    size = len(buffer)
    pos = 0
    while size - pos >= 2:
        first = buffer[pos]
        length = 0
        multiplier = 1
        index = pos + 1
        while True:
            if index >= size:
                return frames, pos  # the length field itself is not complete yet
            byte = buffer[index]
            length += (byte & 0x7F) * multiplier
            index += 1
            if not byte & 0x80:
                break
            multiplier *= 128
            if multiplier > 128**3:
                raise MalformedPacket("remaining length longer than four bytes")
        if length > max_packet_size:
            raise PacketTooLarge(f"packet of {length} bytes exceeds {max_packet_size}")
        end = index + length
        if end > size:
            break
        frames.append((first >> 4, first & 0x0F, bytes(buffer[index:end])))
        pos = end
    return frames, pos


def encode_length(length: int) -> bytes:
    out = bytearray()
    while True:
        byte = length % 128
        length //= 128
        if length:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


class _Cursor:
    """Reads MQTT fields from a packet body, raising ``MalformedPacket`` on any overrun."""

    __slots__ = ("body", "pos")

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.body):
            raise MalformedPacket("packet ends early")
        value = self.body[self.pos]
        self.pos += 1
        return value

    def u16(self) -> int:
        if self.pos + 2 > len(self.body):
            raise MalformedPacket("packet ends early")
        (value,) = struct.unpack_from("!H", self.body, self.pos)
        self.pos += 2
        return int(value)

    def binary(self) -> bytes:
        length = self.u16()
        if self.pos + length > len(self.body):
            raise MalformedPacket("field longer than the packet")
        value = bytes(self.body[self.pos : self.pos + length])
        self.pos += length
        return value

    def text(self) -> str:
        raw = self.binary()
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedPacket("a string is not UTF-8") from exc
        if "\x00" in value:
            raise MalformedPacket("a string contains NUL")  # [MQTT-1.5.3-2]
        return value

    def rest(self) -> bytes:
        value = bytes(self.body[self.pos :])
        self.pos = len(self.body)
        return value

    @property
    def done(self) -> bool:
        return self.pos >= len(self.body)


@dataclass(frozen=True, slots=True)
class Will:
    topic: str
    payload: bytes
    qos: int
    retain: bool


@dataclass(frozen=True, slots=True)
class Connect:
    protocol_name: str
    protocol_level: int
    clean_session: bool
    keepalive: int
    client_id: str
    will: Will | None
    username: str | None
    password: str | None

    def __repr__(self) -> str:  # never show the password
        return f"Connect(client_id={self.client_id!r}, username={self.username!r}, level={self.protocol_level})"


def peek_protocol(body: bytes) -> tuple[str, int]:
    """Protocol name and level, read before anything version-specific (MQTT 5 adds properties)."""
    cursor = _Cursor(body)
    raw = cursor.binary()
    return raw.decode("utf-8", "replace"), cursor.byte()


def decode_connect(body: bytes) -> Connect:
    cursor = _Cursor(body)
    name = cursor.text()
    level = cursor.byte()
    flags = cursor.byte()
    keepalive = cursor.u16()
    if flags & 0x01:
        raise MalformedPacket("CONNECT reserved flag set")  # [MQTT-3.1.2-3]
    will_flag = bool(flags & 0x04)
    will_qos = (flags >> 3) & 0x03
    will_retain = bool(flags & 0x20)
    if will_qos == 3 or (not will_flag and (will_qos or will_retain)):
        raise MalformedPacket("CONNECT will flags are inconsistent")
    if flags & 0x40 and not flags & 0x80:
        raise MalformedPacket("CONNECT has a password without a username")  # [MQTT-3.1.2-22]
    client_id = cursor.text()
    will = None
    if will_flag:
        will = Will(cursor.text(), cursor.binary(), will_qos, will_retain)
    username = cursor.text() if flags & 0x80 else None
    password = None
    if flags & 0x40:
        password = cursor.binary().decode("utf-8", "replace")
    if not cursor.done:
        raise MalformedPacket("CONNECT has trailing bytes")
    return Connect(name, level, bool(flags & 0x02), keepalive, client_id, will, username, password)


@dataclass(frozen=True, slots=True)
class Publish:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    dup: bool
    packet_id: int | None


def decode_publish(flags: int, body: bytes) -> Publish:
    qos = (flags >> 1) & 0x03
    if qos == 3:
        raise MalformedPacket("PUBLISH with QoS 3")
    cursor = _Cursor(body)
    raw = cursor.binary()
    try:
        topic = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedPacket("topic is not UTF-8") from exc
    packet_id = cursor.u16() if qos else None
    return Publish(topic, cursor.rest(), qos, bool(flags & 0x01), bool(flags & 0x08), packet_id)


def decode_packet_id(body: bytes) -> int:
    if len(body) != 2:
        raise MalformedPacket("acknowledgement of the wrong size")
    return int(struct.unpack_from("!H", body)[0])


def decode_subscribe(body: bytes) -> tuple[int, list[tuple[str, int]]]:
    cursor = _Cursor(body)
    packet_id = cursor.u16()
    topics: list[tuple[str, int]] = []
    while not cursor.done:
        topic_filter = cursor.text()
        qos = cursor.byte()
        if qos > 2:
            raise MalformedPacket("SUBSCRIBE with QoS above 2")  # [MQTT-3.8.3-4]
        topics.append((topic_filter, qos))
    if not topics:
        raise MalformedPacket("SUBSCRIBE without a topic")  # [MQTT-3.8.3-3]
    return packet_id, topics


def decode_unsubscribe(body: bytes) -> tuple[int, list[str]]:
    cursor = _Cursor(body)
    packet_id = cursor.u16()
    topics: list[str] = []
    while not cursor.done:
        topics.append(cursor.text())
    if not topics:
        raise MalformedPacket("UNSUBSCRIBE without a topic")
    return packet_id, topics


def publish_parts(topic: str, payload: bytes, qos: int) -> tuple[bytes, bytes]:
    """The bytes around the packet id of an outbound PUBLISH (never retained, never DUP).

    ``head`` is fixed header + topic, ``tail`` is the payload; QoS 0 frames are ``head + tail``,
    QoS 1 frames put a packet id between them.
    """
    encoded = topic.encode("utf-8")
    body_length = 2 + len(encoded) + (2 if qos else 0) + len(payload)
    head = bytes((0x30 | (qos << 1),)) + encode_length(body_length)
    return head + struct.pack("!H", len(encoded)) + encoded, payload


def ack(packet_type: int, packet_id: int) -> bytes:
    """PUBACK, PUBREC, PUBREL (flags 0b0010) or PUBCOMP for one packet id."""
    flags = 0x02 if packet_type == PUBREL else 0
    return struct.pack("!BBH", (packet_type << 4) | flags, 2, packet_id)


def connack(return_code: int) -> bytes:
    """Sessions are always clean here, so session-present is always 0."""
    return bytes(ConnackPacket.build(0, return_code).to_bytes())


def suback(packet_id: int, return_codes: list[int]) -> bytes:
    return bytes(SubackPacket.build(packet_id, return_codes).to_bytes())


def unsuback(packet_id: int) -> bytes:
    return bytes(UnsubackPacket.build(packet_id).to_bytes())
