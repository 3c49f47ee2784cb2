"""Live updates: hub events pushed to browsers as server-sent events, and sparkline data.

Each browser gets a bounded queue that an ``EventBus`` listener fills. The listener never blocks
the hub: when a slow browser's queue is full, the event is dropped for that browser and it is
told to reload (``event: overflow``). A comment line goes out every ``HEARTBEAT`` seconds so
proxies keep the stream open; ``EventSource`` reconnects by itself when it drops.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from hub.events import Event
from hub.hub import Hub
from web.deps import ReaderDep
from web.pages.cards import card
from web.pages.render import hub_of

router = APIRouter(include_in_schema=False)

QUEUE_SIZE = 512
HEARTBEAT = 15.0
SPARK_POINTS = 40
SPARK_WINDOW = 3600.0
#: kinds whose message carries the axon's fresh card (name, status, values, group)
WITH_CARD = frozenset({"registered", "status", "approval"})


def _payload(hub: Hub, event: Event) -> str:
    data: dict[str, Any] = {"kind": event.kind, "axon": event.axon_id, "at": event.at}
    data["data"] = event.data
    if event.kind in WITH_CARD:
        state = hub.registry.get(event.axon_id)
        if state is not None:
            data["card"] = card(state)
    return json.dumps(data, default=str, separators=(",", ":"))


@router.get("/events", dependencies=[ReaderDep])
async def events(request: Request) -> StreamingResponse:
    """``text/event-stream`` of hub events; for a signed-in browser or an API key."""
    hub = hub_of(request)
    loop = asyncio.get_running_loop()
    loop_thread = threading.get_ident()
    queue: asyncio.Queue[str | None] = asyncio.Queue(QUEUE_SIZE)
    overflowed = [False]

    def put(item: str | None) -> None:
        try:
            queue.put_nowait(item)
        except asyncio.QueueFull:
            overflowed[0] = True

    def listener(event: Event) -> None:
        text = _payload(hub, event)
        if threading.get_ident() == loop_thread:
            put(text)
        else:
            loop.call_soon_threadsafe(put, text)

    unsubscribe = hub.events.subscribe(listener)
    open_streams: set[asyncio.Queue[str | None]] = request.app.state.live_streams
    open_streams.add(queue)

    async def stream() -> AsyncIterator[str]:
        try:
            yield f"retry: 2000\nevent: hello\ndata: {json.dumps({'at': hub.clock.now()})}\n\n"
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), HEARTBEAT)
                except TimeoutError:
                    yield ": heartbeat\n\n"
                    continue
                if item is None:  # the hub is stopping
                    return
                if overflowed[0]:
                    overflowed[0] = False
                    yield "event: overflow\ndata: {}\n\n"
                yield f"data: {item}\n\n"
        finally:
            unsubscribe()
            open_streams.discard(queue)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def close_streams(open_streams: set[asyncio.Queue[str | None]]) -> None:
    """End every open stream (on the loop thread): the hub is stopping."""
    for queue in list(open_streams):
        while True:
            try:
                queue.put_nowait(None)
                break
            except asyncio.QueueFull:
                queue.get_nowait()


@router.get("/ui/sparklines", dependencies=[ReaderDep])
async def sparklines(request: Request) -> dict[str, dict[str, list[float]]]:
    """The last hour of each axon's numeric values, thinned to ``SPARK_POINTS`` per series."""
    hub = hub_of(request)
    since = hub.clock.now() - SPARK_WINDOW
    wanted = {s.id: card(s)["spark"] for s in hub.registry.all()}

    return await asyncio.to_thread(hub.spark_series, wanted, since, SPARK_POINTS)
