"""`pixelview demo`: PixelView against the lab, whose alerts arrive through the real webhook.

The lab runs in a thread beside the API: every `lab.tick_s` it moves the world to the current
time, injects the faults that are due, and posts what its Alertmanager sends to the
`lab.integration` integration over HTTP, the path a real Alertmanager's alerts take. A body
that could not be delivered (the API still starting, a 5xx) is kept and sent again on the
next tick, in order, so no alert is lost. The lab's Kubernetes cluster is handed to the
container as the cluster `lab`, so the inventory syncs it like a real one.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx2

from core.clock import Clock
from core.errors import ConfigError, InvalidRequest
from core.logs import get_logger
from core.settings import LabSettings
from incidents.alerts.schema import Source
from incidents.integrations import (
    IntegrationCreate,
    create_integration,
    list_integrations,
    rotate_token,
)
from lab.alerting.alertmanager import Route
from lab.demo import LabRun, ScheduledFault
from pixelview.container import Container

log = get_logger(__name__)

LAB_CLUSTER = "lab"
"""The name the lab's Kubernetes cluster has in the inventory."""
ACTOR = "lab"
"""Who the audit log says created or rotated the lab's integration."""

Post = Callable[[dict[str, Any]], None]


def start_lab(settings: LabSettings, clock: Clock) -> LabRun:
    """The lab world at the clock's now, with the faults scheduled before now in it.

    Raises:
        ConfigError: a `lab.faults` entry names an unknown fault or a wrong target.
    """
    schedule = [
        ScheduledFault(f.fault, f.target, dict(f.params), timedelta(seconds=f.at_s))
        for f in settings.faults
    ]
    route = Route(
        group_wait=timedelta(seconds=settings.group_wait_s),
        group_interval=timedelta(seconds=settings.group_interval_s),
        repeat_interval=timedelta(seconds=settings.repeat_interval_s),
    )
    try:
        return LabRun.start(
            seed=settings.seed,
            now=clock.now(),
            schedule=schedule,
            speed=settings.speed,
            route=route,
        )
    except InvalidRequest as e:
        raise ConfigError(f"lab.{e.message}") from e


def lab_webhook_path(container: Container, name: str) -> str:
    """The webhook path of the lab's Alertmanager integration, with a fresh token.

    The integration is created on the first run; later runs rotate its token (only its hash
    is stored, so a token cannot be read back), which also retires the last run's URL.
    """
    with container.sessions() as session:
        now = container.clock.now()
        existing = next((i for i in list_integrations(session) if i.name == name), None)
        if existing is None:
            integration, token = create_integration(
                session,
                IntegrationCreate(name=name, source=Source.ALERTMANAGER),
                now=now,
                actor=ACTOR,
            )
        elif existing.source != Source.ALERTMANAGER.value:
            raise ConfigError(
                f"lab.integration: {name!r} is a {existing.source} integration; the lab needs "
                "an alertmanager one (choose another name)"
            )
        else:
            integration, token = rotate_token(session, existing.id, now=now, actor=ACTOR)
        session.commit()
        return f"/api/v1/integrations/{token}/{integration.source}"


def local_url(host: str, port: int) -> str:
    """The URL the lab posts to: the API's own address (loopback when it listens on all)."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def schedule_lines(run: LabRun) -> list[str]:
    """What the lab holds and has coming, one line each, for the demo's banner."""
    lines = [f"seed {run.world.seed}, Kubernetes cluster {LAB_CLUSTER!r}, speed x{run.speed:g}"]
    for record in run.world.faults:
        lines.append(f"{record.name} on {_target_text(record.target)} (already in progress)")
    for fault in run.pending:
        when = f"in {fault.at.total_seconds() / run.speed:.0f} s"
        lines.append(f"{fault.name} on {_target_text(fault.target)} {when}")
    return lines


def _target_text(target: dict[str, str] | None) -> str:
    if not target:
        return "its default target"
    return ", ".join(f"{k}={v}" for k, v in target.items())


def http_poster(base_url: str, path: str, *, timeout_s: float = 10.0) -> Post:
    """Posts a body to the API; raises on a transport error or an answer that is not 2xx."""
    client = httpx2.Client(base_url=base_url, timeout=timeout_s)

    def post(body: dict[str, Any]) -> None:
        response = client.post(path, json=body)
        if response.status_code >= 300:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")

    return post


class LabDriver:
    """Steps the lab every `tick_s` seconds in a thread and delivers what it sends."""

    def __init__(self, run: LabRun, post: Post, clock: Clock, *, tick_s: float) -> None:
        """Drive `run` on `clock`, delivering bodies through `post`."""
        self.run = run
        self._post = post
        self._clock = clock
        self._tick_s = tick_s
        self._outbox: deque[dict[str, Any]] = deque()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def undelivered(self) -> int:
        """Bodies waiting to be delivered."""
        return len(self._outbox)

    def tick(self) -> None:
        """One step: move the lab to now, then deliver every body in order, until one fails."""
        injected, bodies = self.run.step(self._clock.now())
        for fault in injected:
            log.info("lab.fault", fault=fault.name, target=fault.target, at=fault.at.isoformat())
        self._outbox.extend(bodies)
        while self._outbox:
            body = self._outbox[0]
            try:
                self._post(body)
            except (httpx2.HTTPError, RuntimeError) as e:
                log.warning("lab.delivery_failed", error=str(e), waiting=len(self._outbox))
                return
            self._outbox.popleft()
            log.info(
                "lab.alerts_sent",
                group=body["groupKey"],
                status=body["status"],
                alerts=len(body["alerts"]),
            )

    def _loop(self) -> None:
        while not self._stop.wait(self._tick_s):
            try:
                self.tick()
            except Exception:  # the lab must not die with one bad step; say so and go on
                log.exception("lab.step_failed")

    def start(self) -> None:
        """Start stepping in a daemon thread."""
        self._thread = threading.Thread(target=self._loop, name="lab-driver", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop stepping (waits for a step in progress)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
