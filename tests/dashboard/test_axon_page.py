"""The axon page: values and history, a danger action through its confirmation, overrides."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.dashboard.axons import plain, register, report
from tests.dashboard.conftest import Dashboard


def online(running, axon_id: str = "web-01") -> bool:
    state = running.hub.registry.get(axon_id)
    return bool(state and state.status == "online" and state.definition)


def test_a_danger_action_asks_first_and_shows_the_sdks_result(
    dashboard: Dashboard,
    start_axon,
) -> None:
    axon = start_axon(dashboard.running)
    dashboard.running.wait_for(lambda: online(dashboard.running), what="web-01 online")
    page = dashboard.signed_in()
    page.goto("/axons/web-01")
    expect(page.locator("#live")).to_have_text("live")
    button = page.get_by_role("button", name="Restart demo.service")
    button.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Restart demo.service")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert page.locator("#results li").count() == 0
    assert not axon.calls.exists()

    button.click()
    page.get_by_role("dialog").get_by_role("button", name="Run it").click()
    result = page.locator("#results li").first
    expect(result.locator(".badge")).to_have_text("ok", timeout=15_000)
    expect(result).to_contain_text("by user:admin")
    expect(result).to_contain_text(" ms")  # the SDK's measured duration
    assert axon.calls.read_text() == "restart demo.service\n"


def test_the_page_shows_values_history_docs_and_the_timeline(dashboard: Dashboard) -> None:
    running = dashboard.running
    register(running, plain(docs="# NAS\nKeeps **the photos**.\n\n[manual](https://example.org)"))
    for value in (10, 20, 15):
        report(running, "nas-01", {"cpu": value})
    running.run(running.hub.flush)
    page = dashboard.signed_in()
    page.goto("/axons/nas-01")
    widget = page.locator('.widget[data-widget="cpu"]')
    expect(widget.locator(".v")).to_have_text("15")
    expect(widget.locator("svg.graph polyline")).to_have_count(1)
    page.get_by_role("button", name="24h").click()
    expect(page.get_by_role("button", name="24h")).to_have_attribute("aria-pressed", "true")
    expect(widget.locator("svg.graph polyline")).to_have_count(1)
    expect(page.locator("#docs strong")).to_have_text("the photos")
    expect(page.locator("#docs a")).to_have_attribute("href", "https://example.org")
    expect(page.locator("#timeline li").first).to_contain_text("online")
    report(running, "nas-01", {"cpu": 99})
    expect(widget.locator(".v")).to_have_text("99")
    expect(page.locator('a[download$=".json"]').first).to_be_visible()


def test_an_override_edited_in_the_page_survives_the_axon_registering_again(
    dashboard: Dashboard,
) -> None:
    running = dashboard.running
    register(running, plain(name="Basement NAS"))
    page = dashboard.signed_in()
    page.goto("/axons/nas-01")
    row = page.locator('tr[data-path="name"]')
    expect(row.locator("td.default")).to_have_text("Basement NAS")
    row.get_by_label("Name").fill("Photo vault")
    page.locator('tr[data-path="widgets.cpu.label"]').get_by_label("Label").fill("Processor")
    page.get_by_role("button", name="Save overrides").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Photo vault")

    register(running, plain(name="Basement NAS v2"), token="kept")  # the axon comes back
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Photo vault")
    expect(page.locator('tr[data-path="name"] td.default')).to_have_text("Basement NAS v2")
    expect(page.locator('.widget[data-widget="cpu"] .label')).to_have_text("Processor")
    expect(page.locator("#o-name")).to_have_value("Photo vault")

    page.locator('tr[data-path="name"]').get_by_role("button", name="Reset").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Basement NAS v2")
    overrides = running.run(lambda: running.hub.registry.get("nas-01").overrides)
    assert overrides == {"widgets": {"cpu": {"label": "Processor"}}}


def test_an_orphaned_override_is_marked_and_can_be_removed(dashboard: Dashboard) -> None:
    running = dashboard.running
    register(running, plain())
    running.run(running.hub.patch_overrides, "nas-01", {"widgets": {"status": {"label": "Health"}}})
    register(running, plain(widgets=[{"id": "cpu", "type": "stat", "label": "CPU"}]), token="kept")
    page = dashboard.signed_in()
    page.goto("/axons/nas-01")
    expect(page.locator("code.orphan")).to_have_text("widgets.status")
    page.get_by_role("button", name="Remove").click()
    expect(page.locator("code.orphan")).to_have_count(0)


def test_definition_fields_are_read_only_and_an_unknown_axon_is_404(dashboard: Dashboard) -> None:
    register(dashboard.running, plain())
    page = dashboard.signed_in()
    page.goto("/axons/nas-01")
    expect(page.locator("tr.definition").first).to_contain_text("nas-01")
    assert page.locator('input[name="id"]').count() == 0
    response = page.goto("/axons/ghost")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    assert re.search("ghost", page.content())


def test_the_recovery_kit_downloads_from_the_axon_page(dashboard: Dashboard, tmp_path) -> None:
    register(dashboard.running, plain())
    page = dashboard.signed_in(accept_downloads=True)
    page.goto("/axons/nas-01")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the recovery kit").click()
    download = info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.suffix == ".zip" and saved.stat().st_size > 0
    import zipfile

    names = zipfile.ZipFile(saved).namelist()
    assert any(name.endswith(".py") for name in names), names
