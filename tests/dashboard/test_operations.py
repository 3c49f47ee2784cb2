"""Alerts, notifications and scheduler pages over the hub's alert, outbox and lease parts."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.dashboard.axons import plain, register, report
from tests.dashboard.conftest import VIEWER, Dashboard, csrf_of

HOT = [
    {
        "id": "cpu",
        "type": "stat",
        "label": "CPU",
        "unit": "%",
        "monitors": [{"condition": "value > 90", "severity": "error", "message": "CPU is hot"}],
    }
]


def test_a_firing_alert_shows_on_the_overview_and_the_alerts_page(dashboard: Dashboard) -> None:
    running = dashboard.running
    register(running, plain(widgets=HOT))
    report(running, "nas-01", {"cpu": 97})
    running.wait_for(
        lambda: (running.hub.alerts_step(), running.hub.alerts.list(None, "firing", 10))[1],
        what="the alert firing",
    )
    page = dashboard.signed_in()
    expect(page.locator('.card[data-axon="nas-01"] .alerts-count')).to_have_text("1 firing")
    expect(page.locator("#quiet")).not_to_be_empty()
    page.get_by_role("link", name="Alerts", exact=True).click()
    active = page.locator("section", has=page.get_by_role("heading", name="Firing and pending"))
    expect(active.locator("tbody tr")).to_contain_text("CPU is hot")


def test_a_silence_is_created_and_ended_from_the_alerts_page(dashboard: Dashboard) -> None:
    page = dashboard.signed_in()
    page.goto("/alerts")
    form = page.locator("form[action='/alerts/silences']")
    form.get_by_label("Axon").fill("nas-*")
    form.get_by_label("Comment").fill("moving the NAS")
    form.get_by_role("button", name="Silence").click()
    silence = page.locator("li[data-silence]").first
    expect(silence).to_contain_text("active")
    expect(silence).to_contain_text("moving the NAS")
    silence.get_by_role("button", name="End now").click()
    expect(page.locator("li[data-silence]").first).to_contain_text("ended")


def test_a_channel_is_added_and_tested_and_its_url_never_shown(dashboard: Dashboard) -> None:
    page = dashboard.signed_in()
    page.goto("/notifications")
    form = page.locator("form[action='/notifications/channels']")
    form.get_by_label("Name").fill("ops")
    form.get_by_label("Apprise URL").fill("json://127.0.0.1:9/secret-path")
    form.get_by_role("button", name="Add").click()
    expect(page.get_by_text("ops", exact=True)).to_be_visible()
    assert "secret-path" not in page.content()
    page.get_by_role("button", name="Send a test to ops").click()
    expect(page.get_by_role("status")).to_contain_text("queued")
    expect(page.locator("tbody tr").first).to_contain_text("Synapse")


def test_the_scheduler_page_shows_the_quiet_state(dashboard: Dashboard) -> None:
    page = dashboard.signed_in()
    page.goto("/scheduler")
    expect(page.locator("#quiet-level")).not_to_be_empty()
    expect(page.get_by_role("heading", name="Active leases")).to_be_visible()


def test_a_viewer_reads_the_operations_pages_but_changes_nothing(dashboard: Dashboard) -> None:
    accounts = dashboard.running.runtime.app.state.accounts
    dashboard.running.run(accounts.create_user, VIEWER[0], VIEWER[1], "viewer")
    with dashboard.client(VIEWER) as client:
        for path in ("/alerts", "/notifications", "/scheduler"):
            page = client.get(path)
            assert page.status_code == 200 and "New silence" not in page.text, path
        token = csrf_of(client.get("/alerts").text)
        refused = client.post("/alerts/silences", data={"csrf": token, "minutes": "5"})
        assert refused.status_code == 403
