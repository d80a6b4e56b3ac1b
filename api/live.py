"""The live feed: new and changed alerts and incidents, as Server-Sent Events.

Each stream polls the database every `web.live_poll_s` (in a thread, off the event loop), so
it sees what any API replica or worker committed, on SQLite and PostgreSQL alike, with no
broker. It sends

    event: alert       data: an `AlertOut` (new, repeated, updated or resolved)
    event: incident    data: {"incident": an `IncidentOut`, "entries": [`TimelineEntryOut`...]}

each with `id: <cursor>`: a browser that reconnects sends it back as `Last-Event-ID` and the
new stream resumes there. A page renders the cursor of the moment it was rendered and opens
its first stream with `?after=<cursor>`, so a change between the render and the connection
is not lost. Alerts are followed by `last_seen`, incidents by their timeline
entries' ids; both are read again with an overlap (10 s, 100 ids), so that a row committed a
little after the instant or id it carries is not missed. Within a stream what was sent is not
sent again; a resumed stream sends its overlap again, since it cannot know what its
predecessor sent: events say what changed, and a page that gets one twice re-renders twice.
A stream ends after `web.live_stream_s`, or within a poll when the server stops (`stop()`),
and the browser's `EventSource` reconnects on its own.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from api.schemas.incidents import AlertOut, IncidentOut, TimelineEntryOut
from core.clock import Clock, ensure_utc
from core.db.engine import SessionFactory
from incidents import activity
from incidents.models.incident import Incident

OVERLAP = timedelta(seconds=10)
"""Alerts last seen this long before the cursor are read again."""
ID_MARGIN = 100
"""Timeline ids this far below the cursor are read again."""
HEARTBEAT_S = 15.0
"""A comment line after this long without an event keeps proxies from closing the stream."""
RETRY_MS = 3000
"""How long the browser waits before reconnecting."""
BATCH = 1000
"""Rows of each kind one poll reads at most. Timeline entries past it come in the next polls;
alerts past it in one poll's window are not sent one by one (a page that re-renders reads
them all from the database anyway)."""


@dataclass(frozen=True)
class Cursor:
    """Where a stream stands: alerts seen from `alerts_since`, timeline entries after an id."""

    alerts_since: datetime
    timeline_id: int

    def encode(self) -> str:
        """The cursor as an SSE event id."""
        return f"{self.alerts_since.isoformat()}~{self.timeline_id}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        """A cursor from `Last-Event-ID`, or None when it is missing or not one of ours."""
        at, sep, entry = (text or "").partition("~")
        try:
            return cls(ensure_utc(datetime.fromisoformat(at)), int(entry)) if sep else None
        except ValueError:
            return None


@dataclass(frozen=True)
class Event:
    """One server-sent event."""

    kind: str
    data: dict[str, Any]


@dataclass
class _Sent:
    """What a stream has sent, so that re-read rows go out only when they changed."""

    floor: Cursor
    """Rows before it are not sent (a new stream starts from now, not from the past)."""
    alerts: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    entries: set[int] = field(default_factory=set)

    def alert_is_new(self, alert: AlertOut) -> bool:
        signature = (alert.status, alert.last_seen, alert.duplicates, alert.incident_id)
        if alert.last_seen < self.floor.alerts_since or self.alerts.get(alert.id) == signature:
            return False
        self.alerts[alert.id] = signature
        return True

    def entry_is_new(self, entry_id: int) -> bool:
        if entry_id <= self.floor.timeline_id or entry_id in self.entries:
            return False
        self.entries.add(entry_id)
        return True

    def forget_before(self, cursor: Cursor) -> None:
        oldest = cursor.alerts_since - OVERLAP
        self.alerts = {k: v for k, v in self.alerts.items() if v[1] >= oldest}
        self.entries = {i for i in self.entries if i > cursor.timeline_id - ID_MARGIN}


def format_event(event: Event, cursor: Cursor) -> str:
    """The event on the wire."""
    data = json.dumps(event.data, separators=(",", ":"), default=str)
    return f"id: {cursor.encode()}\nevent: {event.kind}\ndata: {data}\n\n"


class LiveFeed:
    """Streams what changes in the database to each client that listens."""

    def __init__(
        self, sessions: SessionFactory, clock: Clock, *, poll_s: float, stream_s: float
    ) -> None:
        """Poll through `sessions` every `poll_s`; end each stream after `stream_s`."""
        self._sessions, self._clock = sessions, clock
        self.poll_s, self.stream_s = poll_s, stream_s
        self._stopping = threading.Event()

    def stop(self) -> None:
        """End every stream within a poll (the server is stopping)."""
        self._stopping.set()

    def now(self) -> Cursor:
        """The cursor of this instant (a page renders it, so its stream starts there)."""
        with self._sessions() as session:
            return Cursor(self._clock.now(), activity.last_timeline_id(session))

    def start(self, resume: str | None) -> tuple[Cursor, _Sent]:
        """Resume at a cursor (with its overlap), else start from now."""
        resumed = Cursor.decode(resume)
        if resumed is not None:
            floor = Cursor(resumed.alerts_since - OVERLAP, resumed.timeline_id - ID_MARGIN)
            return resumed, _Sent(floor=floor)
        now = self.now()
        return now, _Sent(floor=now)

    def poll(self, cursor: Cursor, sent: _Sent) -> tuple[list[Event], Cursor]:
        """The events since `cursor` not sent yet, and the cursor after them."""
        started = self._clock.now()
        events: list[Event] = []
        with self._sessions() as session:
            alerts = activity.alerts_seen_since(session, cursor.alerts_since - OVERLAP, limit=BATCH)
            for row in alerts:
                alert = AlertOut.model_validate(row)
                if sent.alert_is_new(alert):
                    events.append(Event("alert", alert.model_dump(mode="json")))
            entries = activity.timeline_after(
                session, max(0, cursor.timeline_id - ID_MARGIN), limit=BATCH
            )
            by_incident: dict[int, list[TimelineEntryOut]] = {}
            for entry in entries:
                if entry.id is not None and sent.entry_is_new(entry.id):
                    out = TimelineEntryOut.model_validate(entry)
                    by_incident.setdefault(entry.incident_id, []).append(out)
            for incident_id, new in by_incident.items():
                incident = session.get(Incident, incident_id)
                if incident is not None:
                    events.append(Event("incident", _incident_data(incident, new)))
        top = max((e.id or 0 for e in entries), default=cursor.timeline_id)
        after = Cursor(max(started, cursor.alerts_since), max(top, cursor.timeline_id))
        sent.forget_before(after)
        return events, after

    async def stream(self, resume: str | None) -> AsyncIterator[str]:
        """The SSE text of a stream that resumes at the cursor `resume` (None: from now).

        A client that goes away ends it: Starlette cancels the response when it hears the
        disconnect.
        """
        cursor, sent = await asyncio.to_thread(self.start, resume)
        yield f"retry: {RETRY_MS}\n\n"
        deadline = time.monotonic() + self.stream_s
        quiet_since = time.monotonic()
        while not self._stopping.is_set() and time.monotonic() < deadline:
            events, cursor = await asyncio.to_thread(self.poll, cursor, sent)
            for event in events:
                yield format_event(event, cursor)
            if events:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= HEARTBEAT_S:
                yield ": keep-alive\n\n"
                quiet_since = time.monotonic()
            await self._wait()

    async def _wait(self) -> None:
        """Sleep a poll interval, or less when the server is stopping."""
        until = time.monotonic() + self.poll_s
        # The flag is a threading.Event: a signal handler sets it, and streams run on any loop.
        while (left := until - time.monotonic()) > 0 and not self._stopping.is_set():  # noqa: ASYNC110
            await asyncio.sleep(min(left, 0.25))


def _incident_data(incident: Incident, entries: list[TimelineEntryOut]) -> dict[str, Any]:
    return {
        "incident": IncidentOut.model_validate(incident).model_dump(mode="json"),
        "entries": [e.model_dump(mode="json") for e in entries],
    }
