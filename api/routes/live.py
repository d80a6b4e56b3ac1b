"""The live feed of alerts and incidents (Server-Sent Events) and the alert volume."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from api.deps import CurrentCaller, Now, Sessions
from api.live import LiveFeed
from api.schemas.live import AlertVolumeOut
from incidents import activity

router = APIRouter(prefix="/api/v1", tags=["live"])


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def events(
    request: Request,
    caller: CurrentCaller,
    last_event_id: Annotated[str | None, Header(description="Resume after this event.")] = None,
    after: Annotated[
        str | None, Query(description="Start at this cursor (an event id); the header wins.")
    ] = None,
) -> StreamingResponse:
    """New and changed alerts (`event: alert`) and incidents (`event: incident`) as they happen.

    A Server-Sent Events stream; a client that reconnects with `Last-Event-ID` resumes where
    it was. See docs/web.md.
    """
    del caller
    feed: LiveFeed = request.app.state.live_feed
    return StreamingResponse(
        feed.stream(last_event_id or after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/alerts/volume", response_model=AlertVolumeOut, tags=["alerts"])
def alert_volume(
    sessions: Sessions,
    clock: Now,
    caller: CurrentCaller,
    hours: Annotated[int, Query(ge=1, le=24 * 31, description="The last this many hours.")] = 24,
    step_minutes: Annotated[int, Query(ge=1, le=24 * 60, description="Bucket width.")] = 60,
) -> AlertVolumeOut:
    """New alerts per bucket and severity over the last `hours` (every bucket, empty ones too)."""
    del caller
    step = timedelta(minutes=step_minutes)
    now = clock.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    end = now - (now - midnight) % step + step
    with sessions() as session:
        buckets = activity.alert_volume(
            session, start=end - timedelta(hours=hours), end=end, step=step
        )
    return AlertVolumeOut(step_s=int(step.total_seconds()), buckets=buckets)
