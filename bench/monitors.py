"""Monitor benchmark: the hub's per-report ingest cost with 10 monitors per widget vs none.

Two hubs in one process, fed the same reports through ``hub.handle(Inbound(...))`` (as the
broker does), rounds interleaved so machine noise hits both alike; each side's fastest round is
reported (as ``timeit`` does), the median alongside. Reports carry one widget (the shape
bench/ingest.py publishes), then four. In the monitored hub each widget has 10 monitors: a mix
of thresholds, ``prev``, ``age``, functions (``round`` with digits is the dearest) and another
widget's value. Values move on every report but stay on one side of the thresholds, as most
reports do; a report that changes an alert's state also writes a row, which is a transition,
not evaluation.

    .venv/bin/python bench/monitors.py [--reports 5000] [--rounds 30]

Also prints one condition evaluated by a prepared simpleeval instance (tree parsed once)
against the compiled code the hub uses.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import timeit
from pathlib import Path

from simpleeval import SimpleEval

from hub.clock import ManualClock
from hub.expressions import check_condition, compile_expression
from hub.hub import Hub
from hub.ports import Inbound
from hub.settings import Settings
from hub.storage import Storage

WIDGETS = ["cpu", "mem", "disk", "temp"]
MONITORS = [
    "value > 90",
    "value >= 95 and prev >= 95",
    "abs(value - prev) > 50",
    "max(value, prev) > 99",
    "round(value, 1) > 97.5",
    "value > 90 and age < 60",
    "value * 2 > 190",
    "value < -10",
    "cpu > 98 and value > 90",
    "value in (999, 1000)",
]


def build(tmp: Path, name: str, monitored: bool, widgets: list[str]) -> Hub:
    settings = Settings(data_dir=tmp / name, auto_approve=True)
    hub = Hub(settings, Storage(settings.effective_database_url), ManualClock())
    hub.start()
    monitors = [{"condition": c, "severity": "warning"} for c in MONITORS] if monitored else []
    declared = [{"id": w, "type": "stat", "monitors": monitors} for w in widgets]
    body = json.dumps({"id": "bench-01", "ttl": 3600, "widgets": declared}).encode()
    hub.handle(Inbound(topic="synapse/register/bench-01", payload=body, username="bench-01"))
    return hub


def payloads(n: int, widgets: list[str]) -> list[bytes]:
    """Values that move on every report (a random walk between 20 and 70)."""
    rng = random.Random(7)
    current = dict.fromkeys(widgets, 45.0)
    out = []
    for _ in range(n):
        for w in widgets:
            current[w] = min(70.0, max(20.0, current[w] + rng.uniform(-3, 3)))
        out.append(json.dumps({w: round(v, 1) for w, v in current.items()}).encode())
    return out


def run(hub: Hub, bodies: list[bytes]) -> float:
    """Seconds per report through ``hub.handle`` (history buffered, flushed outside the timing)."""
    messages = [
        Inbound(topic="synapse/report/bench-01", payload=b, username="bench-01") for b in bodies
    ]
    started = time.perf_counter()
    for message in messages:
        hub.handle(message)
    elapsed = time.perf_counter() - started
    hub.flush()
    return elapsed / len(messages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="synapse-bench-monitors-"))
    print(
        f"{args.reports} reports x {args.rounds} interleaved rounds, {len(MONITORS)} monitors/widget"
    )
    for n_widgets in (1, len(WIDGETS)):
        widgets = WIDGETS[:n_widgets]
        plain = build(tmp, f"plain-{n_widgets}", False, widgets)
        monitored = build(tmp, f"monitored-{n_widgets}", True, widgets)
        bodies = payloads(args.reports, widgets)
        run(plain, bodies[:2000])  # warm up both
        run(monitored, bodies[:2000])
        base, with_monitors = [], []
        for _ in range(args.rounds):
            base.append(run(plain, bodies))
            with_monitors.append(run(monitored, bodies))
        # the fastest round of each: the least disturbed by other work on a shared machine
        b, m = min(base), min(with_monitors)
        medians = statistics.median(base), statistics.median(with_monitors)
        print(f"-- {n_widgets} widget(s) per report ({n_widgets * len(MONITORS)} monitors each)")
        print(f"   no monitors:  {b * 1e6:6.2f} us/report {1 / b:8.0f} reports/s")
        print(f"   monitored:    {m * 1e6:6.2f} us/report {1 / m:8.0f} reports/s")
        print(f"   medians:      {medians[0] * 1e6:6.2f} / {medians[1] * 1e6:.2f} us/report")
        print(f"   evaluation overhead: {(m - b) / b * 100:5.1f} % of ingest cost (budget 20 %)")
        group = monitored.monitors._axons["bench-01"].widgets["cpu"]
        assert len(group.rules) == len(MONITORS) and group.last is not None  # they evaluated
        assert not monitored.alerts.list(), "the benchmark's values should not fire alerts"

    names = {"value": 42.0, "prev": 40.0, "age": 1.0}
    text = "value >= 95 and prev >= 95"
    simple = SimpleEval(names=names)
    tree = simple.parse(text)
    compiled = compile_expression(check_condition(text))
    n = 100_000
    t_simple = timeit.timeit(lambda: simple.eval(text, previously_parsed=tree), number=n) / n
    t_code = timeit.timeit(lambda: compiled.evaluate(names), number=n) / n
    print(f"one condition, simpleeval (parsed once): {t_simple * 1e6:6.2f} us")
    print(f"one condition, compiled code object:     {t_code * 1e6:6.2f} us")


if __name__ == "__main__":
    main()
