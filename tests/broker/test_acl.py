"""The topic ACL as a table: who may publish and subscribe where."""

from __future__ import annotations

import pytest

from broker.acl import TopicPolicy
from hub.ports import Identity
from hub.topics import Topics

policy = TopicPolicy(Topics())
AXON, HUB = Identity.AXON, Identity.HUB


@pytest.mark.parametrize(
    ("identity", "topic", "allowed"),
    [
        (AXON, "synapse/register/nas-01", True),
        (AXON, "synapse/report/nas-01", True),
        (AXON, "synapse/report/nas-01/cpu", True),
        (AXON, "synapse/status/nas-01", True),
        (AXON, "synapse/result/nas-01", True),
        (AXON, "synapse/lease/nas-01/request", True),
        (AXON, "synapse/maintenance/nas-01", True),
        (AXON, "synapse/report/cam-02", False),  # someone else's id
        (AXON, "synapse/command/nas-01", False),  # only the hub sends commands
        (AXON, "synapse/error/nas-01", False),
        (AXON, "synapse/unknown/nas-01", False),
        (AXON, "other/report/nas-01", False),
        (AXON, "synapse/report/nas-01\x00x", False),
        (AXON, "synapse/report/nas-01/c\x07pu", False),
        (AXON, "synapse/report/nas-01/#", False),
        (AXON, "$SYS/broker", False),
        (HUB, "synapse/command/nas-01", True),
        (HUB, "synapse/error/nas-01", True),
        (HUB, "synapse/lease/nas-01/grant", True),
        (HUB, "synapse/command/+", False),
        (HUB, "bad\x00topic", False),
        (Identity.DENIED, "synapse/report/nas-01", False),
    ],
)
def test_publish_rules(identity: Identity, topic: str, allowed: bool) -> None:
    assert policy.may_publish(identity, "nas-01" if identity is AXON else "_hub", topic) is allowed


@pytest.mark.parametrize(
    ("identity", "topic_filter", "allowed"),
    [
        (AXON, "synapse/command/nas-01", True),
        (AXON, "synapse/error/nas-01", True),
        (AXON, "synapse/lease/nas-01/#", True),
        (AXON, "synapse/lease/nas-01/+", True),
        (AXON, "synapse/lease/nas-01/grant", True),
        (AXON, "synapse/command/nas-01/sub", True),
        (AXON, "synapse/command/cam-02", False),
        (AXON, "synapse/lease/cam-02/#", False),
        (AXON, "#", False),
        (AXON, "synapse/#", False),
        (AXON, "synapse/register/+", False),
        (AXON, "synapse/command/+", False),
        (AXON, "synapse/command/nas-01/#", False),
        (AXON, "synapse/+/nas-01", False),
        (AXON, "$SYS/#", False),
        (AXON, "synapse/lease/nas-01#", False),  # malformed filter
        (HUB, "synapse/#", True),
        (HUB, "#", True),
        (HUB, "synapse/a#", False),
        (Identity.DENIED, "synapse/command/nas-01", False),
    ],
)
def test_subscribe_rules(identity: Identity, topic_filter: str, allowed: bool) -> None:
    username = "nas-01" if identity is AXON else "_hub"
    assert policy.may_subscribe(identity, username, topic_filter) is allowed
