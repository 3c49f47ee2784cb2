"""The subscription index: which subscribers want a topic, at a cost that does not grow with them.

amqtt keeps ``dict[filter, list[(session, qos)]]`` and, for every message, tests the topic against
*every* filter (``_run_broadcast``); removing a client scans every filter too
(``_del_all_subscriptions``). With one command, error and lease filter per axon that is linear in
the number of axons, per message. Here exact filters (the common case) live in a dict keyed by
topic, and wildcard filters in a trie walked level by level, so matching costs one dict lookup
plus a walk bounded by the topic's depth. Each subscriber's own filters are remembered so that
dropping a client touches only its own entries.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

S = TypeVar("S", bound=Hashable)


class _Node(Generic[S]):
    __slots__ = ("children", "subscribers")

    def __init__(self) -> None:
        self.children: dict[str, _Node[S]] = {}
        self.subscribers: dict[S, int] = {}


class SubscriptionIndex(Generic[S]):
    """Maps topic filters to ``{subscriber: qos}``; ``match`` answers one topic."""

    def __init__(self) -> None:
        self._exact: dict[str, dict[S, int]] = {}
        self._root: _Node[S] = _Node()
        self._by_subscriber: dict[S, dict[str, int]] = {}

    def __len__(self) -> int:
        """Number of (subscriber, filter) pairs."""
        return sum(len(filters) for filters in self._by_subscriber.values())

    def filters_of(self, subscriber: S) -> dict[str, int]:
        return dict(self._by_subscriber.get(subscriber, {}))

    def add(self, topic_filter: str, subscriber: S, qos: int) -> None:
        """Subscribe (or re-subscribe with a new QoS); the filter must already be valid."""
        self._by_subscriber.setdefault(subscriber, {})[topic_filter] = qos
        if "+" in topic_filter or "#" in topic_filter:
            node = self._root
            for level in topic_filter.split("/"):
                node = node.children.setdefault(level, _Node())
            node.subscribers[subscriber] = qos
        else:
            self._exact.setdefault(topic_filter, {})[subscriber] = qos

    def remove(self, topic_filter: str, subscriber: S) -> bool:
        """Unsubscribe one filter; ``False`` when it was not subscribed."""
        filters = self._by_subscriber.get(subscriber)
        if filters is None or filters.pop(topic_filter, None) is None:
            return False
        if not filters:
            del self._by_subscriber[subscriber]
        if "+" in topic_filter or "#" in topic_filter:
            self._remove_wildcard(topic_filter.split("/"), subscriber)
        else:
            subscribers = self._exact[topic_filter]
            del subscribers[subscriber]
            if not subscribers:
                del self._exact[topic_filter]
        return True

    def remove_all(self, subscriber: S) -> int:
        """Drop every filter of one subscriber; touches only that subscriber's entries."""
        filters = list(self._by_subscriber.get(subscriber, ()))
        for topic_filter in filters:
            self.remove(topic_filter, subscriber)
        return len(filters)

    def match(self, topic: str) -> dict[S, int]:
        """Subscribers of ``topic`` with the highest QoS among their matching filters."""
        exact = self._exact.get(topic)
        result: dict[S, int] = dict(exact) if exact else {}
        if self._root.children:
            self._walk(self._root, topic.split("/"), 0, topic.startswith("$"), result)
        return result

    def _walk(
        self, node: _Node[S], levels: list[str], depth: int, system: bool, result: dict[S, int]
    ) -> None:
        # [MQTT-4.7.2-1] a filter starting with a wildcard does not match a $-topic
        wild_ok = not (system and depth == 0)
        hash_node = node.children.get("#") if wild_ok else None
        if hash_node is not None:
            _merge(result, hash_node.subscribers)
        if depth == len(levels):
            _merge(result, node.subscribers)
            return
        child = node.children.get(levels[depth])
        if child is not None:
            self._walk(child, levels, depth + 1, system, result)
        plus = node.children.get("+") if wild_ok else None
        if plus is not None:
            self._walk(plus, levels, depth + 1, system, result)

    def _remove_wildcard(self, levels: list[str], subscriber: S) -> None:
        path: list[tuple[_Node[S], str]] = []
        node = self._root
        for level in levels:
            path.append((node, level))
            node = node.children[level]
        del node.subscribers[subscriber]
        # prune empty branches so a churn of clients does not leave the trie growing
        for parent, level in reversed(path):
            child = parent.children[level]
            if child.subscribers or child.children:
                break
            del parent.children[level]


def _merge(into: dict[S, int], subscribers: dict[S, int]) -> None:
    for subscriber, qos in subscribers.items():
        if into.get(subscriber, -1) < qos:
            into[subscriber] = qos
