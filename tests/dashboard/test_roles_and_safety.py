"""Viewers read only; hostile docs and labels run nothing; errors and tokens pages."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.dashboard.axons import HOSTILE, HOSTILE_DOCS, plain, register, report
from tests.dashboard.conftest import VIEWER, Dashboard, csrf_of
from tests.factories import send

ON_ATTRIBUTES = """() => [...document.querySelectorAll('*')].flatMap(el =>
  [...el.attributes].filter(a => a.name.toLowerCase().startsWith('on')
     || /^\\s*(javascript|data):/i.test(a.value) && ['href', 'src', 'action', 'xlink:href'].includes(a.name))
  .map(a => el.tagName + ' ' + a.name + '=' + a.value))"""


def add_viewer(dashboard: Dashboard) -> None:
    accounts = dashboard.running.runtime.app.state.accounts
    dashboard.running.run(accounts.create_user, VIEWER[0], VIEWER[1], "viewer")


def test_a_viewer_sees_no_action_buttons_and_the_api_says_403(dashboard: Dashboard) -> None:
    register(dashboard.running, plain())
    add_viewer(dashboard)
    page = dashboard.signed_in(VIEWER)
    page.goto("/axons/nas-01")
    expect(page.get_by_text("Viewers cannot run actions.")).to_be_visible()
    expect(page.locator("form.action")).to_have_count(0)
    expect(page.get_by_role("button", name="Save overrides")).to_have_count(0)
    expect(page.get_by_role("link", name="Settings")).to_have_count(0)
    status = page.evaluate(
        """async () => (await fetch('/api/v1/axons/nas-01/actions/restart', {method: 'POST',
             headers: {'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content}})).status"""
    )
    assert status == 403
    with dashboard.client(VIEWER) as client:
        token = csrf_of(client.get("/").text)
        refused = client.post(
            "/api/v1/axons/nas-01/actions/restart", headers={"X-CSRF-Token": token}
        )
        assert refused.status_code == 403 and "needs an admin" in refused.json()["detail"]
        assert client.get("/api/v1/axons/nas-01").status_code == 200


def test_hostile_docs_and_labels_open_no_dialog_and_leave_no_handlers(dashboard: Dashboard) -> None:
    running = dashboard.running
    hostile = plain(
        "evil-01",
        name=HOSTILE,
        docs=HOSTILE_DOCS,
        tags=["lab"],
        widgets=[
            {
                "id": "cpu",
                "type": "stat",
                "label": "<svg/onload=alert('w')>",
                "unit": "<b onclick=x>",
            },
        ],
        actions=[{"id": "restart", "label": "<img src=x onerror=alert('a')>", "style": "danger"}],
    )
    register(running, hostile)
    report(running, "evil-01", {"cpu": "<img src=x onerror=alert('value')>"})
    page = dashboard.signed_in()
    expect(page.locator('.card[data-axon="evil-01"] a.name')).to_have_text(HOSTILE)
    expect(page.locator("#live")).to_have_text("live")
    # the same payloads arriving live, built by the page's script
    running.run(running.hub.mint_axon_token, "evil-02")
    running.run(
        send,
        running.hub,
        "synapse/register/evil-02",
        {**hostile, "id": "evil-02"},
        username="evil-02",
    )
    expect(page.locator('.card[data-axon="evil-02"]')).to_be_visible()
    report(running, "evil-02", {"cpu": "<svg onload=alert('live')>"})
    expect(page.locator('.card[data-axon="evil-02"] [data-widget="cpu"] .v')).to_have_text(
        "<svg onload=alert('live')>"
    )
    assert page.evaluate(ON_ATTRIBUTES) == []
    page.goto("/axons/evil-01")
    expect(page.locator("#docs")).to_contain_text("Hostile docs")
    expect(page.locator("#docs a")).to_have_count(1)  # only the https link kept its href
    expect(page.locator("#docs a")).to_have_attribute("href", "https://example.org/ok")
    assert page.locator("#docs script, #docs svg, #docs img, #docs iframe").count() == 0
    assert page.evaluate(ON_ATTRIBUTES) == []
    page.locator("#docs").get_by_text("click me").click()  # it is text, not a link
    page.wait_for_timeout(200)
    assert page.dialogs == []  # type: ignore[attr-defined]
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_errors_page_lists_rejected_registrations_as_text(dashboard: Dashboard) -> None:
    running = dashboard.running
    running.run(running.hub.mint_axon_token, "bad-01")
    running.run(
        send,
        running.hub,
        "synapse/register/bad-01",
        {"id": "bad-01", "ttl": 1, "name": HOSTILE},
        username="bad-01",
    )
    page = dashboard.signed_in()
    page.get_by_role("link", name="Errors").click()
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("bad-01")
    expect(row).to_contain_text("ttl")
    assert page.evaluate(ON_ATTRIBUTES) == []


def test_a_token_is_shown_once_and_revoked_from_settings(dashboard: Dashboard) -> None:
    page = dashboard.signed_in()
    page.get_by_role("link", name="Settings").click()
    tokens = page.locator("section", has=page.get_by_role("heading", name="Axon tokens"))
    tokens.get_by_label("Axon id").first.fill("garage-door")
    tokens.get_by_role("button", name="Create token").click()
    token = page.get_by_label("the new secret").input_value()
    assert len(token) > 30
    running = dashboard.running
    assert running.run(running.hub.credentials.verify_or_claim, "garage-door", token)
    page.goto("/settings")
    assert token not in page.content()
    tokens = page.locator("section", has=page.get_by_role("heading", name="Axon tokens"))
    tokens.get_by_label("Axon id").nth(1).fill("garage-door")
    tokens.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_role("status")).to_contain_text("revoked")
    assert running.run(running.hub.credentials.origin, "garage-door") is None


def test_an_admin_adds_a_viewer_who_can_then_sign_in(dashboard: Dashboard) -> None:
    page = dashboard.signed_in()
    page.goto("/settings")
    people = page.locator("section", has=page.get_by_role("heading", name="People"))
    people.get_by_label("Username").fill(VIEWER[0])
    people.get_by_label("Password").fill(VIEWER[1])
    people.get_by_role("button", name="Add").click()
    expect(people.locator("tbody")).to_contain_text(VIEWER[0])
    with dashboard.client(VIEWER) as client:
        assert client.get("/").status_code == 200
