"""Monitor cost end to end: reports/s through the broker into storage, 10 monitors per widget
vs none, in the same run.

bench/monitors.py measures the hub's in-process cost (the strictest reading). This one measures
what a user sees: 20 axons registered with four widgets each (cpu, mem, disk, temp), either with
bench/monitors.py's ten monitors per widget or none, then 40,000 four-value reports published by
two processes and counted as stored rows. Values stay inside the thresholds, so no alert flips.

    .venv/bin/python bench/monitors_end_to_end.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import paho.mqtt.client as mqtt

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest  # noqa: E402  (the sibling bench module)
import monitors  # noqa: E402

AXONS = 20
REPORTS = 40_000


def register(port: int, ids: list[str], monitored: bool) -> None:
    for axon_id in ids:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{axon_id}-reg")
        client.username_pw_set(axon_id, f"token-{axon_id}")
        client.connect(ingest.HOST, port)
        client.loop_start()
        widgets = [
            {
                "id": w,
                "monitors": [{"condition": c} for c in monitors.MONITORS] if monitored else [],
            }
            for w in monitors.WIDGETS
        ]
        body = json.dumps({"id": axon_id, "widgets": widgets})
        client.publish(f"synapse/register/{axon_id}", body, qos=1).wait_for_publish(5)
        client.loop_stop()
        client.disconnect()


def run(monitored: bool) -> float:
    hub = ingest.Hub("embedded", Path(tempfile.mkdtemp(prefix="synapse-mon-")))
    try:
        register(hub.mqtt_port, [f"bench-{i:05d}" for i in range(AXONS)], monitored)
        time.sleep(0.5)
        rate, _cpu = ingest.sustained(hub, AXONS, REPORTS, 2, widgets=tuple(monitors.WIDGETS))
        return rate
    finally:
        hub.stop()


def main() -> None:
    plain = run(monitored=False)
    watched = run(monitored=True)
    print(f"four-widget reports, no monitors:          {plain:8.0f} reports/s")
    print(f"four-widget reports, 10 monitors/widget:   {watched:8.0f} reports/s")
    print(
        f"evaluation cost end to end:                {(plain / watched - 1) * 100:8.1f} %  (budget 20 %)"
    )


if __name__ == "__main__":
    main()
