"""The exceptions axon_sdk raises.

Every one of them is an ``AxonError``, so ``except AxonError`` catches all that the SDK raises
on purpose::

    AxonError
    ├── ConfigError        a bad argument: an id, a ttl, a hub URL, a missing token (ValueError too)
    ├── ConnectionFailed   the hub could not be reached in time, or refused the credentials
    └── RejectedByHub      the hub refused something this axon sent (its synapse/error/{id} topic)

paho-mqtt's own errors are translated where they enter (``_axon.py``); none leaks out as is.
"""

from __future__ import annotations

from typing import Any


class AxonError(Exception):
    """Base class of every error axon_sdk raises."""


class ConfigError(AxonError, ValueError):
    """An argument the SDK cannot work with; the message names the argument and the value."""


class ConnectionFailed(AxonError):
    """The hub's broker could not be reached in time, or it refused the id/token pair."""


class RejectedByHub(AxonError):
    """The hub rejected a message from this axon, most often its registration.

    ``error`` is the hub's one-sentence reason, ``detail`` whatever structured detail it added,
    ``topic`` the topic of the rejected message (e.g. ``synapse/register/my-axon``).
    """

    def __init__(self, error: str, detail: Any = None, topic: str | None = None) -> None:
        self.error = error
        self.detail = detail
        self.topic = topic
        where = f" (on {topic})" if topic else ""
        super().__init__(f"the hub rejected a message{where}: {error}")

    @property
    def is_registration(self) -> bool:
        """True when the rejected message was this axon's registration."""
        return "/register/" in (self.topic or "")
