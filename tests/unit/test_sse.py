"""Server-Sent Events: the framing, and keep-alive comments while nothing happens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from api.sse import KEEPALIVE, event, keep_alive


def test_an_event_is_its_name_its_data_lines_and_a_blank_line() -> None:
    assert event("answer", '{"text":"hi"}') == 'event: answer\ndata: {"text":"hi"}\n\n'
    assert event("note", "one\ntwo") == "event: note\ndata: one\ndata: two\n\n"
    assert event("done", "") == "event: done\ndata: \n\n"


def test_a_quiet_stream_gets_comments_and_its_source_is_closed() -> None:
    closed: list[bool] = []

    async def slow() -> AsyncIterator[str]:
        try:
            yield "first"
            await asyncio.sleep(0.25)
            yield "second"
        finally:
            closed.append(True)

    async def read() -> list[str]:
        return [item async for item in keep_alive(slow(), every_s=0.1)]

    got = asyncio.run(read())
    assert got[0] == "first" and got[-1] == "second"
    assert set(got[1:-1]) == {KEEPALIVE} and len(got[1:-1]) >= 1
    assert closed == [True]


def test_a_consumer_that_leaves_cancels_the_step_in_flight() -> None:
    stopped: list[str] = []

    async def stuck() -> AsyncIterator[str]:
        try:
            yield "first"
            await asyncio.sleep(60)
            yield "never"
        except asyncio.CancelledError:
            stopped.append("cancelled")
            raise

    async def leave_early() -> None:
        stream = keep_alive(stuck(), every_s=0.05)
        assert await anext(stream) == "first"
        assert await anext(stream) == KEEPALIVE
        await stream.aclose()

    asyncio.run(leave_early())
    assert stopped == ["cancelled"]


def test_an_error_of_the_source_reaches_the_consumer() -> None:
    async def broken() -> AsyncIterator[str]:
        yield "first"
        raise ValueError("bad")

    async def read() -> list[str]:
        return [item async for item in keep_alive(broken(), every_s=1)]

    with pytest.raises(ValueError, match="bad"):
        asyncio.run(read())
