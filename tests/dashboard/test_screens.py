"""The main pages at laptop and phone width, light and dark; screenshots for the docs.

``SYNAPSE_SCREENSHOTS=1 .venv/bin/pytest tests/dashboard/test_screens.py`` refreshes the PNGs
in docs/screenshots/ that the README shows.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from hub.clock import ManualClock
from tests.dashboard.axons import plain, register, report
from tests.dashboard.conftest import Dashboard
from tests.factories import send

DOCS = Path(__file__).parent.parent.parent / "docs" / "screenshots"
LAPTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


def homelab(dashboard: Dashboard, clock: ManualClock) -> None:
    running = dashboard.running
    axons = [
        ("nas-01", "Basement NAS", "storage", {"cpu": 23.5, "status": "ok"}),
        ("backup-01", "Nightly backup", "storage", {"cpu": 71.0, "status": "running"}),
        ("pihole", "Pi-hole DNS", "network", {"cpu": 3.2, "status": "ok"}),
        ("router", "Edge router", "network", {"cpu": 12.0, "status": "ok"}),
        ("printer", "Office printer", "", {"cpu": 0.0, "status": "paper jam"}),
    ]
    for axon_id, name, tag, _values in axons:
        body = plain(
            axon_id,
            name=name,
            tags=[tag] if tag else [],
            docs=f"# {name}\n\nRestart it from here when it hangs.\n\n- owner: **ops**\n- [runbook](https://example.org/{axon_id})",
            actions=[
                {"id": "restart", "label": "Restart", "style": "danger"},
                {"id": "status", "label": "Refresh status"},
            ],
        )
        register(running, body)
    for step in range(24):  # two hours of history, every five minutes
        clock.advance(300)
        for n, (axon_id, _, _, values) in enumerate(axons):
            report(
                running,
                axon_id,
                {"cpu": max(0.0, round(values["cpu"] + ((step + n) * 7 % 11) - 5, 1))},
            )
    for axon_id, _, _, values in axons:
        report(running, axon_id, values)
    running.run(running.hub.credentials.verify_or_claim, "new-sensor", "its own token")
    running.run(
        send,
        running.hub,
        "synapse/register/new-sensor",
        plain("new-sensor", name="Garden sensor"),
        username="new-sensor",
    )
    running.run(running.hub.flush)


def shoot(page: Page, name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    if os.environ.get("SYNAPSE_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS / path.name)


def fits(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_main_pages_fit_a_laptop_and_a_phone(
    make_dashboard, tmp_path: Path, scheme: str
) -> None:
    clock = ManualClock(time.time() - 7200)
    dashboard = make_dashboard(clock)
    homelab(dashboard, clock)
    page = dashboard.signed_in(viewport=LAPTOP, color_scheme=scheme)
    expect(page.locator("svg.spark polyline").first).to_be_visible()
    shoot(page, f"overview-{scheme}", tmp_path)
    page.goto("/axons/nas-01")
    expect(page.locator("svg.graph polyline").first).to_be_visible()
    shoot(page, f"axon-{scheme}", tmp_path)
    if scheme == "light":
        page.goto("/settings")
        shoot(page, "settings", tmp_path)
    phone = dashboard.signed_in(viewport=PHONE, color_scheme=scheme, is_mobile=True, has_touch=True)
    assert fits(phone), "the overview scrolls sideways at phone width"
    if scheme == "dark":
        shoot(phone, "overview-phone", tmp_path)
    phone.goto("/axons/nas-01")
    assert fits(phone), "the axon page scrolls sideways at phone width"
    background = phone.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(15, 18, 23)") == (scheme == "dark")
