"""`ModelInvestigator`: the triage graph's investigation by a supervisor and its specialists.

The supervisor starts from the incident, its alerts and the analyzers' draft; it asks its
specialists (each a tool loop of its own over the run's `ToolDeps`) and concludes with
`submit_report`, which is checked outside the model. Whatever the model does, the report
comes from here:

- an accepted submission, less any forbidden action (flag `forbidden_action_dropped`); but an
  accepted `undetermined` submission does not replace a draft that names a cause (the
  analyzers are the floor: the draft stands, with the model's words in its summary);
- else, when the loop ended on a guard (steps, stall, budget), the analyzers' draft when it
  names a cause or found the named scope healthy (`no_fault`), or an undetermined report;
  the summary says which and why;
- flagged `untrusted_instruction` when any untrusted text of the run (alerts, tool outputs)
  tried to instruct the agent, and `budget_exceeded` when the run reached a limit.

One investigator serves one run: its meter (and the run's time budget) starts when it is made.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from agents.budget import FREE, Budget, BudgetExceeded, Prices, RunMeter
from agents.evidence import CallRecord
from agents.loop import LoopLimits, LoopOutcome, ToolLoop
from agents.prompts import system
from agents.specialists import SPECIALISTS, SpecialistSpec
from agents.supervisor.briefing import alert_texts, briefing
from agents.supervisor.delegate import STOPPED, AskSpecialist
from agents.supervisor.submit import SUBMIT_REPORT, Review, SubmitReport
from agents.triage.deterministic import Analyzed
from agents.triage.graph import ModelSpend
from agents.triage.guards import FORBIDDEN_ACTION, UNTRUSTED_INSTRUCTION
from incidents.models.incident import Incident
from incidents.triage_report import TriageReport
from tools.context import ToolDeps
from tools.result import render_data

ALERTS_READ = 20
"""Alerts of the incident shown to the supervisor (the alerting specialist can read more)."""
SUMMARY_CHARS = 8000

BUDGET_EXCEEDED = "budget_exceeded"
"""Report flag: the run reached a limit of its budget (tool calls, tokens or seconds)."""
MAX_STEPS = "max_steps_reached"
"""Report flag: the supervisor used all its steps without an accepted report."""
LOOP_DETECTED = "loop_detected"
"""Report flag: the supervisor stopped making progress (repeated or refused calls)."""
ENDING_FLAGS = {"max_steps": MAX_STEPS, "stalled": LOOP_DETECTED, "budget": BUDGET_EXCEEDED}
"""The report flag of each way a loop can stop without concluding."""


@dataclass(frozen=True, kw_only=True)
class TeamLimits:
    """Guards of the supervisor's loop and of each specialist's."""

    supervisor: LoopLimits = field(default_factory=lambda: LoopLimits(max_steps=8))
    specialist: LoopLimits = field(default_factory=lambda: LoopLimits(max_steps=10))


class ModelInvestigator:
    """The `Investigator` of the triage graph that uses a chat model (see the module)."""

    def __init__(
        self,
        model: BaseChatModel,
        *,
        budget: Budget,
        prices: Prices = FREE,
        mode: str,
        specialists: Sequence[SpecialistSpec] = SPECIALISTS,
        limits: TeamLimits = TeamLimits(),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Investigate with `model` (supervisor and specialists alike) within `budget`.

        Args:
            model: A chat model that can bind tools.
            budget: The run's tool calls, tokens and seconds.
            prices: Token prices, for the run's cost.
            mode: `provider:model`, as the report records it.
            specialists: Whom the supervisor can ask.
            limits: Steps and stalls of each loop.
            monotonic: The budget's clock (seconds).
        """
        self.mode = mode
        self._model, self._specialists, self._limits = model, tuple(specialists), limits
        self._meter = RunMeter(budget, prices=prices, monotonic=monotonic)

    def spent(self) -> ModelSpend:
        """The run's model calls, tokens and cost so far."""
        used = self._meter.usage()
        return ModelSpend(
            llm_calls=used.llm_calls,
            tokens_in=used.input_tokens,
            tokens_out=used.output_tokens,
            cost=used.cost,
        )

    async def investigate(
        self, *, deps: ToolDeps, incident: Incident, analyzed: list[Analyzed], draft: TriageReport
    ) -> TriageReport:
        """A report the evidence of this run's calls supports, or the draft (see the module)."""
        record = CallRecord()
        for a in analyzed:
            record.keep(a.call_id, render_data(a.findings), a.findings)
            record.scan(f"call {a.call_id}", [render_data(a.findings)])
        alerts = await deps.incidents.alerts(incident.id or 0, limit=ALERTS_READ)
        record.scan(f"alerts of incident {incident.id}", [alert_texts(incident, alerts)])
        context = f"You are helping triage incident #{incident.id} ({incident.service or '-'})."
        asks = [
            AskSpecialist(
                spec,
                model=self._model,
                deps=deps,
                record=record,
                meter=self._meter,
                limits=self._limits.specialist,
                context=context,
            )
            for spec in self._specialists
        ]
        submit = SubmitReport(log=deps.recorder, record=record, mode=self.mode)
        loop = ToolLoop(
            self._model,
            [*asks, submit],
            meter=self._meter,
            limits=self._limits.supervisor,
            final_tool=SUBMIT_REPORT,
        )
        task = briefing(
            incident=incident,
            alerts=alerts,
            analyzed=analyzed,
            draft=draft,
            specialists=self._specialists,
        )
        outcome = await loop.run([SystemMessage(system.SUPERVISOR), HumanMessage(task)])
        budget = outcome.budget or next((a.budget for a in asks if a.budget), None)
        return conclude(outcome, submit.accepted, draft=draft, record=record, budget=budget)


