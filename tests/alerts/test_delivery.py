"""The delivery worker: real apprise to a loopback endpoint, attempts as rows, retry, routing."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from hub.clock import ManualClock
from hub.hub import Hub
from tests.alerts.conftest import Sink, cpu_widget, deliver, register, report


def test_a_failed_delivery_is_retried_with_backoff_and_every_attempt_is_a_row(
    alert_hub: Callable[..., Hub], clock: ManualClock, sink: Sink
) -> None:
    hub = alert_hub(notify_retry_delay=30)
    sink.status = 503
    queued = hub.outbox.notify({"title": "backup failed", "severity": "error"})
    deliver(hub)
    clock.advance(29)
    deliver(hub)  # not due yet
    sink.status = 200
    clock.advance(1)
    deliver(hub)
    done = hub.outbox.get(queued.id)
    assert (done.state, done.attempts) == ("sent", 1)
    assert [(a.outcome, a.at) for a in done.deliveries] == [
        ("error", clock.now() - 30),
        ("ok", clock.now()),
    ]
    assert "503" in (done.deliveries[0].error or "")
    assert [m["title"] for m in sink.received] == ["backup failed", "backup failed"]


def test_a_retry_goes_only_to_the_channel_that_failed_even_after_a_restart(
    alert_hub: Callable[..., Hub], clock: ManualClock, sink: Sink
) -> None:
    hub = alert_hub(notify_urls=f"{sink.url('ok')} {sink.url('flaky')}", notify_retry_delay=10)
    hub.outbox.add_channel({"name": "later", "url": sink.url("later"), "tags": ["other"]})
    sink.failing.add("/flaky")
    queued = hub.outbox.notify({"title": "disk 91%"})
    deliver(hub)
    hub.stop()
    again = alert_hub(notify_urls=f"{sink.url('flaky')}, {sink.url('ok')}", notify_retry_delay=10)
    sink.failing.clear()
    clock.advance(10)
    deliver(again)
    assert [m["path"] for m in sink.received] == ["/ok", "/flaky", "/flaky"]
    assert again.outbox.get(queued.id).state == "sent"


def test_a_channel_that_keeps_failing_is_given_up_after_the_last_attempt(
    alert_hub: Callable[..., Hub], clock: ManualClock, sink: Sink
) -> None:
    hub = alert_hub(notify_max_attempts=3, notify_retry_delay=10)
    sink.status = 500
    queued = hub.outbox.notify({"title": "x"})
    for _ in range(5):
        deliver(hub)
        clock.advance(100)
    done = hub.outbox.get(queued.id)
    assert (done.state, done.attempts, len(done.deliveries)) == ("failed", 3, 3)


def test_a_url_apprise_does_not_understand_fails_at_once_without_retries(
    alert_hub: Callable[..., Hub],
) -> None:
    hub = alert_hub(notify_urls="nosuchscheme://somewhere")
    queued = hub.outbox.notify({"title": "x"})
    deliver(hub)
    done = hub.outbox.get(queued.id)
    assert (done.state, done.attempts) == ("failed", 1)
    assert done.last_error == "apprise does not understand this channel's URL"


def test_channels_receive_what_their_severities_and_tags_route_to_them(
    alert_hub: Callable[..., Hub], sink: Sink
) -> None:
    hub = alert_hub(notify_urls="")
    pager = hub.outbox.add_channel(
        {"name": "pager", "url": sink.url("pager"), "severities": ["critical"]}
    )
    storage_team = hub.outbox.add_channel(
        {"name": "storage", "url": sink.url("storage"), "tags": ["storage"]}
    )
    everyone = hub.outbox.add_channel({"name": "all", "url": sink.url("all")})
    register(hub, tags=["storage"], widgets=cpu_widget({"condition": "value > 90"}))
    report(hub, {"cpu": 95})
    deliver(hub)
    hub.outbox.notify({"title": "page me", "severity": "critical"})
    deliver(hub)
    by_path = sorted((m["path"], m["title"]) for m in sink.received)
    assert by_path == [
        ("/all", "[FIRING] value > 90"),
        ("/all", "page me"),
        ("/pager", "page me"),
        ("/storage", "[FIRING] value > 90"),
    ]
    assert {c.id for c in hub.outbox.channels()} == {pager.id, storage_team.id, everyone.id}


def test_the_hub_starts_without_importing_apprise(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from hub.clock import ManualClock\nfrom hub.hub import Hub\n"
        "from hub.settings import Settings\nfrom hub.storage import Storage\n"
        f"s = Settings(data_dir={str(tmp_path)!r}, notify_urls='json://127.0.0.1:9/x')\n"
        "h = Hub(s, Storage(s.effective_database_url), ManualClock())\nh.start()\n"
        "assert 'apprise' not in sys.modules, 'apprise was imported'\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
