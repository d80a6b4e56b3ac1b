"""Slack's redeliveries of an event, recognised by its `event_id` and answered only once.

Slack sends an event again (up to three times, over about five minutes, with
`X-Slack-Retry-Num`) when it did not get a 2xx within three seconds, and Socket Mode can
deliver an event twice around a reconnection. The bot acknowledges at once, so this is rare,
but a question answered twice is a visible bug: an event id seen in the last `ttl` is
acknowledged and dropped. The memory is per process: behind a load balancer a redelivery
that reaches another replica is answered there too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime, timedelta

from core.clock import Clock


class SeenEvents:
    """Event ids delivered within the last `ttl` (at most `limit` of them kept)."""

    def __init__(
        self, clock: Clock, *, ttl: timedelta = timedelta(minutes=15), limit: int = 10_000
    ) -> None:
        """Remember ids for `ttl`, and no more than `limit` of them (the oldest go first)."""
        self._clock = clock
        self._ttl = ttl
        self._limit = limit
        self._seen: OrderedDict[str, datetime] = OrderedDict()
        self._lock = threading.Lock()

    def first(self, event_id: str) -> bool:
        """Whether this is the first delivery of `event_id` (it is remembered from now on)."""
        now = self._clock.now()
        with self._lock:
            while self._seen and next(iter(self._seen.values())) <= now - self._ttl:
                self._seen.popitem(last=False)
            if event_id in self._seen:
                return False
            if len(self._seen) >= self._limit:
                self._seen.popitem(last=False)
            self._seen[event_id] = now
            return True
