"""Access: first-run setup, sign-in and out, sessions, CSRF, throttling, security headers."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from hub.clock import ManualClock
from tests.dashboard.conftest import ADMIN, VIEWER, Dashboard, csrf_of, sign_in


def test_the_first_visit_asks_for_the_admin_account_and_signs_in(make_dashboard) -> None:
    dashboard: Dashboard = make_dashboard(admin_password="")
    page = dashboard.page()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    expect(page.get_by_role("heading", name="Welcome to Synapse")).to_be_visible()
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password", exact=True).fill("a long enough one")
    page.get_by_label("Repeat the password").fill("a long enough typo")
    page.get_by_role("button", name="Create the admin account").click()
    expect(page.get_by_role("alert")).to_contain_text("the passwords differ")
    page.get_by_label("Password", exact=True).fill("a long enough one")
    page.get_by_label("Repeat the password").fill("a long enough one")
    page.get_by_role("button", name="Create the admin account").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/setup")  # once an admin exists, setup is closed
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("not it at all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    sign_in(page, "root", "a long enough one")
    expect(page.get_by_role("link", name="root")).to_be_visible()


def test_the_session_cookie_is_httponly_and_samesite(dashboard: Dashboard) -> None:
    page = dashboard.signed_in()
    (cookie,) = page.context.cookies()
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"]) == (
        "synapse_session",
        True,
        "Lax",
    )
    assert page.evaluate("document.cookie") == ""


def test_a_setting_creates_the_admin_and_setup_is_closed(dashboard: Dashboard) -> None:
    with dashboard.client() as client:
        assert client.get("/setup").headers["location"] == "/login"
        assert client.get("/").headers["location"] == "/login"
        taken = client.post(
            "/setup", data={"username": "x", "password": "y" * 12, "confirm": "y" * 12}
        )
        assert taken.headers["location"] == "/login"


def test_pages_and_the_api_refuse_a_change_without_the_csrf_token(dashboard: Dashboard) -> None:
    from tests.dashboard.axons import plain, register

    register(dashboard.running, plain())
    with dashboard.client(ADMIN) as client:
        token = csrf_of(client.get("/").text)
        refused = client.patch("/api/v1/axons/nas-01/overrides", json={"name": "Mine"})
        assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
        forged = client.post("/settings/tokens", data={"axon_id": "evil", "csrf": "0" * 64})
        assert forged.status_code == 403
        cross_site = client.patch(
            "/api/v1/axons/nas-01/overrides",
            json={"name": "Mine"},
            headers={"X-CSRF-Token": token, "Origin": "http://evil.example"},
        )
        assert cross_site.status_code == 403
        ok = client.patch(
            "/api/v1/axons/nas-01/overrides", json={"name": "Mine"}, headers={"X-CSRF-Token": token}
        )
        assert ok.status_code == 200 and ok.json()["name"] == "Mine"
        assert client.post("/logout").status_code == 403  # sign-out is a change too
        assert client.get("/api/v1/axons").status_code == 200


def test_api_keys_keep_working_without_a_session_or_csrf(dashboard: Dashboard) -> None:
    from tests.dashboard.axons import plain, register

    register(dashboard.running, plain())
    changed = dashboard.running.http.patch("/api/v1/axons/nas-01/overrides", json={"icon": "x"})
    assert changed.status_code == 200
    with dashboard.client() as anonymous:
        assert anonymous.get("/api/v1/axons").status_code == 401
        assert anonymous.get("/events").status_code == 401


def test_sign_in_is_throttled_per_user_and_the_right_password_waits_too(
    dashboard: Dashboard,
) -> None:
    with dashboard.client() as client:
        for _ in range(5):
            wrong = client.post("/login", data={"username": "admin", "password": "nope nope nope"})
            assert wrong.status_code == 401
        locked = client.post("/login", data={"username": ADMIN[0], "password": ADMIN[1]})
        assert locked.status_code == 429 and "too many failed sign-ins" in locked.text
        assert int(locked.headers["retry-after"]) > 0


def test_sign_in_is_throttled_per_address_across_usernames(dashboard: Dashboard) -> None:
    with dashboard.client() as client:
        for i in range(20):
            client.post("/login", data={"username": f"guess{i}", "password": "whatever else"})
        locked = client.post("/login", data={"username": ADMIN[0], "password": ADMIN[1]})
        assert locked.status_code == 429


def test_sessions_end_at_their_expiry_on_the_hubs_clock(make_dashboard) -> None:
    clock = ManualClock()
    dashboard: Dashboard = make_dashboard(clock, session_hours=1)
    with dashboard.client(ADMIN) as client:
        assert client.get("/").status_code == 200
        clock.advance(3599)
        assert client.get("/").status_code == 200
        clock.advance(2)
        assert client.get("/").headers["location"] == "/login"
        assert client.get("/api/v1/axons").status_code == 401


def test_logout_ends_the_session_and_a_password_change_ends_the_others(
    dashboard: Dashboard,
) -> None:
    with dashboard.client(ADMIN) as laptop, dashboard.client(ADMIN) as phone:
        stolen = laptop.cookies["synapse_session"]
        token = csrf_of(laptop.get("/").text)
        assert laptop.post("/logout", data={"csrf": token}).headers["location"] == "/login"
        with dashboard.client() as thief:
            thief.cookies.set("synapse_session", stolen)
            assert thief.get("/").headers["location"] == "/login"
        with dashboard.client(ADMIN) as desk:
            token = csrf_of(desk.get("/account").text)
            changed = desk.post(
                "/account/password",
                data={
                    "csrf": token,
                    "old": ADMIN[1],
                    "new": "a brand new one",
                    "confirm": "a brand new one",
                },
            )
            assert "your other sessions are ended" in changed.text
            assert desk.get("/").status_code == 200  # this one stays
            assert phone.get("/").headers["location"] == "/login"
        relogin = phone.post("/login", data={"username": ADMIN[0], "password": "a brand new one"})
        assert relogin.status_code == 303


def test_every_page_forbids_inline_script_and_framing(dashboard: Dashboard) -> None:
    with dashboard.client(ADMIN) as client:
        for path in ("/", "/login", "/errors", "/settings", "/account", "/api/v1/axons"):
            headers = client.get(path).headers
            csp = headers["content-security-policy"]
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
            assert "frame-ancestors 'none'" in csp
            assert headers["x-content-type-options"] == "nosniff"


def test_a_viewer_cannot_open_settings_or_change_anything(dashboard: Dashboard) -> None:
    accounts = dashboard.running.runtime.app.state.accounts
    dashboard.running.run(accounts.create_user, VIEWER[0], VIEWER[1], "viewer")
    with dashboard.client(VIEWER) as client:
        assert client.get("/settings").status_code == 403
        token = csrf_of(client.get("/").text)
        minted = client.post("/settings/tokens", data={"csrf": token, "axon_id": "x"})
        assert minted.status_code == 403
        assert client.post("/api/v1/tokens/x", headers={"X-CSRF-Token": token}).status_code == 403
