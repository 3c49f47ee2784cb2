"""The overview: cards, live arrival of a real SDK axon, live values, pending approval, filter."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from tests.dashboard.axons import plain, register, report
from tests.dashboard.conftest import Dashboard


def test_an_axon_started_by_the_test_appears_live_on_the_overview(
    dashboard: Dashboard, start_axon
) -> None:
    page = dashboard.signed_in()
    expect(page.locator("#live")).to_have_text("live")
    expect(page.get_by_text("No axons yet")).to_be_visible()
    axon = start_axon(dashboard.running)
    card = page.locator('.card[data-axon="web-01"]')
    expect(card).to_be_visible(timeout=15_000)
    expect(card.locator("a.name")).to_have_text("Web server (demo.service)")
    expect(card.locator('[data-field="status"]')).to_have_text("online")
    expect(page.locator("#count-online")).to_have_text("1")
    axon.stop()  # its last will says offline at once
    expect(card.locator('[data-field="status"]')).to_have_text("offline", timeout=15_000)


def test_values_and_statuses_update_without_a_reload(dashboard: Dashboard) -> None:
    running = dashboard.running
    register(running, plain("nas-01", name="Basement NAS", tags=["storage"]))
    report(running, "nas-01", {"cpu": 12.5, "status": "ok"})
    page = dashboard.signed_in()
    card = page.locator('.card[data-axon="nas-01"]')
    expect(card.locator('[data-widget="cpu"] .v')).to_have_text("12.5")
    expect(page.locator('.group[data-group="storage"] h2')).to_have_text("storage")
    expect(page.locator("#live")).to_have_text("live")
    page.evaluate("window.__marker = 1")  # gone if the page reloads
    started = time.monotonic()
    report(running, "nas-01", {"cpu": 87.25})
    expect(card.locator('[data-widget="cpu"] .v')).to_have_text("87.25")
    assert time.monotonic() - started < 2
    report(running, "nas-01", {"cpu": 50})
    expect(card.locator("svg.spark polyline")).to_have_count(1)
    assert page.evaluate("window.__marker") == 1


def test_a_pending_axon_can_be_approved_from_the_overview(dashboard: Dashboard) -> None:
    running = dashboard.running
    page = dashboard.signed_in()
    expect(page.locator("#live")).to_have_text("live")
    # no minted token: the axon claims its id and waits for a person
    running.run(running.hub.credentials.verify_or_claim, "stranger", "its own token")
    from tests.factories import send

    running.run(
        send, running.hub, "synapse/register/stranger", plain("stranger"), username="stranger"
    )
    pending = page.locator('#pending .card[data-axon="stranger"]')
    expect(pending).to_be_visible()
    pending.get_by_role("button", name="Approve").click()
    expect(page.locator('#groups .card[data-axon="stranger"]')).to_be_visible()
    assert running.run(lambda: running.hub.registry.get("stranger").approval) == "approved"


def test_the_filter_box_hides_cards_that_do_not_match(dashboard: Dashboard) -> None:
    for axon_id, tag in (("nas-01", "storage"), ("pi-hole", "network"), ("printer", "office")):
        register(dashboard.running, plain(axon_id, tags=[tag]))
    page = dashboard.signed_in()
    page.get_by_label("Filter").fill("netw")
    expect(page.locator(".card:visible")).to_have_count(1)
    expect(page.locator('.card[data-axon="pi-hole"]')).to_be_visible()
    page.get_by_label("Filter").fill("")
    expect(page.locator(".card:visible")).to_have_count(3)
