"""The exceptions axon_sdk raises.

Every one of them is an ``AxonError``, so ``except AxonError`` catches all that the SDK raises
on purpose::

    AxonError
    ├── ConfigError        a bad argument: an id, a ttl, a hub URL, a missing token (ValueError too)
    ├── ConnectionFailed   the hub could not be reached in time, or refused the credentials
    ├── LeaseDenied        the hub did not grant a lease (``reason``, ``retry_after``)
    ├── LeaseRevoked       the hub took a held lease back (revoked, or expired without heartbeat)
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


class LeaseDenied(AxonError):
    """The hub said no (or did not grant within ``timeout``).

    ``reason`` is the hub's sentence ("Capacity exceeded: used=60, requested=50, capacity=100"),
    ``retry_after`` the seconds it suggests waiting (None when it gave none), ``decision`` the
    whole answer.
    """

    def __init__(
        self, reason: str, retry_after: float | None = None, decision: dict[str, Any] | None = None
    ) -> None:
        self.reason = reason
        self.retry_after = retry_after
        self.decision = decision or {}
        hint = f"; retry in {retry_after:g} s" if retry_after else ""
        super().__init__(f"lease denied: {reason}{hint}")


class LeaseRevoked(AxonError):
    """The hub took the lease back (revoked by an admin, or expired without heartbeat)."""

    def __init__(self, lease_id: str, reason: str) -> None:
        self.lease_id = lease_id
        self.reason = reason
        super().__init__(f"lease {lease_id} was taken back: {reason}")
