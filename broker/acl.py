"""Who may publish and subscribe where: the topic ACL of the wire contract.

An axon authenticates with its id as username, so its identity *is* the id in the topic. It may
publish only under its own id on the kinds an axon sends (register, report, status, result,
lease, maintenance) and subscribe only to what the hub sends it (its command and error topics
and its lease subtree). The hub may do anything except use malformed topics. Decisions are pure
functions of (identity, username, topic) so they are unit-tested without a network.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.ports import Identity
from hub.topics import AXON_PUBLISH, Kind, ParsedTopic, Topics, has_control_chars

MAX_TOPIC_LENGTH = 256


def is_valid_topic_name(topic: str) -> bool:
    """A topic a PUBLISH may carry: non-empty, no wildcards, no control characters, not $-system."""
    return (
        0 < len(topic) <= MAX_TOPIC_LENGTH
        and "+" not in topic
        and "#" not in topic
        and not topic.startswith("$")
        and not has_control_chars(topic)
    )


def is_valid_filter(topic_filter: str) -> bool:
    """MQTT 4.7.1: '+' and '#' occupy whole levels and '#' only the last one."""
    if not 0 < len(topic_filter) <= MAX_TOPIC_LENGTH or has_control_chars(topic_filter):
        return False
    levels = topic_filter.split("/")
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != len(levels) - 1):
            return False
        if "+" in level and level != "+":
            return False
    return True


def has_wildcard(topic_filter: str) -> bool:
    return "+" in topic_filter or "#" in topic_filter


@dataclass(frozen=True)
class TopicPolicy:
    topics: Topics

    def axon_publish(self, username: str, topic: str) -> ParsedTopic | None:
        """The parsed topic when an axon named ``username`` may publish on it, else ``None``."""
        if not is_valid_topic_name(topic):
            return None
        parsed = self.topics.parse(topic)
        if parsed is None or parsed.kind not in AXON_PUBLISH or parsed.axon_id != username:
            return None
        return parsed

    def may_publish(self, identity: Identity, username: str, topic: str) -> bool:
        if identity is Identity.HUB:
            return is_valid_topic_name(topic)
        if identity is Identity.AXON:
            return self.axon_publish(username, topic) is not None
        return False

    def may_subscribe(self, identity: Identity, username: str, topic_filter: str) -> bool:
        if not is_valid_filter(topic_filter):
            return False
        if identity is Identity.HUB:
            return True
        if identity is not Identity.AXON:
            return False
        own_command = self.topics.build(Kind.COMMAND, username)
        own_error = self.topics.build(Kind.ERROR, username)
        own_lease = self.topics.build(Kind.LEASE, username)
        if topic_filter in (own_command, own_error, own_lease):
            return True
        if topic_filter.startswith(own_lease + "/"):
            # the lease subtree is the one place an axon may use wildcards
            return True
        if has_wildcard(topic_filter):
            return False
        return topic_filter.startswith((own_command + "/", own_error + "/"))
