"""The topic layout of the wire contract, in one place.

``Topics`` builds and parses ``{prefix}/{kind}/{axon_id}[/{rest}]``. Anything that does not parse
(an unknown kind, an id outside ``[a-z0-9][a-z0-9_.-]{0,63}``, NUL or control characters) is
``None`` and never reaches hub logic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

AXON_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
WIDGET_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class Kind(StrEnum):
    """Second topic level: what a message is."""

    REGISTER = "register"
    REPORT = "report"
    STATUS = "status"
    RESULT = "result"
    LEASE = "lease"
    MAINTENANCE = "maintenance"
    COMMAND = "command"
    ERROR = "error"


#: kinds an axon may publish on (under its own id)
AXON_PUBLISH = frozenset(
    {Kind.REGISTER, Kind.REPORT, Kind.STATUS, Kind.RESULT, Kind.LEASE, Kind.MAINTENANCE}
)
#: kinds only the hub publishes on
HUB_PUBLISH = frozenset({Kind.COMMAND, Kind.ERROR, Kind.LEASE})


@dataclass(frozen=True, slots=True)
class ParsedTopic:
    kind: Kind
    axon_id: str
    rest: str  # "" or the part after the id, e.g. a widget id or a lease verb


def is_valid_axon_id(value: str) -> bool:
    return bool(AXON_ID_RE.match(value))


def has_control_chars(value: str) -> bool:
    return bool(_CONTROL_RE.search(value))


@dataclass(frozen=True)
class Topics:
    prefix: str = "synapse"

    def build(self, kind: Kind, axon_id: str, *rest: str) -> str:
        return "/".join((self.prefix, kind.value, axon_id, *rest))

    def command(self, axon_id: str) -> str:
        return self.build(Kind.COMMAND, axon_id)

    def error(self, axon_id: str) -> str:
        return self.build(Kind.ERROR, axon_id)

    def parse(self, topic: str) -> ParsedTopic | None:
        """Split a topic into kind, id and rest; ``None`` for anything outside the contract."""
        if has_control_chars(topic) or len(topic) > 256:
            return None
        parts = topic.split("/", 3)
        if len(parts) < 3 or parts[0] != self.prefix:
            return None
        try:
            kind = Kind(parts[1])
        except ValueError:
            return None
        axon_id = parts[2]
        if not is_valid_axon_id(axon_id):
            return None
        rest = parts[3] if len(parts) == 4 else ""
        if "+" in topic or "#" in topic:
            return None
        return ParsedTopic(kind, axon_id, rest)

    def subscriptions(self) -> list[str]:
        """Filters the hub subscribes to when it is a client of an external broker."""
        return [f"{self.prefix}/{k.value}/#" for k in sorted(AXON_PUBLISH)]
