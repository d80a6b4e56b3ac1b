"""The lab as the demo runs it: a world on a clock tied to the real one, faults on a schedule.

    run = LabRun.start(seed=7, now=clock.now(), schedule=[ScheduledFault("k8s.oom_kill")])
    bodies = run.step(clock.now())      # every few seconds: the webhook bodies now due

The world's epoch is the instant the run starts, so lab time and real time agree (at speed 1)
and the alerts' `startsAt` read as real times. A fault scheduled before the start (`at` < 0)
is injected into a world built that much earlier, which then catches up to the start: its
alerts fire at once, as if the demo had been watching the estate for a while. Later faults
are injected when lab time reaches them. `step` returns the Alertmanager webhook bodies the
lab's monitoring sends at that instant; posting them is the caller's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.clock import ensure_utc
from core.errors import InvalidRequest
from lab.alerting.alertmanager import AlertmanagerNotifier, Route
from lab.faults.catalog import FAULTS, apply_fault
from lab.kube.port import LabKubernetes
from lab.world.alerts import firing_alerts
from lab.world.metrics_port import WorldMetrics
from lab.world.world import MAX_LEAD, FaultRecord, World


@dataclass(frozen=True)
class ScheduledFault:
    """A catalog fault, its target (None: the fault's default) and parameters, and when."""

    name: str
    target: dict[str, str] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    at: timedelta = timedelta(0)
    """From the run's start; negative: the fault began before it."""


@dataclass
class LabRun:
    """A world, the faults still to come, and the lab's Alertmanager."""

    world: World
    started: datetime
    """The real instant lab time 0 (the world's epoch) stands for."""
    speed: float
    pending: list[ScheduledFault]
    """Faults not injected yet, in order of `at`."""
    notifier: AlertmanagerNotifier

    @classmethod
    def start(
        cls,
        *,
        seed: int,
        now: datetime,
        schedule: Sequence[ScheduledFault] = (),
        speed: float = 1.0,
        route: Route | None = None,
    ) -> LabRun:
        """Build the world of `seed` at `now`, with the faults scheduled before `now` in it.

        Raises:
            InvalidRequest: a fault is unknown, hits no such target, or starts too early.
        """
        if speed <= 0:
            raise InvalidRequest(f"lab speed must be above 0, not {speed}")
        for index, fault in enumerate(schedule):
            if fault.name not in FAULTS:
                known = ", ".join(sorted(FAULTS))
                raise InvalidRequest(f"faults[{index}]: unknown fault {fault.name!r} ({known})")
            if -fault.at > MAX_LEAD:
                raise InvalidRequest(
                    f"faults[{index}] ({fault.name}): at_s {fault.at.total_seconds():g} is "
                    f"earlier than the lab reaches back (-{MAX_LEAD.total_seconds():g})"
                )
        epoch = ensure_utc(now).replace(microsecond=0)
        ordered = sorted(schedule, key=lambda f: f.at)
        lead = max([-f.at for f in ordered] + [timedelta(0)])
        world = World.build(seed, epoch=epoch, start=epoch - lead)
        run = cls(
            world=world,
            started=epoch,
            speed=speed,
            pending=ordered,
            notifier=AlertmanagerNotifier(route),
        )
        run.catch_up(epoch)
        return run

    def lab_time(self, now: datetime) -> datetime:
        """The lab instant the real instant `now` stands for."""
        return self.started + (ensure_utc(now) - self.started) * self.speed

    def kubernetes(self) -> LabKubernetes:
        """The lab cluster's Kubernetes port (safe to use from other threads)."""
        return LabKubernetes(self.world.kube)

    def metrics(self) -> WorldMetrics:
        """The lab's Prometheus (safe to use from other threads)."""
        return WorldMetrics(self.world)

    def catch_up(self, until: datetime) -> list[FaultRecord]:
        """Advance the world to `until`, injecting each fault when its time comes."""
        injected = []
        with self.world.kube.lock:
            while self.pending and self.started + self.pending[0].at <= until:
                fault = self.pending.pop(0)
                self._advance_to(self.started + fault.at)
                injected.append(apply_fault(self.world, fault.name, fault.target, fault.params))
            self._advance_to(until)
        return injected

    def step(self, now: datetime) -> tuple[list[FaultRecord], list[dict[str, Any]]]:
        """Move the lab to real instant `now`: the faults injected and the bodies now due."""
        at = self.lab_time(now)
        injected = self.catch_up(at)
        with self.world.kube.lock:
            firing = firing_alerts(self.world)
        return injected, self.notifier.due(firing, at)

    def _advance_to(self, at: datetime) -> None:
        if at > self.world.now():
            self.world.advance(at - self.world.now())
