"""MQTT transports for the hub: the embedded broker (default) or a client of an external one.

Both implement ``hub.ports.Publisher`` and hand every axon message to an ``InboundSink`` on the
event loop thread. See docs/broker.md for what the embedded broker changes in amqtt and why.
"""

from broker.embedded import EmbeddedBroker
from broker.external import ExternalBroker
from broker.stats import BrokerStats

__all__ = ["BrokerStats", "EmbeddedBroker", "ExternalBroker"]