def conclude(
    outcome: LoopOutcome,
    accepted: Review | None,
    *,
    draft: TriageReport,
    record: CallRecord,
    budget: BudgetExceeded | None,
) -> TriageReport:
    """The run's report: the accepted one, else the draft or undetermined; flagged.

    `budget` is the run's limit that refused a call, in the supervisor's loop or a specialist's.
    """
    flags, notes = list(draft.flags), []
    if (
        accepted is not None
        and accepted.report is not None
        and accepted.report.status == "undetermined"
        and draft.status == "determined"
    ):
        # The analyzers are the floor: a model that cannot conclude does not erase their cause.
        report = draft
        notes.append(
            "The model could not determine a cause; this is the analyzers' report, which "
            f"its evidence supports. The model said: {accepted.report.summary}"
        )
    elif accepted is not None and accepted.report is not None:
        report = accepted.report
        if accepted.dropped:
            flags.append(FORBIDDEN_ACTION)
            names = ", ".join(sorted({a.action for a in accepted.dropped}))
            notes.append(f"Dropped proposed action(s) that triage never proposes: {names}.")
    else:
        why = STOPPED.get(outcome.ended, "ended")
        flags.append(ENDING_FLAGS.get(outcome.ended, LOOP_DETECTED))
        if draft.status in ("determined", "no_fault"):
            report = draft
            notes.append(
                f"The model's investigation {why} without a report that checks out; this is "
                "the analyzers' report."
            )
        else:
            report = TriageReport(
                status="undetermined",
                summary=f"The model's investigation {why} without a report that checks out, "
                f"and the analyzers found no cause: {draft.summary}",
                mode=draft.mode,
            )
    if budget is not None:
        flags.append(BUDGET_EXCEEDED)
        message = budget.message
        notes.append(f"{message[:1].upper()}{message[1:]}.")
    if record.planted:
        flags.append(UNTRUSTED_INSTRUCTION)
        sources = ", ".join(sorted({p.source for p in record.planted}))
        notes.append(
            f"Text from outside PixelView ({sources}) tried to instruct the agent; it was "
            "treated as data and nothing it asked for was done."
        )
    summary = " ".join([report.summary, *notes])[:SUMMARY_CHARS]
    unique = list(dict.fromkeys([*report.flags, *flags]))
    return report.model_copy(update={"summary": summary, "flags": unique})
