"""The public surface of axon_sdk: what it exports, what it accepts, what it refuses."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

import axon_sdk
from axon_sdk import (
    Axon,
    AxonError,
    ConfigError,
    ConnectionFailed,
    Monitor,
    Param,
    RejectedByHub,
)

from .conftest import TOKEN, free_port


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNAPSE_TOKEN", TOKEN)
    monkeypatch.delenv("SYNAPSE_HUB", raising=False)
    monkeypatch.delenv("SYNAPSE_TOKEN_FILE", raising=False)


def test_the_package_exports_exactly_its_public_surface():
    assert sorted(axon_sdk.__all__) == sorted(
        [
            "Axon",
            "AxonError",
            "ConfigError",
            "ConnectionFailed",
            "Lease",
            "LeaseDenied",
            "LeaseRevoked",
            "Monitor",
            "Param",
            "RejectedByHub",
            "__version__",
        ]
    )
    public = {name for name in dir(axon_sdk) if not name.startswith("_")}
    assert public == set(axon_sdk.__all__) - {"__version__"}
    for name in axon_sdk.__all__:
        value = getattr(axon_sdk, name)
        if hasattr(value, "__module__"):
            assert value.__module__.startswith("axon_sdk"), name


def test_every_error_is_an_axon_error_and_config_errors_are_value_errors():
    for error in (ConfigError, ConnectionFailed, RejectedByHub):
        assert issubclass(error, AxonError)
    assert issubclass(ConfigError, ValueError)
    rejected = RejectedByHub("ttl is too small (min 5)", {"field": "ttl"}, "synapse/register/a")
    assert rejected.is_registration and "ttl is too small" in str(rejected)


def test_the_repr_masks_the_token_and_the_definition_leaves_it_out():
    axon = Axon("nas-01", name="NAS")
    assert TOKEN not in repr(axon) and "token='***'" in repr(axon)
    assert "auth_token" not in axon.definition()
    assert axon.hub == "mqtt://localhost:1883"


def test_the_token_and_the_hub_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SYNAPSE_HUB", "mqtts://hub.lan")
    assert Axon("a").hub == "mqtts://hub.lan:8883"
    monkeypatch.delenv("SYNAPSE_TOKEN")
    with pytest.raises(ConfigError, match="SYNAPSE_TOKEN"):
        Axon("a")
    (tmp_path / "token").write_text(TOKEN + "\n")
    monkeypatch.setenv("SYNAPSE_TOKEN_FILE", str(tmp_path / "token"))
    assert Axon("a")._token == TOKEN
    assert Axon("a", token="explicit")._token == "explicit"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"id": "Bad Id"}, "axon id must be"),
        ({"id": "a", "ttl": 1}, "ttl must be between 5"),
        ({"id": "a", "ttl": "60"}, "ttl must be a number"),
        ({"id": "a", "hub": "http://hub"}, "must start with mqtt://"),
        ({"id": "a", "hub": "mqtt://user:pw@hub"}, "must not carry credentials"),
        ({"id": "a", "docs": "missing-file.md"}, "docs file not found"),
    ],
)
def test_bad_arguments_are_refused_at_construction_with_the_name_and_value(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        Axon(**kwargs)


def test_docs_come_from_a_string_or_a_markdown_file(tmp_path):
    (tmp_path / "README.md").write_text("# NAS\nBackups at 3am.")
    assert Axon("a", docs=tmp_path / "README.md").docs == "# NAS\nBackups at 3am."
    assert Axon("a", docs=str(tmp_path / "README.md")).docs == "# NAS\nBackups at 3am."
    assert Axon("a", docs="# Inline docs").docs == "# Inline docs"


def test_decorators_build_the_registration_and_return_the_function():
    axon = Axon("a", ttl=30)

    @axon.action("restart", label="Restart", style="danger", params={"unit": str}, confirm=True)
    def restart(unit):
        return unit

    @axon.widget(
        "cpu",
        type="stat",
        label="CPU",
        unit="%",
        every=10,
        monitors=["value > 90", Monitor("value > 99", "critical", for_seconds=60)],
    )
    def cpu():
        return 1.0

    axon.widget("state", type="status")
    assert restart("x") == "x" and cpu() == 1.0
    definition = axon.definition()
    assert definition["actions"] == [
        {
            "id": "restart",
            "label": "Restart",
            "style": "danger",
            "confirm": True,
            "params": [{"id": "unit", "type": "string", "required": True}],
        }
    ]
    assert definition["widgets"][0]["monitors"] == [
        {"condition": "value > 90", "severity": "warning"},
        {"condition": "value > 99", "severity": "critical", "for": 60},
    ]
    assert definition["widgets"][1] == {
        "id": "state",
        "type": "status",
        "label": "State",
        "monitors": [],
    }
    json.dumps(definition)


def test_declaration_mistakes_are_config_errors():
    axon = Axon("a")
    with pytest.raises(ConfigError, match="type of widget 'cpu' must be one of"):
        axon.widget("cpu", type="pie")
    with pytest.raises(ConfigError, match="style of action 'go' must be one of"):
        axon.action("go", style="red")(lambda: None)
    with pytest.raises(ConfigError, match="requires argument 'unit'"):
        axon.action("restart")(lambda unit: None)
    with pytest.raises(ConfigError, match="declares param 'unit'"):
        axon.action("restart", params={"unit": str})(lambda: None)
    with pytest.raises(ConfigError, match="param type must be"):
        Param(list)
    with pytest.raises(ConfigError, match="async functions"):

        async def later() -> None:
            pass

        axon.action("later")(later)
    axon.widget("cpu")
    with pytest.raises(ConfigError, match="declared twice"):
        axon.widget("cpu")
    with pytest.raises(ConfigError, match="no widget 'mem'"):
        axon.report(mem=1)
    with pytest.raises(ConfigError, match="not a JSON value"):
        axon.report(cpu=object())


def test_start_with_a_timeout_raises_connection_failed_when_nothing_listens():
    axon = Axon("a", hub=f"mqtt://127.0.0.1:{free_port()}")
    with pytest.raises(ConnectionFailed, match="within 0.5 s"):
        axon.start(timeout=0.5)
    assert not axon.connected


def test_the_context_manager_runs_the_axon_in_the_background(broker, hub_side):
    hub = hub_side(broker)
    axon = Axon("ctx", hub=broker.url)
    axon.widget("state", type="status")
    with axon:
        assert axon.wait_connected(timeout=10)
        axon.report(state="busy")
        hub.wait_for("synapse/report/ctx", lambda m: m.json() == {"state": "busy"})
    assert not axon.connected
    hub.wait_for("synapse/status/ctx", lambda m: m.text == "offline")


def test_the_async_forms_run_inside_an_event_loop(broker, hub_side, caplog):
    hub = hub_side(broker)
    axon = Axon("async-axon", hub=broker.url)

    async def main() -> None:
        async with axon:
            await asyncio.to_thread(axon.wait_connected, 10)
            hub.wait_for("synapse/register/async-axon")
        task = asyncio.create_task(axon.run_async())
        await asyncio.to_thread(hub.wait_for, "synapse/register/async-axon", count=2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with caplog.at_level(logging.INFO, logger="axon_sdk"):
        asyncio.run(main())
    assert not axon.connected
    assert TOKEN not in caplog.text
