"""The subscription index: MQTT matching rules, cheap removal, and a cost that does not grow."""

from __future__ import annotations

import pytest

from broker.subscriptions import SubscriptionIndex


def index_with(*filters: tuple[str, str, int]) -> SubscriptionIndex[str]:
    index: SubscriptionIndex[str] = SubscriptionIndex()
    for topic_filter, subscriber, qos in filters:
        index.add(topic_filter, subscriber, qos)
    return index


@pytest.mark.parametrize(
    ("topic_filter", "topic", "matches"),
    [
        ("synapse/command/nas-01", "synapse/command/nas-01", True),
        ("synapse/command/nas-01", "synapse/command/nas-012", False),
        ("synapse/lease/nas-01/#", "synapse/lease/nas-01/grant", True),
        ("synapse/lease/nas-01/#", "synapse/lease/nas-01", True),  # '#' also matches the parent
        ("synapse/lease/nas-01/#", "synapse/lease/cam-02/grant", False),
        ("synapse/+/nas-01", "synapse/report/nas-01", True),
        ("synapse/+/nas-01", "synapse/report/nas-01/cpu", False),
        ("synapse/+", "synapse", False),
        ("+/+", "a/", True),  # an empty level is a level
        ("#", "synapse/report/nas-01", True),
        ("#", "$SYS/broker/load", False),  # [MQTT-4.7.2-1]
        ("+/broker/load", "$SYS/broker/load", False),
        ("$SYS/#", "$SYS/broker/load", True),
    ],
)
def test_it_follows_the_mqtt_matching_rules(topic_filter: str, topic: str, matches: bool) -> None:
    index = index_with((topic_filter, "a", 1))
    assert (index.match(topic) == {"a": 1}) is matches


def test_a_subscriber_matched_by_two_filters_gets_one_delivery_at_the_higher_qos() -> None:
    index = index_with(("synapse/#", "hub", 0), ("synapse/report/+", "hub", 1), ("x", "b", 0))
    assert index.match("synapse/report/nas-01") == {"hub": 1}


def test_removing_a_subscriber_touches_only_its_own_filters_and_prunes_the_trie() -> None:
    index = index_with(
        ("synapse/command/a", "a", 1),
        ("synapse/lease/a/#", "a", 1),
        ("synapse/command/b", "b", 1),
    )
    assert index.remove_all("a") == 2
    assert index.match("synapse/lease/a/grant") == {}
    assert index.match("synapse/command/b") == {"b": 1}
    assert len(index) == 1
    assert index._root.children == {}  # no empty branches left behind
    assert index.remove("synapse/command/b", "a") is False


def test_resubscribing_replaces_the_qos() -> None:
    index = index_with(("t", "a", 0))
    index.add("t", "a", 1)
    assert index.match("t") == {"a": 1}
    assert len(index) == 1
