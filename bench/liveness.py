"""How long the liveness sweep holds the event loop when many axons go silent at once.

In-process, on a fresh SQLite file and a manual clock: N axons register, the clock passes their
TTL, and one ``hub.liveness_step()`` flips them all offline (with every listener: the command
ledger, alerts, leases). The sweep runs on the loop that also reads MQTT, so this is the stall
ingest sees. Prints the best of a few runs and the commits it took.

    .venv/bin/python bench/liveness.py [--axons 100]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from hub.clock import ManualClock  # noqa: E402
from hub.hub import Hub  # noqa: E402
from hub.ports import Inbound  # noqa: E402
from hub.settings import Settings  # noqa: E402
from hub.storage import Storage  # noqa: E402


def sweep(axons: int) -> tuple[float, int]:
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="synapse-live-")), auto_approve=True)
    clock = ManualClock()
    hub = Hub(settings, Storage(settings.effective_database_url), clock)
    hub.start()
    for i in range(axons):
        axon_id = f"vm-{i:04d}"
        body = {"id": axon_id, "ttl": 30, "widgets": [{"id": "cpu"}]}
        hub.handle(Inbound(f"synapse/register/{axon_id}", json.dumps(body).encode(), axon_id))
    hub.flush()
    clock.advance(31)
    commits: list[object] = []
    event.listen(hub.storage.engine, "commit", commits.append)
    started = time.perf_counter()
    hub.liveness_step()
    elapsed = time.perf_counter() - started
    hub.storage.dispose()
    return elapsed, len(commits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--axons", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = [sweep(args.axons) for _ in range(args.runs)]
    best, commits = min(results)
    print(
        f"{args.axons} axons going offline in one sweep: {best * 1000:.0f} ms, {commits} commit(s)"
    )
    print(f"per axon: {best / args.axons * 1000:.2f} ms")


if __name__ == "__main__":
    main()
