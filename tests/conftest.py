"""Fixtures shared by the whole suite; plain helpers live in tests/factories.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.clock import ManualClock
from hub.hub import Hub
from hub.storage import Storage
from tests.example_axon import ExampleAxon
from tests.factories import make_settings
from tests.runtime import RunningHub


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def make_hub(tmp_path: Path, clock: ManualClock) -> Iterator[Callable[..., Hub]]:
    """Build (and start) a hub on a fresh SQLite file; call again to simulate a restart."""
    hubs: list[Hub] = []

    def factory(**changes: Any) -> Hub:
        settings = make_settings(tmp_path, **changes)
        hub = Hub(settings, Storage(settings.effective_database_url), clock)
        hub.start()
        hubs.append(hub)
        return hub

    yield factory
    for hub in hubs:
        hub.storage.dispose()


@pytest.fixture
def make_running_hub(tmp_path: Path) -> Iterator[Callable[..., RunningHub]]:
    """Start whole hubs (real broker + HTTP on free ports); all are stopped after the test."""
    hubs: list[RunningHub] = []

    def factory(clock: Any = None, **changes: Any) -> RunningHub:
        running = RunningHub.start(tmp_path, clock, **changes)
        hubs.append(running)
        return running

    yield factory
    for running in hubs:
        running.stop()


@pytest.fixture
def start_axon(tmp_path: Path) -> Iterator[Callable[[RunningHub], ExampleAxon]]:
    """Start the 10-line example axon against a running hub; killed after the test."""
    started: list[ExampleAxon] = []

    def start(running: RunningHub) -> ExampleAxon:
        axon = ExampleAxon(running, tmp_path)
        started.append(axon)
        return axon

    yield start
    for axon in started:
        axon.stop()
