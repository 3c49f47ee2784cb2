"""``Axon``: one service on the hub, its declarations and its connection.

Threads, all daemons, none left behind by ``stop()`` except an action still running past its
timeout: paho's network thread (connect, reconnect with jittered exponential backoff, callbacks),
a timer thread (widget polls, heartbeats, action timeouts; each pass is ``_step(now)``) and a few
action workers, so a slow action never stalls the connection.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType, TracebackType
from typing import Any, TypeVar

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from . import _commands as commands
from ._config import hub_address, load_docs, token_from
from ._errors import AxonError, ConfigError, ConnectionFailed, RejectedByHub
from ._lease import Lease, LeaseBook
from ._process import default_logging, jitter_backoff, on_sigterm
from ._spec import Action, Param, Widget, check_id, check_label, check_seconds, default_label

log = logging.getLogger("axon_sdk")
F = TypeVar("F", bound=Callable[..., Any])
ErrorCallback = Callable[[RejectedByHub], object]

MAX_PENDING_COMMANDS = 32


class Axon:
    """A service that registers itself with a Synapse hub, reports values and runs actions.

    >>> axon = Axon("nas-01", name="NAS")                  # token from SYNAPSE_TOKEN
    >>> @axon.action("restart", label="Restart", style="danger")
    ... def restart(): ...
    >>> axon.run()                                         # blocks; Ctrl-C or SIGTERM stops it
    """

    def __init__(
        self,
        id: str,
        name: str | None = None,
        *,
        token: str | None = None,
        hub: str | None = None,
        ttl: float = 60,
        docs: str | os.PathLike[str] | None = None,
        prefix: str = "synapse",
        on_error: ErrorCallback | None = None,
        workers: int = 4,
    ) -> None:
        env = os.environ
        self.id = check_id("axon id", id)
        self.name = check_label("name", name if name is not None else id)
        self.ttl = check_seconds("ttl", ttl, low=5, high=86400)
        self.docs = load_docs(docs)
        self._hub = hub_address(hub, env)
        self._token = token_from(token, env)
        if not isinstance(prefix, str) or not prefix or any(c in prefix for c in "/+#\0"):
            raise ConfigError(f"prefix must be one topic level like 'synapse', got {prefix!r}")
        if not isinstance(workers, int) or not 1 <= workers <= 64:
            raise ConfigError(f"workers must be an int from 1 to 64, got {workers!r}")
        self._prefix, self._workers = prefix, workers
        #: called (on the network thread; keep it short) with each RejectedByHub the hub sends
        self.on_error = on_error
        #: the last error the hub sent on synapse/error/{id}, or None
        self.last_error: RejectedByHub | None = None
        self._actions: dict[str, Action] = {}
        self._widgets: dict[str, Widget] = {}
        self._lock = threading.Lock()
        self._client: mqtt.Client | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._finished = threading.Event()
        self._wake = threading.Event()
        self._connected = threading.Event()
        self._jobs: queue.Queue[commands.Command | None] = queue.Queue(MAX_PENDING_COMMANDS)
        self._running: dict[str, commands.Job] = {}
        self._seen = commands.SeenRequests()
        self._pending: dict[str, Any] = {}
        self._next_poll: dict[str, float] = {}
        self._last_report = 0.0
        self._raise_on_error = False
        self._fatal: AxonError | None = None
        self._leases = LeaseBook(self)

    def __repr__(self) -> str:
        return (
            f"Axon(id={self.id!r}, name={self.name!r}, hub='{self._hub}', ttl={self.ttl:g}, "
            "token='***')"
        )

    # -- declarations --------------------------------------------------------------------------

    def action(
        self,
        id: str,
        *,
        label: str | None = None,
        style: str = "default",
        params: Mapping[str, type | Param] | None = None,
        timeout: float = 60,
        confirm: bool = False,
    ) -> Callable[[F], F]:
        """Decorate a plain function as an action; its return value becomes the output.

        ``params`` declares typed keyword arguments (``{"unit": str}``), checked before the
        function runs. A function slower than ``timeout`` seconds is answered ``timeout``.
        """
        check_id("action id", id)
        if params is not None and not isinstance(params, Mapping):
            raise ConfigError(f"params of action {id!r} must be a dict like {{'unit': str}}")
        declared = {name: Param.coerce(p) for name, p in (params or {}).items()}

        def decorate(function: F) -> F:
            spec = Action(
                id, function, label or default_label(id), style, declared, timeout, confirm
            )
            self._declare(self._actions, spec)
            return function

        return decorate

    def widget(
        self,
        id: str,
        *,
        type: str = "stat",
        label: str | None = None,
        unit: str | None = None,
        every: float | None = None,
        monitors: Any = (),
    ) -> Callable[[F], F]:
        """Declare a widget; decorate a function to have it polled every ``every`` seconds.

        Called without decorating anything, it declares a widget you fill with ``report()``.
        ``every`` defaults to half the TTL.
        """
        spec = Widget(id, type, label or default_label(id), unit, every, monitors)
        self._declare(self._widgets, spec)

        def decorate(function: F) -> F:
            if not callable(function):
                raise ConfigError(f"widget {id!r} must decorate a function, got {function!r}")
            with self._lock:
                self._widgets[id] = dataclasses.replace(spec, function=function)
                self._next_poll.pop(id, None)
            self._wake.set()
            return function

        return decorate

    def _declare(self, registry: dict[str, Any], spec: Action | Widget) -> None:
        with self._lock:
            if spec.id in registry:
                kind = "action" if isinstance(spec, Action) else "widget"
                raise ConfigError(f"{kind} {spec.id!r} is declared twice")
            registry[spec.id] = spec
        if self._connected.is_set():  # declared while running: tell the hub at once
            self._publish("register", self._registration(), qos=1)

    @property
    def actions(self) -> Mapping[str, Action]:
        return MappingProxyType(self._actions)

    @property
    def widgets(self) -> Mapping[str, Widget]:
        return MappingProxyType(self._widgets)

    @property
    def hub(self) -> str:
        return str(self._hub)

    def definition(self) -> dict[str, Any]:
        """The registration this axon sends, without its token."""
        payload = self._registration()
        del payload["auth_token"]
        return payload

    def _registration(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "auth_token": self._token,
            "ttl": int(self.ttl) if self.ttl.is_integer() else self.ttl,
            "docs": self.docs,
            "actions": [a.to_wire() for a in self._actions.values()],
            "widgets": [w.to_wire() for w in self._widgets.values()],
        }

    # -- leases (axon_sdk/_lease.py) ----------------------------------------------------------

    def lease(
        self,
        job_type: str,
        *,
        cost: int,
        priority: str = "NORMAL",
        wait: bool = False,
        timeout: float = 30,
        expected_duration: float | None = None,
        constraints: tuple[str, ...] = (),
        idempotency_key: str | None = None,
    ) -> Lease:
        """Ask the hub before heavy work: ``with axon.lease("backup", cost=40, wait=True):``.

        Blocks up to ``timeout`` seconds for a grant (with ``wait=True`` the hub queues the
        request until it can grant it), heartbeats while the block runs and releases on exit.
        Raises LeaseDenied (``.reason``, ``.retry_after``) when the hub says no.
        """
        return Lease(
            self, job_type, cost=cost, priority=priority, wait=wait, timeout=timeout,
            expected_duration=expected_duration, constraints=tuple(constraints),
            idempotency_key=idempotency_key,
        )  # fmt: skip

    # -- reporting -----------------------------------------------------------------------------

    def report(self, values: Mapping[str, Any] | None = None, /, **more: Any) -> None:
        """Send values now: ``axon.report(status="ok", cpu=12.5)`` (widget id -> value).

        Never blocks: while disconnected, the latest value of each widget is kept and sent on
        reconnect. An id that is not a declared widget, or a value that is not JSON, is a
        ConfigError.
        """
        merged = {**(values or {}), **more}
        for key, value in merged.items():
            if key not in self._widgets:
                known = ", ".join(self._widgets) or "none declared"
                raise ConfigError(f"report({key}=...): no widget {key!r} (widgets: {known})")
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError):
                raise ConfigError(f"report({key}=...): {value!r} is not a JSON value") from None
        with self._lock:
            self._pending.update(merged)
        self._wake.set()

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float | None = None) -> bool:
        """Block until connected (and registered); False if ``timeout`` seconds pass first."""
        return self._connected.wait(timeout)

    def start(self, *, timeout: float | None = None) -> None:
        """Connect in the background and return. With ``timeout``, wait that long for the
        connection and raise ConnectionFailed if it is not up by then."""
        with self._lock:
            if self._client is not None:
                raise AxonError(f"axon {self.id!r} is already running")
            for event in (self._stopping, self._finished, self._wake, self._connected):
                event.clear()
            self._fatal = None
            self._client = client = self._make_client()
        keepalive = max(5, min(int(self.ttl // 2), 60))
        client.connect_async(self._hub.host, self._hub.port, keepalive)
        self._threads = [threading.Thread(target=self._timer, name="axon-sdk-timer", daemon=True)]
        self._threads += [
            threading.Thread(target=self._worker, name=f"axon-sdk-action-{n}", daemon=True)
            for n in range(self._workers)
        ]
        for thread in self._threads:
            thread.start()
        client.loop_start()
        log.info("axon %s connecting to %s", self.id, self._hub)
        if timeout is not None and not self.wait_connected(timeout):
            self.stop()
            raise ConnectionFailed(f"could not connect to {self._hub} within {timeout:g} s")

    def stop(self, *, timeout: float = 5.0) -> None:
        """Say ``offline``, disconnect and stop the background threads. Idempotent."""
        with self._lock:
            client, self._client = self._client, None
        if client is None:
            return
        self._stopping.set()
        self._finished.set()
        self._wake.set()
        if self._connected.is_set():
            info = client.publish(self._topic("status"), "offline", qos=1)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                log.debug("offline status not confirmed before disconnect")
        client.disconnect()
        client.loop_stop()
        self._connected.clear()
        for _ in range(self._workers):
            try:
                self._jobs.put_nowait(None)
            except queue.Full:
                break
        self._threads[0].join(timeout)
        log.info("axon %s stopped", self.id)

    def run(self, *, raise_on_error: bool = False) -> None:
        """Connect and serve until Ctrl-C, SIGTERM or ``stop()``; reconnects on its own.

        With ``raise_on_error=True`` the first error from the hub (RejectedByHub) or a refused
        token (ConnectionFailed) stops the axon and is raised; by default it is logged, passed
        to ``on_error`` and kept in ``last_error`` while the axon keeps running.
        If logging is not configured, INFO and above of the "axon_sdk" logger go to stderr.
        """
        default_logging()
        self._raise_on_error = raise_on_error
        self.start()
        restore = on_sigterm(self._finished.set)
        try:
            while not self._finished.wait(1.0):
                pass
        except KeyboardInterrupt:
            log.info("interrupted")
        finally:
            restore()
            self.stop()
        if self._fatal is not None:
            raise self._fatal

    def __enter__(self) -> Axon:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Axon:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)

    async def run_async(self, *, raise_on_error: bool = False) -> None:
        """``run()`` for asyncio programs: serve until cancelled, ``stop()`` or a fatal error."""
        self._raise_on_error = raise_on_error
        await asyncio.to_thread(self.start)
        try:
            await asyncio.to_thread(self._finished.wait)
        finally:
            self._finished.set()
            await asyncio.to_thread(self.stop)
        if self._fatal is not None:
            raise self._fatal

    def _fail(self, error: AxonError) -> None:
        self._fatal = error
        self._finished.set()

    # -- MQTT ----------------------------------------------------------------------------------

    def _topic(self, kind: str) -> str:
        return f"{self._prefix}/{kind}/{self.id}"

    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.id,
            clean_session=True,
            protocol=mqtt.MQTTv311,
        )
        client.username_pw_set(self.id, self._token)
        client.will_set(self._topic("status"), "offline", qos=1)
        client.enable_logger(logging.getLogger("axon_sdk.mqtt"))
        jitter_backoff(client)
        if self._hub.tls:
            client.tls_set()
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_message = self._on_message
        return client

    def _publish(self, kind: str, payload: Any, *, qos: int = 0, retain: bool = False) -> bool:
        client = self._client
        if client is None:
            return False
        data = payload if isinstance(payload, str | bytes) else json.dumps(payload)
        info = client.publish(self._topic(kind), data, qos=qos, retain=retain)
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            error = ConnectionFailed(
                f"the hub refused axon {self.id!r}: {reason} (check the id and the token)"
            )
            log.error("%s", error)
            if self._raise_on_error:
                self._fail(error)
            return
        client.subscribe(
            [(self._topic("command"), 1), (self._topic("error"), 1), *self._leases.subscriptions()]
        )
        self._publish("register", self._registration(), qos=1)
        self._publish("status", "online", qos=1)
        with self._lock:
            self._next_poll.clear()  # poll every widget at once: fresh values after a restart
        self._connected.set()
        self._wake.set()
        log.info(
            "axon %s connected to %s and registered (%d actions, %d widgets)",
            self.id,
            self._hub,
            len(self._actions),
            len(self._widgets),
        )

    def _on_connect_fail(self, _c: mqtt.Client, _u: Any) -> None:
        log.warning("axon %s cannot reach %s; retrying", self.id, self._hub)

    def _on_disconnect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self._connected.clear()
        if not self._stopping.is_set():
            log.warning(
                "axon %s lost the connection to %s (%s); reconnecting", self.id, self._hub, reason
            )
            jitter_backoff(client)

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        if message.topic == self._topic("command"):
            self._on_command(bytes(message.payload))
        elif message.topic == self._topic("error"):
            self._on_hub_error(bytes(message.payload))
        else:
            self._leases.on_message(message.topic, bytes(message.payload))

    def _on_hub_error(self, payload: bytes) -> None:
        try:
            data = json.loads(payload)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            data = {"error": payload[:500].decode("utf-8", errors="replace")}
        error = RejectedByHub(
            str(data.get("error") or "no reason given"),
            data.get("detail"),
            data.get("topic") if isinstance(data.get("topic"), str) else None,
        )
        self.last_error = error
        log.error("%s (detail: %s)", error, error.detail)
        if self.on_error is not None:
            try:
                self.on_error(error)
            except Exception:
                log.exception("the on_error callback raised")
        if self._raise_on_error:
            self._fail(error)

    # -- commands ------------------------------------------------------------------------------

    def _on_command(self, payload: bytes) -> None:
        outcome = commands.parse(payload, self._actions, self._seen, time.time())
        if outcome is None:
            log.warning("ignored a command without a readable request_id (%d bytes)", len(payload))
        elif isinstance(outcome, commands.Result):
            log.warning(
                "refused command %s: %s: %s", outcome.request_id, outcome.code, outcome.error
            )
            self._answer(outcome)
        else:
            try:
                self._jobs.put_nowait(outcome)
            except queue.Full:
                self._answer(
                    commands.Result(
                        outcome.request_id,
                        "failed",
                        error="too many commands waiting; try again later",
                    )
                )

    def _answer(self, result: commands.Result) -> None:
        self._publish("result", result.to_json(), qos=1)

    def _worker(self) -> None:
        while (command := self._jobs.get()) is not None:
            if command.expires_at <= time.time():
                self._answer(
                    commands.Result(
                        command.request_id, "expired", error="command expired while waiting to run"
                    )
                )
                continue
            job = commands.Job(command, time.monotonic() + command.action.timeout)
            with self._lock:
                self._running[command.request_id] = job
            self._wake.set()
            log.info("running action %s (request %s)", command.action.id, command.request_id)
            result = commands.run(command)
            with self._lock:
                self._running.pop(command.request_id, None)
            if job.claim():
                log.info(
                    "action %s: %s in %d ms", command.action.id, result.code, result.duration_ms
                )
                self._answer(result)
            else:
                log.warning(
                    "action %s finished after its timeout; its result was dropped",
                    command.action.id,
                )

    # -- timer ---------------------------------------------------------------------------------

    def _timer(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            delay = self._step(time.monotonic())
            self._wake.wait(delay)

    def _step(self, now: float) -> float:
        """Poll due widgets, send reports or a heartbeat, time out actions; seconds to sleep."""
        heartbeat = self.ttl / 2
        deadlines = [now + heartbeat]
        if self._connected.is_set():
            values = self._poll_due(now)
            with self._lock:
                values, self._pending = {**self._pending, **values}, {}
            if values or now - self._last_report >= heartbeat:
                if self._publish("report", values):
                    self._last_report = now
                else:
                    with self._lock:
                        self._pending = {**values, **self._pending}
            deadlines.append(self._last_report + heartbeat)
        with self._lock:
            deadlines += self._next_poll.values()
            jobs = list(self._running.values())
        for job in jobs:
            if now >= job.deadline and job.claim():
                timeout = job.command.action.timeout
                log.error("action %s timed out after %g s", job.command.action.id, timeout)
                self._answer(
                    commands.Result(
                        job.command.request_id,
                        "timeout",
                        duration_ms=int(timeout * 1000),
                        error=f"action did not finish within {timeout:g} s (it may still be running)",
                    )
                )
            deadlines.append(job.deadline)
        return min(max(min(deadlines) - now, 0.01), 1.0 if not self._connected.is_set() else 60.0)

    def _poll_due(self, now: float) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for widget in list(self._widgets.values()):
            if widget.function is None or self._next_poll.get(widget.id, 0.0) > now:
                continue
            self._next_poll[widget.id] = now + (widget.every or self.ttl / 2)
            try:
                value = widget.function()
                json.dumps(value, allow_nan=False)
            except Exception as exc:  # a failing widget is skipped, the others still report
                log.warning("widget %s: %s: %s", widget.id, type(exc).__name__, exc)
                continue
            values[widget.id] = value
        return values
