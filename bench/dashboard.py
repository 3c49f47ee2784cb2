"""Dashboard benchmark: the overview page with many axons, and report → browser latency.

Prints, from one run on this machine:
  * server time of ``GET /`` (the overview) with N registered, reporting axons: p50 / p95 / max
    over repeated requests, measured at the client on loopback (target < 100 ms at N = 1,000);
  * time from a report handed to the hub to the headless browser showing the new value on the
    overview (through the live event stream): p50 / p95 / max (target < 500 ms).

    .venv/bin/python bench/dashboard.py                 # 1,000 axons
    .venv/bin/python bench/dashboard.py --axons 5000

The hub runs in this process (tests.runtime.RunningHub) on free loopback ports; registrations
and reports enter through the hub's ingest, as the broker would hand them over.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.dashboard.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.factories import registration, send  # noqa: E402
from tests.runtime import RunningHub  # noqa: E402

PAGE_TARGET_MS = 100
LIVE_TARGET_MS = 500
ADMIN = ("admin", "benchmark password")
WIDGETS = [
    {"id": "cpu", "type": "stat", "label": "CPU", "unit": "%"},
    {"id": "mem", "type": "stat", "label": "Memory", "unit": "%"},
    {"id": "status", "type": "status", "label": "Status"},
]


def populate(running: RunningHub, count: int) -> None:
    def work() -> None:
        hub = running.hub
        for i in range(count):
            axon_id = f"axon-{i:05d}"
            hub.credentials.mint_axon_token(axon_id)
            body = registration(
                id=axon_id, name=f"Axon {i}", widgets=WIDGETS, tags=[f"rack-{i % 12}"]
            )
            send(hub, f"synapse/register/{axon_id}", body, username=axon_id)
            send(
                hub,
                f"synapse/report/{axon_id}",
                {"cpu": i % 100, "mem": 50.5, "status": "ok"},
                username=axon_id,
            )

    running.run(work)
    running.run(running.hub.flush)


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"p50 {statistics.median(ordered):6.1f} ms  p95 {p95:6.1f} ms  max {ordered[-1]:6.1f} ms"


def overview_time(base: str, rounds: int) -> list[float]:
    with httpx.Client(base_url=base, headers={"Origin": base}, timeout=30) as client:
        client.post("/login", data={"username": ADMIN[0], "password": ADMIN[1]})
        client.get("/")  # warm the templates
        samples = []
        for _ in range(rounds):
            start = time.perf_counter()
            response = client.get("/")
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200 and "axon-00000" in response.text
        return samples


def live_latency(running: RunningHub, base: str, probes: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    samples = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(base_url=base).new_page()
        page.goto("/login")
        page.get_by_label("Username").fill(ADMIN[0])
        page.get_by_label("Password").fill(ADMIN[1])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("#live[data-state=live]", timeout=30_000)
        for n in range(probes):
            value = 1000 + n + 0.5
            selector = '.card[data-axon="axon-00000"] [data-widget="cpu"] .v'
            start = time.perf_counter()
            running.run(
                send,
                running.hub,
                "synapse/report/axon-00000",
                {"cpu": value},
                username="axon-00000",
            )
            page.wait_for_function(
                "([s, v]) => document.querySelector(s).textContent === v",
                arg=[selector, str(value)],
                polling="raf",
                timeout=5000,
            )
            samples.append((time.perf_counter() - start) * 1000)
            time.sleep(0.05)
        browser.close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--axons", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--probes", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        running = RunningHub.start(
            Path(tmp), admin_username=ADMIN[0], admin_password=ADMIN[1], liveness_interval=3600
        )
        try:
            base = f"http://127.0.0.1:{running.http_port}"
            started = time.perf_counter()
            populate(running, args.axons)
            print(f"registered {args.axons} axons in {time.perf_counter() - started:.1f} s")
            page = overview_time(base, args.rounds)
            ok = statistics.median(page) < PAGE_TARGET_MS
            print(
                f"overview GET / with {args.axons} axons: {percentiles(page)}  "
                f"(target p50 < {PAGE_TARGET_MS} ms: {'met' if ok else 'MISSED'})"
            )
            live = live_latency(running, base, args.probes)
            ok = statistics.median(live) < LIVE_TARGET_MS
            print(
                f"report -> browser shows it:     {percentiles(live)}  "
                f"(target < {LIVE_TARGET_MS} ms: {'met' if ok else 'MISSED'})"
            )
        finally:
            running.stop()


if __name__ == "__main__":
    main()
