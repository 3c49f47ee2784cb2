"""One client connection: framing, the CONNECT handshake, keepalive and bounded delivery.

This replaces amqtt's ``BrokerProtocolHandler`` + ``_client_connected`` path, where each of the
broker's known defects lives: a trusted remaining length (unbounded buffering), a semaphore that
parks clients over the connection limit forever, no CONNECT deadline, MQTT 5 / 3.1 CONNECTs that
were not refused cleanly, a keepalive that was never enforced, unbounded per-client queues and
one task plus log line per message. It is an ``asyncio.Protocol``: bytes are cut into packets in
``data_received`` and handled synchronously, so a PUBLISH reaches the hub's sink without a task,
a queue or a loopback client in between. Everything about *what* is allowed (credentials, ACL,
routing) is asked of the ``Router``; this module only speaks MQTT.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections import deque
from enum import Enum
from typing import TYPE_CHECKING

from broker import wire
from broker.wire import MalformedPacket, PacketTooLarge, Will
from hub.ports import Identity

if TYPE_CHECKING:
    from broker.router import Router

log = logging.getLogger(__name__)

#: bytes queued in the kernel-facing transport before we stop writing and start counting
WRITE_HIGH_WATER = 256 * 1024
#: seconds a client's socket may refuse to drain before it is dropped as a stalled consumer
WRITE_STALL_TIMEOUT = 10.0
#: an MQTT keepalive is a promise to speak within k seconds; the broker waits 1.5 k [MQTT-3.1.2-24]
KEEPALIVE_GRACE = 1.5


class State(Enum):
    AWAITING_CONNECT = "awaiting_connect"
    REFUSING = "refusing"
    CONNECTED = "connected"
    CLOSED = "closed"


def effective_keepalive(requested: int, max_keepalive: int) -> int:
    """The keepalive the broker enforces: 0 ("never") and anything too long become the cap."""
    if requested <= 0 or requested > max_keepalive:
        return max_keepalive
    return requested


class Connection(asyncio.Protocol):
    def __init__(self, router: Router) -> None:
        self._router = router
        self._settings = router.settings
        self._stats = router.stats
        self._loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.state = State.AWAITING_CONNECT
        self.address: str | None = None
        self.client_id = ""
        self.username = ""
        self.identity = Identity.DENIED
        self.keepalive = 0
        self.will: Will | None = None
        self._admitted = False
        self._buffer = bytearray()
        self._timer: asyncio.TimerHandle | None = None
        self._stall_timer: asyncio.TimerHandle | None = None
        self._last_rx = 0.0
        self._paused = False
        self._backlog: deque[bytes] = deque()
        self._inflight: set[int] = set()
        self._qos2_in: set[int] = set()
        self._next_id = 0

    def __repr__(self) -> str:
        return f"<Connection {self.client_id or '?'} user={self.username!r} {self.state.value}>"

    # --- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # noqa: S101 - TCP listener only
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.address = peer[0] if peer else None
        if not self._router.admit(self):
            # refused before reading a byte: no semaphore, nobody waits (amqtt parked them)
            self.state = State.CLOSED
            transport.abort()
            return
        self._admitted = True
        transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)
        self._timer = self._loop.call_later(
            self._settings.connect_timeout, self._close, "no CONNECT in time", "protocol_errors"
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if self.state is not State.CLOSED:
            self._close("connection lost", None)
        if self._admitted:
            self._admitted = False
            self._router.release(self)

    def pause_writing(self) -> None:
        self._paused = True
        if self.transport is not None:
            self.transport.pause_reading()  # a client that does not read its acks stops being read
        self._stall_timer = self._loop.call_later(
            WRITE_STALL_TIMEOUT, self._drop_slow, "socket stopped draining"
        )

    def resume_writing(self) -> None:
        self._paused = False
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None
        if self.transport is None or self.state is State.CLOSED:
            return
        while self._backlog and not self._paused:
            self.transport.write(self._backlog.popleft())
        if not self._paused and self.state is State.CONNECTED:
            self.transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        if self.state is State.CLOSED or self.state is State.REFUSING:
            return
        self._last_rx = self._loop.time()
        if self.state is State.AWAITING_CONNECT and not self._buffer and data[:1] != b"\x10":
            self._close("the first packet is not CONNECT", "protocol_errors")
            return
        if self._buffer:
            self._buffer += data
            source: bytes | bytearray = self._buffer
        else:
            source = data
        try:
            frames, used = wire.split_frames(source, self._settings.max_packet_size)
        except PacketTooLarge as exc:
            self._close(str(exc), "oversized_packets")
            return
        except MalformedPacket as exc:
            self._close(str(exc), "protocol_errors")
            return
        if source is self._buffer:
            del self._buffer[:used]
        elif used < len(data):
            self._buffer += data[used:]
        try:
            for packet_type, flags, body in frames:
                if self.state is State.CONNECTED:
                    self._dispatch(packet_type, flags, body)
                elif self.state is State.AWAITING_CONNECT:
                    self._handshake(packet_type, body)
                else:
                    return
        except MalformedPacket as exc:
            self._close(str(exc), "protocol_errors")

    # --- handshake --------------------------------------------------------------------------

    def _handshake(self, packet_type: int, body: bytes) -> None:
        if packet_type != wire.CONNECT:
            raise MalformedPacket("the first packet is not CONNECT")  # [MQTT-3.1.0-1]
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        name, level = wire.peek_protocol(body)
        if name not in ("MQTT", "MQIsdp"):
            raise MalformedPacket(f"unknown protocol name {name[:16]!r}")
        if name != "MQTT" or level != 4:
            # MQTT 3.1 and 5 get a 3.1.1 CONNACK "unacceptable protocol version", then a close
            self._refuse(wire.UNACCEPTABLE_PROTOCOL, f"protocol level {level} ({name})")
            return
        connect = wire.decode_connect(body)
        self.client_id = connect.client_id
        if not connect.client_id:
            if not connect.clean_session:
                self._refuse(wire.IDENTIFIER_REJECTED, "empty client id without clean session")
                return
            self.client_id = self._router.generate_client_id()
        self.username = connect.username or ""
        identity = self._router.authenticate(connect.username, connect.password, self.address)
        if identity is Identity.DENIED:
            delay = self._router.auth_failed(connect.username, self.address)
            if delay > 0:
                self.state = State.REFUSING
                if self.transport is not None:
                    self.transport.pause_reading()
                self._timer = self._loop.call_later(
                    delay, self._refuse, wire.NOT_AUTHORIZED, "bad credentials"
                )
            else:
                self._refuse(wire.NOT_AUTHORIZED, "bad credentials")
            return
        self.identity = identity
        self.will = connect.will
        self.keepalive = effective_keepalive(connect.keepalive, self._settings.max_keepalive)
        if not self._router.register(self):
            self._refuse(wire.IDENTIFIER_REJECTED, "client id in use by another user")
            return
        self.state = State.CONNECTED
        self._write(wire.connack(wire.ACCEPTED))
        self._timer = self._loop.call_later(self.keepalive * KEEPALIVE_GRACE, self._check_keepalive)

    def _refuse(self, return_code: int, reason: str) -> None:
        self._stats.refused_connects += 1
        log.debug("refused %s from %s: %s", self.username or "?", self.address, reason)
        self.state = State.REFUSING
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(wire.connack(return_code))
            self.transport.close()  # flushes the CONNACK, then FIN
        self.state = State.CLOSED
        self._cancel_timers()

    def _check_keepalive(self) -> None:
        deadline = self._last_rx + self.keepalive * KEEPALIVE_GRACE
        now = self._loop.time()
        if now >= deadline - 0.01:
            self._close(f"silent for {now - self._last_rx:.1f} s", "keepalive_timeouts")
        else:
            self._timer = self._loop.call_later(deadline - now, self._check_keepalive)

    # --- connected --------------------------------------------------------------------------

    def _dispatch(self, packet_type: int, flags: int, body: bytes) -> None:
        if packet_type == wire.PUBLISH:
            publish = wire.decode_publish(flags, body)
            if publish.qos == 0:
                self._router.accept_publish(self, publish.topic, publish.payload, 0, publish.retain)
            elif publish.qos == 1:
                self._router.accept_publish(self, publish.topic, publish.payload, 1, publish.retain)
                self._write(wire.ack(wire.PUBACK, publish.packet_id or 0))
            else:
                packet_id = publish.packet_id or 0
                if packet_id not in self._qos2_in:  # delivered once; a DUP resend only re-acks
                    if len(self._qos2_in) >= self._settings.client_queue_limit:
                        raise MalformedPacket("too many QoS 2 messages awaiting PUBREL")
                    self._qos2_in.add(packet_id)
                    self._router.accept_publish(
                        self, publish.topic, publish.payload, 2, publish.retain
                    )
                self._write(wire.ack(wire.PUBREC, packet_id))
        elif packet_type == wire.PUBACK:
            self._inflight.discard(wire.decode_packet_id(body))
        elif packet_type == wire.PINGREQ:
            self._write(wire.PINGRESP_FRAME)
        elif packet_type == wire.SUBSCRIBE:
            _expect_flags(flags, 0x02, "SUBSCRIBE")
            packet_id, requests = wire.decode_subscribe(body)
            self._write(wire.suback(packet_id, self._router.subscribe(self, requests)))
        elif packet_type == wire.UNSUBSCRIBE:
            _expect_flags(flags, 0x02, "UNSUBSCRIBE")
            packet_id, filters = wire.decode_unsubscribe(body)
            self._router.unsubscribe(self, filters)
            self._write(wire.unsuback(packet_id))
        elif packet_type == wire.PUBREL:
            _expect_flags(flags, 0x02, "PUBREL")
            packet_id = wire.decode_packet_id(body)
            self._qos2_in.discard(packet_id)
            self._write(wire.ack(wire.PUBCOMP, packet_id))
        elif packet_type == wire.DISCONNECT:
            self.will = None  # [MQTT-3.14.4-3] a clean DISCONNECT discards the will
            self._close("disconnected", None)
        elif packet_type in (wire.PUBREC, wire.PUBCOMP):
            pass  # the broker never sends QoS 2 (subscriptions are granted at most QoS 1)
        else:
            raise MalformedPacket(f"unexpected packet type {packet_type}")

    def deliver(self, head: bytes, tail: bytes, qos: int) -> None:
        """Queue one PUBLISH for this client, or drop the client when it cannot keep up."""
        if self.state is not State.CONNECTED or self.transport is None:
            return
        limit = self._settings.client_queue_limit
        if qos:
            if len(self._inflight) >= limit:
                self._drop_slow(f"{limit} deliveries unacknowledged")
                return
            packet_id = self._allocate_id()
            self._inflight.add(packet_id)
            frame = head + struct.pack("!H", packet_id) + tail
        else:
            frame = head + tail
        self._stats.messages_out += 1
        if self._paused:
            self._backlog.append(frame)
            if len(self._backlog) > limit:
                self._drop_slow(f"{limit} deliveries queued behind a full socket")
        else:
            self.transport.write(frame)

    def _allocate_id(self) -> int:
        for _ in range(65535):
            self._next_id = self._next_id % 65535 + 1
            if self._next_id not in self._inflight:
                return self._next_id
        raise RuntimeError("no free packet id")  # unreachable: inflight is bounded below 65535

    def _write(self, frame: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(frame)

    # --- closing ----------------------------------------------------------------------------

    def _drop_slow(self, reason: str) -> None:
        self._close(f"slow consumer: {reason}", "dropped_slow_consumer", abort=True)

    def take_over(self) -> None:
        """A newer connection with the same client id won [MQTT-3.1.4-2]."""
        self._close("taken over by a new connection", "takeovers")

    def shutdown(self) -> None:
        self.will = None
        self._close("broker stopping", None)

    def _close(self, reason: str, counter: str | None, *, abort: bool = False) -> None:
        """Close once; any close that was not a DISCONNECT publishes the will."""
        if self.state is State.CLOSED:
            return
        was_connected = self.state is State.CONNECTED
        self.state = State.CLOSED
        self._cancel_timers()
        if counter is not None:
            setattr(self._stats, counter, getattr(self._stats, counter) + 1)
            if counter != "takeovers":
                log.info("closing %r from %s: %s", self, self.address, reason)
        self._backlog.clear()
        self._inflight.clear()
        self._buffer = bytearray()
        if was_connected:
            self._router.unregister(self)
        if self.transport is not None:
            if abort:
                self.transport.abort()
            else:
                self.transport.close()

    def _cancel_timers(self) -> None:
        for timer in (self._timer, self._stall_timer):
            if timer is not None:
                timer.cancel()
        self._timer = self._stall_timer = None


def _expect_flags(flags: int, expected: int, name: str) -> None:
    if flags != expected:
        raise MalformedPacket(f"{name} with reserved flags {flags:#x}")  # [MQTT-3.8.1-1]
