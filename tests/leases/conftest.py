"""A hub whose host is whatever the test says: readings go straight to the quiet tracker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hub.clock import ManualClock
from hub.hub import Hub
from hub.quiet import QuietLevel, Readings


class Host:
    """The simulated stats source: set the CPU, the hub sees a score of 100 − cpu."""

    def __init__(self, hub: Hub, clock: ManualClock) -> None:
        self.hub = hub
        self.clock = clock

    def cpu(self, percent: float) -> QuietLevel:
        return self.hub.quiet.observe(Readings(cpu_percent=percent)).level

    def settle(self, percent: float) -> QuietLevel:
        """Hold a reading past the minimum dwell so the state follows it."""
        self.cpu(percent)
        self.clock.advance(self.hub.settings.quiet_min_dwell)
        return self.cpu(percent)


@pytest.fixture
def lease_hub(make_hub: Callable[..., Hub]) -> Callable[..., Hub]:
    def factory(**settings: Any) -> Hub:
        hub = make_hub(auto_approve=True, **settings)
        for axon_id in ("nas-01", "nas-02", "media-01", "db-01"):
            hub.ingest.state_for(axon_id)
        return hub

    return factory


@pytest.fixture
def hub(lease_hub: Callable[..., Hub]) -> Hub:
    return lease_hub()


@pytest.fixture
def host(hub: Hub, clock: ManualClock) -> Host:
    host = Host(hub, clock)
    host.cpu(0)  # an idle host: score 100, QUIET
    return host


def ask(hub: Hub, axon_id: str = "nas-01", **fields: Any) -> Any:
    body = {"axon_id": axon_id, "job_type": "backup", "cost_units": 40, **fields}
    return hub.leases.request(body)
