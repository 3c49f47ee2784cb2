"""Synapse's own exceptions, and the one place their tree is drawn.

    SynapseError                 base: everything the hub raises on purpose
    ├── SettingsError            a SYNAPSE_ variable has a bad value (names the variable)
    ├── ValidationError          an inbound payload broke the contract (one human sentence)
    │   ├── RegistrationError    a registration was rejected; the last good one stays in force
    │   └── ExpressionError      a monitor expression is unsafe, or failed on a report's values
    ├── NotFoundError            an axon, token or key that does not exist
    ├── ConflictError            a request that contradicts stored state (axon offline, pending)
    │   └── LeaseError           a lease call on a lease that is not active (ended, revoked, expired)
    ├── AuthError                a credential that does not check out
    ├── ForbiddenError           a known caller whose role does not allow the request
    ├── NotifyError              a notification was not delivered (``permanent``: do not retry)
    └── StorageError             the database refused; library errors are translated here

Edges turn these into messages: the MQTT error topic (``synapse/error/{id}``), HTTP problem JSON
and CLI lines. Every message is a sentence a person can act on ("ttl is too small (min 5)").
"""

from __future__ import annotations


class SynapseError(Exception):
    """Base of every error the hub raises on purpose."""

    #: short machine-readable code used on the MQTT error topic and in problem JSON
    code = "error"

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class SettingsError(SynapseError):
    code = "bad_setting"


class ValidationError(SynapseError):
    code = "invalid"


class RegistrationError(ValidationError):
    code = "registration_rejected"


class ExpressionError(ValidationError):
    code = "bad_expression"


class NotFoundError(SynapseError):
    code = "not_found"


class ConflictError(SynapseError):
    code = "conflict"


class LeaseError(ConflictError):
    code = "lease_not_active"


class AuthError(SynapseError):
    code = "unauthorized"


class ForbiddenError(SynapseError):
    code = "forbidden"


class StorageError(SynapseError):
    code = "storage"


class NotifyError(SynapseError):
    """A delivery failed; ``permanent`` (a malformed URL, a refused login) means do not retry."""

    code = "notify_failed"

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
