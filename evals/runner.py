"""Running scenarios: a fresh lab each, the alert or question through the product, scored.

    results = run_suite(load_scenarios(folder), estate, repeat=3)

The product comes in as an `Estate` (`evals/outcome.py`), wired by the composition root; the
runner builds each scenario's lab, turns its `alert` into webhook deliveries (the payload as
given, or the alerts the lab's monitoring raises), hands them over, and scores what comes back.
A scenario that cannot run (a fault's target is not in the lab, the product raised) fails with
the reason; the suite always finishes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.errors import PixelViewError
from core.logs import get_logger
from evals.loader import LoadedScenario
from evals.outcome import Delivery, Estate, RunOutcome
from evals.scenario import Scenario
from evals.scoring import Score, score
from lab.alerting.alertmanager import Route
from lab.demo import LabRun, ScheduledFault
from lab.world.world import LAB_EPOCH

log = get_logger(__name__)

ALERT_AT = LAB_EPOCH
"""Lab time 0 of every scenario: when the alert arrives (a fault `at: -30m` began before)."""
LAB_STEP = timedelta(seconds=30)
"""How far the lab moves between looks at its monitoring, for `from_lab` alerts."""
LAB_WAIT = timedelta(minutes=30)
"""How long after its last fault the lab is watched for an alert before the scenario fails."""


@dataclass(frozen=True)
class Attempt:
    """One run of one scenario: what the product did and how it scored."""

    scenario: Scenario
    attempt: int
    outcome: RunOutcome
    scores: list[Score]

    @property
    def passed(self) -> bool:
        """Every applicable score passed (and the run produced something to score)."""
        return self.outcome.error is None and all(s.passed for s in self.scores)

    @property
    def failures(self) -> list[str]:
        """Why it did not pass, one line per failed score (and the run's error first)."""
        lines = [f"error: {self.outcome.error}"] if self.outcome.error else []
        return lines + [f"{s.name}: {s.reason}" for s in self.scores if not s.passed]


def build_lab(scenario: Scenario) -> LabRun:
    """The scenario's world at lab time 0, its faults from before then already in it.

    Raises:
        InvalidRequest: a fault's target or parameters do not fit the lab.
    """
    schedule = [
        ScheduledFault(step.fault, step.target, dict(step.params), step.at)
        for step in scenario.lab.faults
    ]
    return LabRun.start(
        seed=scenario.lab.seed,
        now=ALERT_AT,
        schedule=schedule,
        route=Route(group_wait=timedelta(0)),
    )


def deliveries(loaded: LoadedScenario, lab: LabRun) -> tuple[datetime, list[Delivery]]:
    """When the alert arrives and its webhook bodies.

    A payload arrives at lab time 0. `from_lab` watches the lab's monitoring from lab time 0
    until it notifies (up to `LAB_WAIT` after the last fault) and takes that notification's
    bodies; a lab that stays quiet is an `InvalidRequest` naming the scenario's faults.
    """
    alert = loaded.scenario.alert
    if alert is None:
        return ALERT_AT, []
    if not alert.from_lab:
        lab.step(ALERT_AT)
        return ALERT_AT, [Delivery(source=alert.source, body=loaded.payload)]
    last = max([step.at for step in loaded.scenario.lab.faults] + [timedelta(0)])
    now = ALERT_AT
    while now <= ALERT_AT + last + LAB_WAIT:
        _, bodies = lab.step(now)
        if bodies:
            return now, [Delivery(source="alertmanager", body=b) for b in bodies]
        now += LAB_STEP
    faults = ", ".join(s.fault for s in loaded.scenario.lab.faults) or "no fault"
    raise PixelViewError(
        f"from_lab: the lab's monitoring raised no alert within {LAB_WAIT} of {faults}"
    )


def run_scenario(loaded: LoadedScenario, estate: Estate, attempt: int = 1) -> Attempt:
    """Run one scenario once on a fresh lab; never raises for the product's failures."""
    scenario = loaded.scenario
    key = f"{scenario.id}/{attempt}"
    started = time.perf_counter()
    try:
        lab = build_lab(scenario)
        if scenario.kind == "chat":
            outcome = estate.ask(lab, scenario.question or "", key)
        else:
            at, bodies = deliveries(loaded, lab)
            outcome = estate.triage(lab, bodies, at, key)
    except PixelViewError as e:
        outcome = RunOutcome(error=e.message)
    except Exception as e:
        log.exception("eval.scenario_raised", scenario=scenario.id)
        outcome = RunOutcome(error=f"{type(e).__name__}: {e}")
    if not outcome.wall_s:
        outcome = outcome.model_copy(update={"wall_s": time.perf_counter() - started})
    return Attempt(scenario, attempt, outcome, score(scenario, outcome))


def run_suite(
    scenarios: Sequence[LoadedScenario],
    estate: Estate,
    *,
    repeat: int = 1,
    jobs: int = 1,
    progress: Callable[[Attempt], None] | None = None,
) -> list[Attempt]:
    """Every scenario `repeat` times, `jobs` at a time; attempts in scenario then attempt order.

    Parallel runs share nothing but the estate, which must allow it (each run of the
    composition root's estate has its own database, lab and container).
    """
    work = [(loaded, n) for loaded in scenarios for n in range(1, repeat + 1)]

    def one(item: tuple[LoadedScenario, int]) -> Attempt:
        done = run_scenario(item[0], estate, item[1])
        if progress is not None:
            progress(done)
        return done

    if jobs <= 1:
        return [one(item) for item in work]
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="eval") as pool:
        return list(pool.map(one, work))
