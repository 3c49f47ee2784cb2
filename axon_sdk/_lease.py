"""``axon.lease(...)``: ask the hub before heavy work; heartbeat while it runs; release after.

    with axon.lease("backup", cost=40, wait=True, timeout=600):
        run_backup()

The request goes to ``synapse/lease/{id}/request``; the hub answers on ``…/reply`` and may take
the lease back on ``…/revoke``. A denial raises ``LeaseDenied`` with the hub's ``reason`` and
``retry_after``. A lease the hub revokes (or that expired) while the block runs is not torn out
of your code: ``lease.revoked`` is set, ``lease.check()`` raises ``LeaseRevoked``, and the
release on exit is skipped.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._errors import AxonError, ConfigError, LeaseDenied, LeaseRevoked, RejectedByHub

if TYPE_CHECKING:
    from ._axon import Axon

log = logging.getLogger("axon_sdk")

PRIORITIES = ("LOW", "NORMAL", "HIGH")
CONSTRAINTS = ("cpu_heavy", "disk_write_heavy", "network_heavy")


class Lease:
    """One lease; use it as a context manager (``with`` or ``async with``-free threads)."""

    def __init__(
        self,
        axon: Axon,
        job_type: str,
        *,
        cost: int,
        priority: str,
        wait: bool,
        timeout: float,
        expected_duration: float | None,
        constraints: tuple[str, ...],
        idempotency_key: str | None,
    ) -> None:
        if not isinstance(cost, int) or isinstance(cost, bool) or not 1 <= cost <= 100:
            raise ConfigError(f"cost must be an int from 1 to 100, got {cost!r}")
        if not isinstance(priority, str) or priority.upper() not in PRIORITIES:
            raise ConfigError(f"priority must be LOW, NORMAL or HIGH, got {priority!r}")
        if not isinstance(timeout, int | float) or timeout <= 0:
            raise ConfigError(f"timeout must be a positive number of seconds, got {timeout!r}")
        for constraint in constraints:
            if constraint not in CONSTRAINTS:
                raise ConfigError(f"unknown constraint {constraint!r} (known: {CONSTRAINTS})")
        if not isinstance(job_type, str) or not 1 <= len(job_type) <= 64:
            raise ConfigError(f"job_type must be 1-64 characters, got {job_type!r}")
        self._axon = axon
        self.job_type = job_type
        self.request_id = uuid.uuid4().hex
        self.timeout = float(timeout)
        self._request: dict[str, Any] = {
            "axon_id": axon.id,
            "job_type": job_type,
            "cost_units": cost,
            "priority": priority.upper(),
            "wait": bool(wait),
            "wait_timeout_sec": float(timeout),
            "constraints": list(constraints),
            "request_id": self.request_id,
        }
        if expected_duration is not None:
            self._request["expected_duration_sec"] = float(expected_duration)
        if idempotency_key is not None:
            self._request["idempotency_key"] = idempotency_key
        self.lease_id: str | None = None
        self.decision: dict[str, Any] = {}
        #: the hub's reason when it took the lease back, else None
        self.revoked: str | None = None
        self._answer = threading.Event()
        self._ended = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"Lease({self.job_type!r}, lease_id={self.lease_id!r}, revoked={self.revoked!r})"

    # -- the context manager -------------------------------------------------------------------
    def __enter__(self) -> Lease:
        if not self._axon.connected:
            raise AxonError("the axon is not connected; start it (axon.start()) before a lease")
        book = self._axon._leases
        book.add(self)
        try:
            self._acquire(book)
        except BaseException:
            book.remove(self)
            raise
        ttl = float(self.decision.get("limits", {}).get("heartbeat_ttl_sec", 30))
        self._heartbeat = threading.Thread(
            target=self._beat, args=(max(1.0, ttl / 3),), name="axon-sdk-lease", daemon=True
        )
        self._heartbeat.start()
        log.info("lease %s granted for %s", self.lease_id, self.job_type)
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._ended.set()
        if self._heartbeat is not None:
            self._heartbeat.join(5)
        if self.revoked is None and self.lease_id is not None:
            note = "done" if et is None else f"failed: {et.__name__}"
            self._axon._leases.publish("release", {"lease_id": self.lease_id, "note": note})
        self._axon._leases.remove(self)

    def _acquire(self, book: LeaseBook) -> None:
        deadline = time.monotonic() + self.timeout
        if not book.publish("request", self._request):
            raise AxonError("could not send the lease request (not connected)")
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self._answer.wait(left):
                if self.lease_id is not None:  # queued: withdraw the intent
                    book.publish("release", {"lease_id": self.lease_id, "note": "gave up"})
                raise LeaseDenied(
                    f"no grant within {self.timeout:g} s"
                    + (f" ({self.decision.get('reason')})" if self.decision else ""),
                    self.decision.get("retry_after_sec"),
                    self.decision,
                )
            self._answer.clear()
            answer = self.decision
            if answer.get("error"):
                raise RejectedByHub(str(answer["error"]), "lease", book.topic("request"))
            if answer.get("approved"):
                return
            if answer.get("state") == "queued":
                continue  # wait for the grant on the same lease_id
            if self.revoked is not None:
                raise LeaseDenied(self.revoked, None, answer)
            raise LeaseDenied(
                str(answer.get("reason") or "no reason given"),
                answer.get("retry_after_sec"),
                answer,
            )

    def _beat(self, every: float) -> None:
        while not self._ended.wait(every):
            if self.revoked is not None:
                return
            self._axon._leases.publish("heartbeat", {"lease_id": self.lease_id})

    # -- in the block -------------------------------------------------------------------------
    def progress(self, value: Any) -> None:
        """Report progress (a number, a sentence or a small dict); counts as a heartbeat."""
        if self.lease_id is not None and self.revoked is None:
            self._axon._leases.publish("progress", {"lease_id": self.lease_id, "progress": value})

    def check(self) -> None:
        """Raise LeaseRevoked if the hub took the lease back; call it between steps of a job."""
        if self.revoked is not None:
            raise LeaseRevoked(self.lease_id or "?", self.revoked)

    # -- answers (on paho's network thread) ----------------------------------------------------
    def _on_reply(self, data: dict[str, Any]) -> None:
        self.decision = data
        if isinstance(data.get("lease_id"), str):
            self.lease_id = data["lease_id"]
        self._answer.set()

    def _on_revoke(self, data: dict[str, Any]) -> None:
        self.revoked = str(data.get("reason") or "revoked by the hub")
        log.warning("lease %s taken back by the hub: %s", self.lease_id, self.revoked)
        self._answer.set()


class LeaseBook:
    """The axon's leases in flight, matched with the hub's answers."""

    def __init__(self, axon: Axon) -> None:
        self._axon = axon
        self._lock = threading.Lock()
        self._leases: list[Lease] = []

    def topic(self, verb: str) -> str:
        return f"{self._axon._topic('lease')}/{verb}"

    def subscriptions(self) -> list[tuple[str, int]]:
        return [(self.topic("reply"), 1), (self.topic("revoke"), 1)]

    def add(self, lease: Lease) -> None:
        with self._lock:
            self._leases.append(lease)

    def remove(self, lease: Lease) -> None:
        with self._lock:
            if lease in self._leases:
                self._leases.remove(lease)

    def publish(self, verb: str, payload: dict[str, Any]) -> bool:
        client = self._axon._client
        if client is None:
            return False
        info = client.publish(self.topic(verb), json.dumps(payload), qos=1)
        return info.rc == 0

    def on_message(self, topic: str, payload: bytes) -> bool:
        """Route a reply or revoke to its lease; False when the topic is not ours."""
        verb = topic.rsplit("/", 1)[-1]
        if topic not in (self.topic("reply"), self.topic("revoke")):
            return False
        try:
            data = json.loads(payload)
        except ValueError:
            return True
        if not isinstance(data, dict):
            return True
        with self._lock:
            leases = list(self._leases)
        for lease in leases:
            by_request = data.get("request_id") == lease.request_id and verb == "reply"
            by_lease = lease.lease_id is not None and data.get("lease_id") == lease.lease_id
            if by_request or by_lease:
                (lease._on_reply if verb == "reply" else lease._on_revoke)(data)
        return True
