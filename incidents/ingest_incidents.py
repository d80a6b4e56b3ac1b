"""The incident side of a delivery: open incidents by grouping key, reopening, silences, routing.

Used by `ingest.py` inside its transaction; every row it reads for change is
locked (`FOR UPDATE`), and inserts that race a concurrent delivery lose
gracefully to the winner's row (a unique constraint, then a re-read).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from incidents import slack_posts, triage
from incidents.alerts.schema import AlertIn, Severity
from incidents.audit import TimelineBatch
from incidents.escalation import service as escalation
from incidents.escalation.policies import list_rules
from incidents.lifecycle import Action
from incidents.models.alert import Alert
from incidents.models.escalation import RoutingRule
from incidents.models.incident import Incident, IncidentStatus, TimelineKind
from incidents.models.integration import Integration
from incidents.models.silence import Silence
from incidents.models.triage import TriageTrigger
from incidents.silences import Matcher, silences_alert
from incidents.transitions import apply_transition


class IncidentSide:
    """Open incidents of one delivery's grouping keys, and what opening one entails."""

    def __init__(
        self,
        session: Session,
        integration: Integration,
        now: datetime,
        actor: str,
        entries: TimelineBatch,
        *,
        triage: bool = True,
        slack: bool = False,
    ) -> None:
        """Work inside `session`'s transaction, for `integration`, at `now`, as `actor`.

        Timeline entries go to `entries`, which is written before anything
        else (transitions, escalation) adds its own. With `triage`, an opened or
        reopened incident gets a triage run queued; with `slack`, an opened incident of an
        integration with a Slack channel gets its Slack message planned.
        """
        self.triage, self.slack = triage, slack
        self.session, self.integration, self.now, self.actor = session, integration, now, actor
        self.entries = entries
        self._incidents: dict[str, Incident] = {}
        self._silences: list[Silence] | None = None
        self._rules: list[RoutingRule] | None = None

    def prefetch(self, keys: list[str]) -> None:
        """Lock the open incidents of these grouping keys (in id order: no deadlocks)."""
        for start in range(0, len(keys), 500):
            for incident in self.session.scalars(
                select(Incident)
                .where(
                    col(Incident.integration_id) == self.integration.id,
                    col(Incident.open_group_key).in_(keys[start : start + 500]),
                )
                .order_by(col(Incident.id))
                .with_for_update()
            ):
                assert incident.open_group_key is not None
                self._incidents[incident.open_group_key] = incident

    def attach(self, key: str, alert: AlertIn) -> tuple[Incident, bool]:
        """The open incident of grouping key `key`: existing, reopened, or new."""
        for _ in range(3):
            incident = self.open_incident(key)
            if incident is not None:
                return incident, False
            reopened = self._reopen(key)
            if reopened is not None:
                return reopened, False
            incident = Incident(
                integration_id=self.integration.id,
                source=alert.source.value,
                title=alert.summary,
                status=IncidentStatus.TRIGGERED,
                severity=alert.severity.value,
                group_key=key,
                open_group_key=key,
                service=alert.labels.get("service"),
                team_id=self.integration.team_id,
                labels=dict(alert.labels),
                created_at=self.now,
                updated_at=self.now,
                last_alert_at=self.now,
            )
            if _insert(self.session, incident):
                self.entries.add(
                    _id(incident),
                    TimelineKind.OPENED,
                    f"incident opened: {alert.summary}",
                    {"group_key": key},
                )
                self._incidents[key] = incident
                if self._rules is None:
                    self._rules = list_rules(self.session)
                self.entries.write()
                escalation.begin(self.session, incident, self.now, rules=self._rules)
                if self.slack and self.integration.slack_channel:
                    slack_posts.plan_post(
                        self.session, _id(incident), self.integration.slack_channel, now=self.now
                    )
                self._queue_triage(incident)
                return incident, True
        raise RuntimeError(f"could not attach an alert to group {key!r} after 3 attempts")

    def _reopen(self, key: str) -> Incident | None:
        window = self.integration.reopen_window_s
        if window <= 0:
            return None
        recent = self.session.scalars(
            select(Incident)
            .where(
                col(Incident.integration_id) == self.integration.id,
                col(Incident.group_key) == key,
                col(Incident.status) == IncidentStatus.RESOLVED,
                col(Incident.resolved_at) >= self.now - timedelta(seconds=window),
            )
            .order_by(col(Incident.resolved_at).desc())
            .limit(1)
            .with_for_update()
        ).first()
        if recent is None:
            return None
        self.entries.write()
        try:
            with self.session.begin_nested():
                apply_transition(
                    self.session,
                    recent,
                    Action.REOPEN,
                    now=self.now,
                    actor=self.actor,
                    summary="reopened by a new firing alert",
                )
                self.session.flush()
        except IntegrityError:
            return None  # a concurrent delivery opened a new incident for the group
        escalation.on_status_change(self.session, recent, Action.REOPEN, self.now)
        self._queue_triage(recent)
        return recent

    def _queue_triage(self, incident: Incident) -> None:
        if self.triage:
            triage.request_triage(
                self.session,
                _id(incident),
                now=self.now,
                trigger=TriageTrigger.OPENED,
                actor=self.actor,
            )

    def open_incident(self, key: str) -> Incident | None:
        """The open incident of a grouping key, locked, or None."""
        cached = self._incidents.get(key)
        if cached is not None and cached.open_group_key == key:
            return cached
        found = self.session.scalars(
            select(Incident)
            .where(
                col(Incident.integration_id) == self.integration.id,
                col(Incident.open_group_key) == key,
            )
            .with_for_update()
        ).first()
        if found is not None:
            self._incidents[key] = found
        return found

    def incident(self, incident_id: int | None) -> Incident | None:
        """An incident by id, locked (None for None)."""
        return (
            None
            if incident_id is None
            else self.session.get(Incident, incident_id, with_for_update=True)
        )

    def raise_severity(self, incident: Incident, severity: Severity) -> None:
        """Raise the incident's severity to the alert's, unless a person set it."""
        if not incident.severity_pinned and severity.rank < Severity(incident.severity).rank:
            self.entries.add(
                _id(incident),
                TimelineKind.FIELD_CHANGED,
                f"severity raised to {severity.value}",
                {"field": "severity", "from": incident.severity, "to": severity.value},
            )
            incident.severity = severity.value

    def source_acknowledge(self, incident: Incident) -> None:
        """Acknowledge a triggered incident because its sender says a person did."""
        status = IncidentStatus(incident.status)
        if status != IncidentStatus.TRIGGERED:
            return
        self.entries.write()
        apply_transition(
            self.session,
            incident,
            Action.ACKNOWLEDGE,
            now=self.now,
            actor=self.actor,
            summary="acknowledged at the source",
        )
        escalation.on_status_change(self.session, incident, Action.ACKNOWLEDGE, self.now)

    def silence_for(self, alert: AlertIn) -> Silence | None:
        """The active silence or maintenance window covering the alert, if any."""
        if self._silences is None:
            self._silences = list(
                self.session.scalars(
                    select(Silence).where(
                        col(Silence.starts_at) <= self.now,
                        col(Silence.ends_at) > self.now,
                        or_(
                            col(Silence.integration_id).is_(None),
                            col(Silence.integration_id) == self.integration.id,
                        ),
                    )
                )
            )
        for silence in self._silences:
            matchers = [Matcher.model_validate(m) for m in silence.matchers]
            if silences_alert(
                matchers, (silence.starts_at, silence.ends_at), alert.labels, self.now
            ):
                return silence
        return None


def _insert(session: Session, row: Alert | Incident) -> bool:
    """Insert in a savepoint; False when a unique constraint says a concurrent twin won."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


def _id(row: Incident) -> int:
    assert row.id is not None, "flushed rows have ids"
    return row.id
