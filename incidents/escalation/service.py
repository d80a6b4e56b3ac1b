"""The escalation executor: database-driven, no in-memory timers.

Each escalating incident has an `escalations` row holding its policy snapshot,
its step and `next_step_at`. `Escalator.tick` claims due rows with
`FOR UPDATE SKIP LOCKED`, locks their incidents in one statement, asks the pure
engine what to do, writes the pages to the outbox and the new state, and commits
them together, so a step runs once however many workers there are and whenever
one of them dies. A page waits for its whole tick to commit, so ticks are small.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from core.clock import Clock
from core.db.engine import SessionFactory
from core.logs import get_logger
from incidents.alerts.schema import Severity
from incidents.audit import timeline
from incidents.escalation import engine
from incidents.escalation.engine import (
    EscalationState,
    Facts,
    Note,
    Page,
    Post,
    ResolveIncident,
    Unacknowledge,
)
from incidents.escalation.policies import route
from incidents.escalation.policy import NotifySchedule, NotifyTeam, PolicySpec, RoundRobin
from incidents.lifecycle import Action
from incidents.models.escalation import Escalation, RoundRobinPosition, RoutingRule
from incidents.models.incident import Incident, TimelineKind
from incidents.models.notification import NotificationChannel
from incidents.models.people import User
from incidents.notifications.outbox import (
    RateLimit,
    cancel_pending_pages,
    page_user,
    post_channel,
    update_channels,
)
from incidents.oncall.store import who_is_on_call
from incidents.people import team_members
from incidents.transitions import apply_transition

log = get_logger(__name__)
ACTOR = "escalation"
RETRY_AFTER_ERROR = timedelta(minutes=1)


def begin(
    session: Session, incident: Incident, now: datetime, *, rules: list[RoutingRule] | None = None
) -> Escalation | None:
    """Snapshot the routed policy into a new incident and make its first step due now.

    `rules`: the routing rules, if the caller read them already (ingestion: once per delivery).
    """
    policy = route(session, incident, rules)
    assert incident.id is not None
    if policy is None:
        timeline(
            session,
            incident_id=incident.id,
            now=now,
            actor=ACTOR,
            kind=TimelineKind.ESCALATION,
            summary="no routing rule matches: nobody is paged",
        )
        return None
    state = engine.start(now)
    row = Escalation(
        incident_id=incident.id,
        policy_id=policy.id,
        policy_version=policy.version,
        snapshot=policy.spec,
        status=state.status,
        step_index=0,
        loops=0,
        epoch=0,
        next_step_at=now,
        started_at=now,
        updated_at=now,
    )
    session.add(row)
    timeline(
        session,
        incident_id=incident.id,
        now=now,
        actor=ACTOR,
        kind=TimelineKind.ESCALATION,
        summary=f"escalating with policy {policy.name!r} (version {policy.version})",
        data={"policy_id": str(policy.id), "version": policy.version},
    )
    return row


def on_status_change(session: Session, incident: Incident, action: Action, now: datetime) -> None:
    """Keep the escalation in step with a status change made by a person or a sender."""
    assert incident.id is not None
    row = session.get(Escalation, incident.id, with_for_update=True)
    if action in (Action.REOPEN, Action.UNACKNOWLEDGE):
        if row is None:
            begin(session, incident, now)
            return
        _store(row, engine.start(now, epoch=row.epoch + 1), now)
        return
    if row is None:
        return
    if action in (Action.ACKNOWLEDGE, Action.START):
        _store(row, engine.acknowledged(_spec(row), _state(row), now), now)
        if action == Action.ACKNOWLEDGE:
            update_channels(session, incident, "acknowledge", now)
    elif action == Action.RESOLVE:
        _store(row, engine.stopped(_state(row)), now)
        update_channels(session, incident, "resolve", now)
    cancel_pending_pages(session, incident.id, now)


class Escalator:
    """Runs due escalation steps; one instance per worker process (threads may share it)."""

    def __init__(
        self, sessions: SessionFactory, clock: Clock, *, rate_limit: RateLimit, batch: int = 10
    ) -> None:
        """Work through `sessions` with time from `clock`, claiming up to `batch` rows per tick.

        The pages of a tick go out once all of its steps have committed: a small
        `batch` keeps the first page from waiting on many others.
        """
        self._sessions, self._clock, self._limit, self._batch = sessions, clock, rate_limit, batch

    def tick(self) -> int:
        """Run due steps, up to a batch of them; return how many escalations moved."""
        now = self._clock.now()
        with self._sessions() as session:
            rows = list(
                session.scalars(
                    select(Escalation)
                    .where(
                        col(Escalation.status).in_(["active", "acknowledged"]),
                        col(Escalation.next_step_at) <= now,
                    )
                    .order_by(col(Escalation.next_step_at))
                    .limit(self._batch)
                    .with_for_update(skip_locked=True)
                )
            )
            incidents = _lock_incidents(session, [row.incident_id for row in rows])
            moved = 0
            for row in rows:
                incident = incidents.get(row.incident_id)
                if incident is None:
                    continue  # locked by a status change right now: its next tick runs it
                try:
                    with session.begin_nested():
                        self._step(session, row, incident, now)
                except Exception:  # one broken incident must not stop the others
                    log.exception("escalation.step_failed", incident_id=row.incident_id)
                    row.next_step_at = now + RETRY_AFTER_ERROR
                moved += 1
            session.commit()
        return moved

    def _step(self, session: Session, row: Escalation, incident: Incident, now: datetime) -> None:
        assert incident.id is not None
        spec, state = _spec(row), _state(row)
        has_round_robin = any(isinstance(step, RoundRobin) for step in spec.steps)
        positions = _round_robin(session, row.policy_id) if has_round_robin else {}
        facts = self._facts(session, spec, incident, positions, now)
        result = engine.next_step(spec, state, now, facts)
        key = f"esc:{incident.id}:{result.state.epoch}"
        for action in result.actions:
            if isinstance(action, Page):
                page_user(
                    session,
                    incident=incident,
                    user_id=action.user_id,
                    reason=action.reason,
                    key=f"{key}:{result.state.loops}:{action.step}",
                    now=now,
                    limit=self._limit,
                )
                name = _user_name(session, action.user_id)
                timeline(
                    session,
                    incident_id=incident.id,
                    now=now,
                    actor=ACTOR,
                    kind=TimelineKind.ESCALATION,
                    summary=f"paging {name} ({action.reason})",
                    data={"user_id": str(action.user_id)},
                )
            elif isinstance(action, Post):
                channel = session.get(NotificationChannel, action.channel_id)
                if channel is None:
                    note = f"step {action.step + 1}: channel {action.channel_id} no longer exists"
                    timeline(
                        session,
                        incident_id=incident.id,
                        now=now,
                        actor=ACTOR,
                        kind=TimelineKind.ESCALATION,
                        summary=note,
                    )
                    continue
                post_channel(
                    session,
                    incident=incident,
                    channel=channel,
                    event="trigger",
                    key=f"{key}:{result.state.loops}:{action.step}",
                    now=now,
                )
            elif isinstance(action, Note):
                timeline(
                    session,
                    incident_id=incident.id,
                    now=now,
                    actor=ACTOR,
                    kind=TimelineKind.ESCALATION,
                    summary=action.text,
                )
            elif isinstance(action, ResolveIncident | Unacknowledge):
                self._set_status(session, incident, action, now)
        _store(row, result.state, now)
        _save_round_robin(session, row.policy_id, positions, result.round_robin)

    def _facts(
        self,
        session: Session,
        spec: PolicySpec,
        incident: Incident,
        positions: dict[int, int],
        now: datetime,
    ) -> Facts:
        on_call = {
            step.schedule_id: who_is_on_call(session, step.schedule_id, now)
            for step in spec.steps
            if isinstance(step, NotifySchedule)
        }
        teams = {
            step.team_id: tuple(u.id for u in team_members(session, step.team_id) if u.active)
            for step in spec.steps
            if isinstance(step, NotifyTeam)
        }
        return Facts(
            severity=Severity(incident.severity),
            on_call=on_call,
            team_members=teams,
            round_robin=positions,
        )

    @staticmethod
    def _set_status(
        session: Session, incident: Incident, action: ResolveIncident | Unacknowledge, now: datetime
    ) -> None:
        assert incident.id is not None
        verb = Action.RESOLVE if isinstance(action, ResolveIncident) else Action.UNACKNOWLEDGE
        apply_transition(session, incident, verb, now=now, actor=ACTOR)
        if verb == Action.RESOLVE:
            cancel_pending_pages(session, incident.id, now)
            update_channels(session, incident, "resolve", now)


def _spec(row: Escalation) -> PolicySpec:
    return PolicySpec.model_validate(row.snapshot)


def _state(row: Escalation) -> EscalationState:
    return EscalationState.model_validate(
        {
            "status": row.status,
            "step_index": row.step_index,
            "loops": row.loops,
            "epoch": row.epoch,
            "next_step_at": row.next_step_at,
        }
    )


def _store(row: Escalation, state: EscalationState, now: datetime) -> None:
    row.status, row.step_index, row.loops, row.epoch = (
        state.status,
        state.step_index,
        state.loops,
        state.epoch,
    )
    row.next_step_at = state.next_step_at
    row.updated_at = now


def _lock_incidents(session: Session, ids: list[int]) -> dict[int, Incident]:
    """Lock the tick's incidents in one statement, in id order; skip those locked already.

    An incident locked by a person's acknowledgement or an alert arriving is left
    for a later tick rather than waited for (that transaction may be waiting for
    this tick's escalation row: waiting here could deadlock).
    """
    if not ids:
        return {}
    rows = session.scalars(
        select(Incident)
        .where(col(Incident.id).in_(sorted(ids)))
        .order_by(col(Incident.id))
        .with_for_update(skip_locked=True)
    )
    return {row.id: row for row in rows if row.id is not None}


def _round_robin(session: Session, policy_id: uuid.UUID | None) -> dict[int, int]:
    if policy_id is None:
        return {}
    rows = session.scalars(
        select(RoundRobinPosition)
        .where(col(RoundRobinPosition.policy_id) == policy_id)
        .with_for_update()
    )
    return {r.step_index: r.position for r in rows}


def _save_round_robin(
    session: Session, policy_id: uuid.UUID | None, before: dict[int, int], after: Mapping[int, int]
) -> None:
    if policy_id is None:
        return
    for step_index, position in after.items():
        if step_index in before:
            row = session.scalars(
                select(RoundRobinPosition).where(
                    col(RoundRobinPosition.policy_id) == policy_id,
                    col(RoundRobinPosition.step_index) == step_index,
                )
            ).one()
            row.position = position
        else:
            session.add(
                RoundRobinPosition(policy_id=policy_id, step_index=step_index, position=position)
            )


def _user_name(session: Session, user_id: uuid.UUID) -> str:
    user = session.get(User, user_id)
    return user.name if user is not None else str(user_id)
