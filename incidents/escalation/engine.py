"""The escalation engine: given a policy snapshot, the state, `now` and the facts, the next step.

Pure: no session, no clock, no I/O. The executor (`service.py`) looks up the
facts a step needs at the time it runs (who is on call, who is in a team,
whose turn it is), calls `next_step`, and carries out the actions in the same
transaction that stores the new state.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from incidents.alerts.schema import Severity
from incidents.escalation.policy import (
    NOTIFYING,
    AutoResolve,
    Condition,
    NotifyChannel,
    NotifySchedule,
    NotifyTeam,
    NotifyUsers,
    PolicySpec,
    Repeat,
    RoundRobin,
    Step,
    Wait,
    urgency_of,
)

Status = Literal["active", "acknowledged", "held", "done"]


class EscalationState(BaseModel):
    """Where an incident's escalation stands."""

    model_config = ConfigDict(frozen=True)

    status: Status = "active"
    """`active`: steps run when due; `acknowledged`: waiting for the ack timeout;
    `held`: low urgency, not escalating; `done`: finished or stopped."""
    step_index: int = 0
    loops: int = 0
    """How many times a repeat step has sent the policy back to its start."""
    epoch: int = 0
    """How many times escalation restarted (ack timeout, reopen): pages of each run are distinct."""
    next_step_at: datetime | None = None


@dataclass(frozen=True)
class Page:
    """Page a user (through the user's notification rules)."""

    user_id: uuid.UUID
    step: int
    reason: str


@dataclass(frozen=True)
class Post:
    """Post to a notification channel."""

    channel_id: uuid.UUID
    step: int


@dataclass(frozen=True)
class Note:
    """A timeline entry explaining what the escalation did or skipped."""

    text: str


@dataclass(frozen=True)
class ResolveIncident:
    """Resolve the incident (an auto-resolve step)."""


@dataclass(frozen=True)
class Unacknowledge:
    """Revert the incident to triggered (the acknowledgement timed out)."""


Action = Page | Post | Note | ResolveIncident | Unacknowledge


@dataclass(frozen=True)
class Facts:
    """What the executor looked up for this tick."""

    severity: Severity
    on_call: Mapping[uuid.UUID, tuple[uuid.UUID, ...]] = field(default_factory=dict)
    """Schedule id → who is on call now."""
    team_members: Mapping[uuid.UUID, tuple[uuid.UUID, ...]] = field(default_factory=dict)
    round_robin: Mapping[int, int] = field(default_factory=dict)
    """Step index → position of the next user in that round-robin step's list."""


@dataclass(frozen=True)
class StepResult:
    """What to do now, the state to store, and the round-robin positions to remember."""

    actions: tuple[Action, ...]
    state: EscalationState
    round_robin: Mapping[int, int] = field(default_factory=dict)


def start(now: datetime, *, epoch: int = 0) -> EscalationState:
    """The state of a new (or restarted) escalation: the first step is due now."""
    return EscalationState(status="active", step_index=0, loops=0, epoch=epoch, next_step_at=now)


def acknowledged(policy: PolicySpec, state: EscalationState, now: datetime) -> EscalationState:
    """Acknowledgement stops paging; with an ack timeout, escalation resumes if it lapses."""
    if policy.ack_timeout_minutes is None:
        return stopped(state)
    due = now + timedelta(minutes=policy.ack_timeout_minutes)
    return EscalationState(status="acknowledged", epoch=state.epoch, next_step_at=due)


def stopped(state: EscalationState) -> EscalationState:
    """Resolution (or anything else final) stops escalation."""
    return EscalationState(status="done", epoch=state.epoch)


def next_step(
    policy: PolicySpec, state: EscalationState, now: datetime, facts: Facts
) -> StepResult:
    """Run the due steps up to the next wait (or the end) and return what they do."""
    actions: list[Action] = []
    if state.status == "acknowledged":
        actions += [
            Unacknowledge(),
            Note(
                f"not resolved {policy.ack_timeout_minutes} min after acknowledgement: "
                "escalating again"
            ),
        ]
        state = start(now, epoch=state.epoch + 1)
    if state.status != "active":
        return StepResult(tuple(actions), state)
    run = _Run(policy, facts, now)
    return run.execute(state, actions)


