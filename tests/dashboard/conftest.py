"""Dashboard tests: a real hub on free loopback ports and Debian's headless Chromium.

Playwright never downloads a browser here: it launches ``/usr/bin/chromium`` (``make test``
installs it). One browser per xdist worker; a fresh context (cookies, storage) per test.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.runtime import RunningHub

CHROMIUM = os.environ.get("SYNAPSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN = ("admin", "correct horse battery")
VIEWER = ("vera", "viewer password 1")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (installs Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Dashboard:
    """A running hub with a signed-in-able dashboard, and browser pages pointed at it."""

    def __init__(self, running: RunningHub, browser: Browser) -> None:
        self.running = running
        self.browser = browser
        self.url = f"http://127.0.0.1:{running.http_port}"
        self.contexts: list[BrowserContext] = []

    def page(self, **options: Any) -> Page:
        context = self.browser.new_context(base_url=self.url, **options)
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        page.dialogs = []  # type: ignore[attr-defined]
        page.errors = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))  # type: ignore[attr-defined]
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
        return page

    def signed_in(self, who: tuple[str, str] = ADMIN, **options: Any) -> Page:
        page = self.page(**options)
        sign_in(page, *who)
        return page

    @contextmanager
    def client(self, who: tuple[str, str] | None = None) -> Iterator[httpx.Client]:
        """An HTTP client with its own cookie jar, signed in as ``who``."""
        with httpx.Client(base_url=self.url, timeout=10, headers={"Origin": self.url}) as client:
            if who is not None:
                response = client.post("/login", data={"username": who[0], "password": who[1]})
                assert response.status_code == 303, response.text
            yield client

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]*)"', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


@pytest.fixture
def make_dashboard(
    make_running_hub: Callable[..., RunningHub], browser: Browser
) -> Iterator[Callable[..., Dashboard]]:
    """``make_dashboard(**settings)``; by default the admin account exists (from settings)."""
    made: list[Dashboard] = []

    def factory(clock: Any = None, **changes: Any) -> Dashboard:
        changes.setdefault("admin_username", ADMIN[0])
        changes.setdefault("admin_password", ADMIN[1])
        dashboard = Dashboard(make_running_hub(clock, **changes), browser)
        made.append(dashboard)
        return dashboard

    yield factory
    for dashboard in made:  # before the hub stops: open event streams end with their pages
        dashboard.close()


@pytest.fixture
def dashboard(make_dashboard: Callable[..., Dashboard]) -> Dashboard:
    return make_dashboard()
