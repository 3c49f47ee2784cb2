"""Counters the embedded and external brokers keep, read by the hub's stats page and by tests.

Plain integers on a dataclass: they are only touched from the event loop thread, so no locking,
and reading them costs nothing. Every refusal the broker makes is counted here instead of being
logged per message (amqtt logged one line per message and drowned real problems).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from hub.ports import Inbound, InboundSink

log = logging.getLogger(__name__)


@dataclass(slots=True)
class BrokerStats:
    #: clients connected and authenticated right now
    connections: int = 0
    #: clients ever accepted (CONNACK 0)
    connections_total: int = 0
    #: CONNECTs refused for any reason (bad credentials, protocol version, limit, malformed)
    refused_connects: int = 0
    #: of which: wrong or missing credentials (CONNACK 5)
    auth_failures: int = 0
    #: of which: sockets closed at once because max_connections was reached
    refused_over_limit: int = 0
    #: PUBLISHes (and last wills) dropped by the topic ACL
    refused_publishes: int = 0
    #: subscription filters answered with SUBACK 0x80
    refused_subscribes: int = 0
    #: clients disconnected because their outstanding deliveries passed client_queue_limit
    #: or their socket stopped draining
    dropped_slow_consumer: int = 0
    #: connections closed for a packet larger than max_packet_size
    oversized_packets: int = 0
    #: connections closed for a malformed or out-of-order packet, or no CONNECT in time
    protocol_errors: int = 0
    #: connections closed because the client was silent for 1.5 x its keepalive
    keepalive_timeouts: int = 0
    #: older connections closed because a newer one came with the same client id
    takeovers: int = 0
    #: accepted PUBLISHes from clients, last wills included
    messages_in: int = 0
    #: messages handed to the hub's sink
    messages_ingested: int = 0
    #: sink.handle raised (it must not; the message is lost and counted)
    sink_errors: int = 0
    #: PUBLISH packets written to subscribers
    messages_out: int = 0
    #: last wills published for clients that went away without DISCONNECT
    wills_published: int = 0

    def snapshot(self) -> dict[str, int]:
        """A copy for display; the live object keeps counting."""
        return asdict(self)


def hand_to_sink(sink: InboundSink, message: Inbound, stats: BrokerStats) -> None:
    """Give a message to the hub; a bug there is counted, logged now and then, never raised
    into the connection (or paho's thread) that carried the message."""
    try:
        sink.handle(message)
    except Exception:
        stats.sink_errors += 1
        if stats.sink_errors == 1 or stats.sink_errors % 1000 == 0:
            log.exception("the hub's sink raised (%d so far)", stats.sink_errors)
    else:
        stats.messages_ingested += 1
