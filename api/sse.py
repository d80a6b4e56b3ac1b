"""Server-Sent Events: the framing, and comments that keep a quiet stream open.

FastAPI's `StreamingResponse` carries the stream rather than sse-starlette: the framing is a
few lines (`event:`, `data:`, a blank line), the one feature we would take from it (comment
pings while a model thinks, so that proxies do not close an idle connection) is the function
below, and a dependency for that is not worth its weight.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

MEDIA_TYPE = "text/event-stream"
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
"""Not cached, and not buffered by nginx (it would hold the steps back until the end)."""
KEEPALIVE_S = 15.0
"""A comment line is sent after this long without an event."""
KEEPALIVE = ": keep-alive\n\n"


def event(name: str, data: str) -> str:
    """One event: its name, its data (one `data:` line per line), a blank line."""
    lines = data.splitlines() or [""]
    return f"event: {name}\n" + "".join(f"data: {line}\n" for line in lines) + "\n"


async def keep_alive(
    events: AsyncIterator[str], every_s: float = KEEPALIVE_S
) -> AsyncGenerator[str, None]:
    """`events`, with a comment whenever none came for `every_s` seconds.

    `events` is read to its end by one task of its own (a graph's stream must stay in one
    task), which is cancelled when the consumer leaves early.
    """
    queue: asyncio.Queue[tuple[bool, Any]] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for item in events:
                queue.put_nowait((True, item))
        except Exception as e:  # handed to the consumer, raised there
            queue.put_nowait((False, e))
        else:
            queue.put_nowait((False, None))

    task = asyncio.create_task(pump())
    try:
        while True:
            try:
                more, item = await asyncio.wait_for(queue.get(), every_s)
            except TimeoutError:
                yield KEEPALIVE
                continue
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