class _Run:
    def __init__(self, policy: PolicySpec, facts: Facts, now: datetime) -> None:
        self.policy, self.facts, self.now = policy, facts, now
        self.low_urgency = urgency_of(facts.severity) == "low" and not policy.escalate_low_urgency
        self.round_robin: dict[int, int] = {}

    def execute(self, state: EscalationState, actions: list[Action]) -> StepResult:
        index, loops = state.step_index, state.loops
        budget = len(self.policy.steps) * 10 + 10  # a repeat is bounded; this only guards bugs
        while index < len(self.policy.steps) and budget > 0:
            budget -= 1
            step = self.policy.steps[index]
            if not _applies(step.when, self.facts.severity, self.now):
                actions.append(
                    Note(f"step {index + 1} ({step.type}) skipped: its condition does not hold")
                )
                index += 1
                continue
            if isinstance(step, Wait):
                due = self.now + timedelta(minutes=step.minutes)
                return self._result(
                    actions,
                    EscalationState(
                        step_index=index + 1, loops=loops, epoch=state.epoch, next_step_at=due
                    ),
                )
            if isinstance(step, Repeat):
                if loops < step.times:
                    loops += 1
                    actions.append(
                        Note(f"repeating the policy from the start ({loops} of {step.times})")
                    )
                    index = 0
                else:
                    index += 1
                continue
            if isinstance(step, AutoResolve):
                actions += [Note("resolved by the escalation policy"), ResolveIncident()]
                return self._result(actions, stopped(state))
            actions += self._notify(index, step)
            index += 1
            if self.low_urgency and isinstance(step, NOTIFYING):
                actions.append(Note("low urgency: paged once, not escalating further"))
                held = EscalationState(
                    status="held", step_index=index, loops=loops, epoch=state.epoch
                )
                return self._result(actions, held)
        actions.append(Note("escalation policy finished"))
        return self._result(actions, stopped(state))

    def _result(self, actions: list[Action], state: EscalationState) -> StepResult:
        return StepResult(tuple(actions), state, self.round_robin)

    def _notify(self, index: int, step: Step) -> list[Action]:
        label = f"step {index + 1}"
        if isinstance(step, NotifyUsers):
            return [Page(u, index, f"{label}: notify users") for u in step.users]
        if isinstance(step, NotifyTeam):
            members = self.facts.team_members.get(step.team_id, ())
            if not members:
                return [Note(f"{label}: team {step.team_id} has no members; nobody paged")]
            return [Page(u, index, f"{label}: notify team") for u in members]
        if isinstance(step, RoundRobin):
            position = self.round_robin.get(index, self.facts.round_robin.get(index, 0)) % len(
                step.users
            )
            self.round_robin[index] = (position + 1) % len(step.users)
            return [Page(step.users[position], index, f"{label}: round robin, turn {position + 1}")]
        if isinstance(step, NotifyChannel):
            return [Post(step.channel_id, index)]
        assert isinstance(step, NotifySchedule)
        return self._schedule(index, step)

    def _schedule(self, index: int, step: NotifySchedule) -> list[Action]:
        label = f"step {index + 1}"
        on_call = self.facts.on_call.get(step.schedule_id, ())
        if on_call:
            return [
                Page(u, index, f"{label}: on call on schedule {step.schedule_id}") for u in on_call
            ]
        if step.if_nobody == "fallback":
            note = Note(
                f"{label}: nobody on call on schedule {step.schedule_id}; paging the fallback"
            )
            return [note, *(Page(u, index, f"{label}: fallback") for u in step.fallback_users)]
        return [Note(f"{label}: nobody on call on schedule {step.schedule_id}; skipped")]


def _applies(condition: Condition | None, severity: Severity, now: datetime) -> bool:
    if condition is None:
        return True
    if condition.severities and severity not in condition.severities:
        return False
    if condition.urgency is not None and urgency_of(severity) != condition.urgency:
        return False
    return condition.window is None or condition.window.contains(now)
