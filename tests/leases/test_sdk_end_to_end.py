"""One lease end to end: a real SDK axon asks over MQTT, heartbeats, is denied, releases."""

from __future__ import annotations

import pytest

from axon_sdk import Axon, LeaseDenied
from hub.quiet import Readings


def test_an_sdk_axon_holds_a_lease_over_mqtt_and_is_told_why_not(make_running_hub) -> None:
    running = make_running_hub(auto_approve=True, stats_interval=3600, lease_heartbeat_ttl=5)
    running.run(running.hub.quiet.observe, Readings(cpu_percent=0))
    token = running.run(running.hub.mint_axon_token, "nas-01")
    axon = Axon("nas-01", token=token, hub=f"mqtt://127.0.0.1:{running.mqtt_port}")
    axon.start(timeout=10)
    try:
        with axon.lease("backup", cost=60, timeout=10) as lease:
            assert lease.lease_id and lease.decision["approved"]
            lease.progress(30)
            running.wait_for(
                lambda: running.hub.leases.get(lease.lease_id).progress, what="progress"
            )
            with pytest.raises(LeaseDenied) as denied:
                with axon.lease("scrub", cost=50, timeout=10):
                    pass
            assert denied.value.reason.startswith("Axon nas-01 already holds 1 of 1")
            assert denied.value.retry_after == 5
        released = running.wait_for(
            lambda: (v := running.hub.leases.get(lease.lease_id)).state == "released" and v,
            what="release",
        )
        assert released.reason == "Released by the axon: done"
        with axon.lease("backup", cost=10, timeout=10) as second:
            running.run(running.hub.leases.revoke, second.lease_id, "disk swap", "apikey:admin")
            axon_saw = lambda: second.revoked  # noqa: E731
            running.wait_for(axon_saw, what="the revoke reached the axon")
            assert second.revoked == "Revoked by apikey:admin: disk swap"
    finally:
        axon.stop()
