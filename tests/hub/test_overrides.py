"""Overrides: policy laid over the definition; the user's edit always wins."""

from __future__ import annotations

import pytest

from hub.errors import ValidationError
from hub.hub import Hub
from tests.factories import registration, send


def test_an_override_survives_the_axon_re_registering(make_hub) -> None:
    hub: Hub = make_hub()
    send(hub, "synapse/register/nas-01", registration())
    hub.patch_overrides("nas-01", {"name": "Photo vault", "widgets": {"cpu": {"label": "Load"}}})
    send(hub, "synapse/register/nas-01", registration(name="Renamed by the axon"))
    detail = hub.axon("nas-01")
    assert detail.name == "Photo vault"
    assert detail.effective is not None
    assert detail.effective["widgets"][0]["label"] == "Load"
    assert detail.definition is not None and detail.definition["name"] == "Renamed by the axon"


def test_null_resets_and_empty_clears(make_hub) -> None:
    hub: Hub = make_hub()
    send(hub, "synapse/register/nas-01", registration())
    hub.patch_overrides("nas-01", {"docs": "", "widgets": {"cpu": {"monitors": []}}})
    effective = hub.axon("nas-01").effective
    assert effective is not None
    assert effective["docs"] == "" and effective["widgets"][0]["monitors"] == []
    hub.patch_overrides("nas-01", {"docs": None})
    assert hub.axon("nas-01").overrides == {"widgets": {"cpu": {"monitors": []}}}
    detail = hub.reset_override("nas-01", "widgets.cpu.monitors")
    assert detail.overrides == {}
    assert detail.effective is not None and detail.effective["docs"].startswith("# NAS")


@pytest.mark.parametrize(
    ("patch", "sentence"),
    [
        ({"id": "x"}, "id is part of the axon's definition"),
        (
            {"widgets": {"cpu": {"type": "gauge"}}},
            "widgets.cpu.type is part of the axon's definition",
        ),
        ({"actions": {"restart": {"style": "primary"}}}, "actions.restart.style is part of"),
        ({"ttl": 2}, "ttl is too small (min 5)"),
        ({"colour": "red"}, "colour is not a known field"),
        ({"widgets": {"cpu": {"monitors": [{"condition": "value **"}]}}}, "not a valid expression"),
    ],
)
def test_definition_fields_and_bad_values_are_refused_by_name(make_hub, patch, sentence) -> None:
    hub: Hub = make_hub()
    send(hub, "synapse/register/nas-01", registration())
    with pytest.raises(ValidationError) as err:
        hub.patch_overrides("nas-01", patch)
    assert sentence in err.value.message
    assert hub.axon("nas-01").overrides == {}


def test_an_override_whose_widget_disappeared_is_kept_as_orphaned(make_hub) -> None:
    hub: Hub = make_hub()
    send(hub, "synapse/register/nas-01", registration())
    hub.patch_overrides("nas-01", {"widgets": {"status": {"label": "Health"}}})
    send(hub, "synapse/register/nas-01", registration(widgets=[{"id": "cpu"}]))
    detail = hub.axon("nas-01")
    assert detail.orphaned_overrides == ["widgets.status"]
    assert detail.overrides == {"widgets": {"status": {"label": "Health"}}}
    send(hub, "synapse/register/nas-01", registration())
    assert hub.axon("nas-01").effective["widgets"][1]["label"] == "Health"  # type: ignore[index]
