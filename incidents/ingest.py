"""Ingestion: normalized alerts in, deduplicated alerts and grouped incidents out.

One call is one transaction: the HTTP layer answers the sender only after it
commits, so an acknowledged alert is never lost. Unique constraints on the open
fingerprint and the open grouping key make concurrent deliveries safe: the
loser of a race re-reads the winner's row and carries on as a duplicate.
A sender never overwrites human state: acknowledgement, assignment, severity
set by a person, tags and notes are only changed through the incident service.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import bindparam, select, update
from sqlmodel import Session, SQLModel, col

from core.clock import Clock
from core.db.bulk import insert_skipping_conflicts_keyed
from core.db.engine import SessionFactory
from core.errors import NotFound
from incidents.alerts.schema import AlertIn, AlertState
from incidents.audit import TimelineBatch, integration_actor
from incidents.dedup import content_hash
from incidents.escalation import service as escalation
from incidents.grouping import GroupingRule, grouping_key
from incidents.ingest_incidents import IncidentSide
from incidents.lifecycle import Action, is_open
from incidents.models.alert import Alert
from incidents.models.incident import Incident, IncidentStatus, TimelineKind
from incidents.models.integration import Integration
from incidents.transitions import apply_transition


class Outcome(StrEnum):
    """What ingestion did with one alert."""

    CREATED = "created"
    DUPLICATE = "duplicate"
    UPDATED = "updated"
    RESOLVED = "resolved"
    SILENCED = "silenced"
    UNKNOWN_RESOLVED = "unknown_resolved"
    """A resolve signal for an alert never seen firing: stored, no incident."""


@dataclass(frozen=True)
class IngestedAlert:
    """The fate of one alert of a delivery."""

    alert_id: int
    fingerprint: str
    outcome: Outcome
    incident_id: int | None
    incident_opened: bool = False


@dataclass
class IngestResult:
    """The fate of every alert of a delivery, in order."""

    alerts: list[IngestedAlert] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        """How many alerts had this outcome."""
        return sum(1 for a in self.alerts if a.outcome == outcome)


class IngestService:
    """Turns normalized alerts into alert rows and incidents."""

    def __init__(
        self, sessions: SessionFactory, clock: Clock, *, triage: bool = True, slack: bool = False
    ) -> None:
        """Work through `sessions`, with time from `clock`.

        With `triage`, every incident opened (or reopened) gets a triage run queued in the
        same transaction; with `slack` (the Slack bot is on), every incident opened on an
        integration with a `slack_channel` gets its Slack message planned in it too.
        """
        self._sessions = sessions
        self._clock = clock
        self._triage, self._slack = triage, slack

    def ingest(self, integration_id: uuid.UUID, alerts: list[AlertIn]) -> IngestResult:
        """Store a delivery's alerts in one transaction and return what happened to each."""
        with self._sessions() as session:
            integration = session.get(Integration, integration_id)
            if integration is None:
                raise NotFound(f"integration {integration_id} does not exist")
            result = self.ingest_in(session, integration, alerts)
            session.commit()
        return result

    def ingest_in(
        self, session: Session, integration: Integration, alerts: list[AlertIn]
    ) -> IngestResult:
        """Apply a delivery inside the caller's transaction (the caller commits)."""
        run = _Run(session, integration, self._clock.now(), triage=self._triage, slack=self._slack)
        run.prepare(alerts)
        result = IngestResult([run.one(alert) for alert in alerts])
        run.finish()
        return result


class _Run:
    """One delivery being ingested, inside one transaction."""

    def __init__(
        self,
        session: Session,
        integration: Integration,
        now: datetime,
        *,
        triage: bool,
        slack: bool,
    ) -> None:
        self.session = session
        self.integration = integration
        self.now = now
        self.actor = integration_actor(integration.id)
        self.rule = GroupingRule.model_validate(integration.grouping or {})
        self.entries = TimelineBatch(session, now=now, actor=self.actor)
        self.incidents = IncidentSide(
            session, integration, now, self.actor, self.entries, triage=triage, slack=slack
        )
        self._open: dict[str, Alert] = {}
        """Open alerts of this delivery's fingerprints, locked, by fingerprint."""
        self._fresh: dict[str, int] = {}
        """Alerts this delivery inserted and has not routed yet: id by fingerprint."""
        self._unloaded: dict[str, int] = {}
        """Alerts this delivery inserted and routed, not loaded as ORM rows: id by fingerprint."""
        self._links: dict[int, dict[str, Any]] = {}
        """Incident and silence of inserted alerts, written in one statement: by alert id."""
        self._duplicates: Counter[int] = Counter()
        self._digests: dict[int, str] = {}

    def prepare(self, alerts: list[AlertIn]) -> None:
        """Lock what the delivery touches and insert its new alerts, in a few set-based statements.

        Rows are locked in id order, so concurrent deliveries touching the same
        alerts queue behind each other instead of deadlocking.
        """
        fingerprints = sorted({a.fingerprint for a in alerts})
        for chunk in _chunks(fingerprints):
            for row in self.session.scalars(
                select(Alert)
                .where(
                    col(Alert.integration_id) == self.integration.id,
                    col(Alert.open_fingerprint).in_(chunk),
                )
                .order_by(col(Alert.id))
                .with_for_update()
            ):
                assert row.open_fingerprint is not None
                self._open[row.open_fingerprint] = row
        new: dict[str, AlertIn] = {}
        for alert in alerts:
            if alert.status == AlertState.FIRING and alert.fingerprint not in self._open:
                new.setdefault(alert.fingerprint, alert)
        self._insert_new(list(new.values()))
        # Incidents are locked after alerts, always: the same order in every delivery, no deadlock.
        self.incidents.prefetch(sorted({grouping_key(a, self.rule) for a in alerts}))

    def _insert_new(self, alerts: list[AlertIn]) -> None:
        rows = [
            {
                **self._columns(a),
                "first_seen": self.now,
                "open_fingerprint": a.fingerprint,
                "duplicates": 0,
                "incident_id": None,
                "silenced_by": None,
                "resolved_at": None,
            }
            for a in alerts
        ]
        for chunk in _chunks(rows):
            self._fresh.update(
                insert_skipping_conflicts_keyed(self.session, Alert, chunk, "open_fingerprint")
            )
        lost = [a.fingerprint for a in alerts if a.fingerprint not in self._fresh]
        if lost:  # a concurrent delivery inserted them first: they are known alerts now
            for row in self.session.scalars(
                select(Alert)
                .where(
                    col(Alert.integration_id) == self.integration.id,
                    col(Alert.open_fingerprint).in_(lost),
                )
                .order_by(col(Alert.id))
                .with_for_update()
            ):
                assert row.open_fingerprint is not None
                self._open[row.open_fingerprint] = row

    def finish(self) -> None:
        """Write the batched changes; duplicate counts in SQL, so concurrent ones each add one."""
        self._write_links()
        self.entries.write()
        if self._duplicates:
            table: Any = SQLModel.metadata.tables["alerts"]  # Core: executemany with its own WHERE
            self.session.execute(
                update(table)
                .where(table.c.id == bindparam("alert_id"))
                .values(duplicates=table.c.duplicates + bindparam("seen"), last_seen=self.now),
                [{"alert_id": alert_id, "seen": n} for alert_id, n in self._duplicates.items()],
            )

    def one(self, alert: AlertIn) -> IngestedAlert:
        if alert.status == AlertState.FIRING:
            return self._firing(alert)
        return self._resolved(alert)

    # ------------------------------------------------------------------ firing

    def _firing(self, alert: AlertIn) -> IngestedAlert:
        fingerprint = alert.fingerprint
        if self._open_alert(fingerprint) is None and fingerprint not in self._fresh:
            self._insert_new([alert])  # resolved and firing again within this delivery
        alert_id = self._fresh.pop(fingerprint, None)
        if alert_id is not None:
            result, link = self._route_new(alert_id, alert)
            self._links[alert_id] = link
            self._unloaded[fingerprint] = alert_id
            return result
        row = self._open_alert(fingerprint)
        assert row is not None
        return self._known_firing(row, alert)

    def _known_firing(self, row: Alert, alert: AlertIn) -> IngestedAlert:
        digest = self._digest(alert)
        if row.content_hash == digest:
            self._count_duplicate(row)
            outcome = Outcome.DUPLICATE
        else:
            for name, value in self._columns(alert).items():
                setattr(row, name, value)
            outcome = Outcome.UPDATED
            if row.incident_id is not None:
                self.entries.add(
                    row.incident_id,
                    TimelineKind.ALERT_UPDATED,
                    f"alert updated: {alert.summary}",
                    {"alert_id": row.id, "severity": alert.severity.value},
                )
        if (
            row.incident_id is None
            and row.silenced_by is not None
            and self.incidents.silence_for(alert) is None
        ):  # its silence ended: it pages now
            result, link = self._route_new(_id(row), alert)
            for name, value in link.items():
                setattr(row, name, value)
            return result
        if alert.acknowledge or outcome == Outcome.UPDATED:  # a duplicate needs no incident
            incident = self.incidents.incident(row.incident_id)
            if incident is not None and alert.acknowledge:
                self.incidents.source_acknowledge(incident)
            if incident is not None and outcome == Outcome.UPDATED:
                self.incidents.raise_severity(incident, alert.severity)
        return IngestedAlert(_id(row), alert.fingerprint, outcome, row.incident_id)

    def _route_new(self, alert_id: int, alert: AlertIn) -> tuple[IngestedAlert, dict[str, Any]]:
        """Silence the alert or attach it to its incident; returns the alert's link columns."""
        silence = self.incidents.silence_for(alert)
        if silence is not None:
            silenced = IngestedAlert(alert_id, alert.fingerprint, Outcome.SILENCED, None)
            return silenced, {"silenced_by": silence.id, "incident_id": None}
        incident, opened = self.incidents.attach(grouping_key(alert, self.rule), alert)
        incident.alert_count += 1
        incident.open_alert_count += 1
        incident.last_alert_at = self.now
        incident.updated_at = self.now
        self.incidents.raise_severity(incident, alert.severity)
        self.entries.add(
            _id(incident),
            TimelineKind.ALERT_ADDED,
            f"alert added: {alert.summary}",
            {
                "alert_id": alert_id,
                "fingerprint": alert.fingerprint,
                "severity": alert.severity.value,
            },
        )
        if alert.acknowledge:
            self.incidents.source_acknowledge(incident)
        result = IngestedAlert(alert_id, alert.fingerprint, Outcome.CREATED, incident.id, opened)
        return result, {"silenced_by": None, "incident_id": incident.id}

    # ---------------------------------------------------------------- resolved

    def _resolved(self, alert: AlertIn) -> IngestedAlert:
        row = self._open_alert(alert.fingerprint)
        if row is not None:
            return self._close(row, alert)
        if alert.fingerprint in self._fresh:  # it fires later in this delivery: a new alert then
            return self._unknown_resolved(alert)
        last = self.session.scalars(
            select(Alert)
            .where(
                col(Alert.integration_id) == self.integration.id,
                col(Alert.fingerprint) == alert.fingerprint,
            )
            .order_by(col(Alert.id).desc())
            .limit(1)
            .with_for_update()
        ).first()
        if last is not None:
            if last.content_hash != self._digest(alert):
                for name, value in self._columns(alert).items():
                    setattr(last, name, value)
                return IngestedAlert(
                    _id(last), alert.fingerprint, Outcome.UPDATED, last.incident_id
                )
            self._count_duplicate(last)
            return IngestedAlert(_id(last), alert.fingerprint, Outcome.DUPLICATE, last.incident_id)
        return self._unknown_resolved(alert)

    def _unknown_resolved(self, alert: AlertIn) -> IngestedAlert:
        row = Alert(**self._columns(alert), first_seen=self.now, resolved_at=self.now)
        self.session.add(row)
        self.session.flush()
        return IngestedAlert(_id(row), alert.fingerprint, Outcome.UNKNOWN_RESOLVED, None)

    def _close(self, row: Alert, alert: AlertIn) -> IngestedAlert:
        for name, value in self._columns(alert).items():
            setattr(row, name, value)
        row.open_fingerprint = None
        del self._open[alert.fingerprint]  # firing again later in this delivery: a new alert
        row.resolved_at = self.now
        row.ends_at = alert.ends_at or self.now
        incident = self.incidents.incident(row.incident_id)
        if incident is not None:
            incident.open_alert_count = max(0, incident.open_alert_count - 1)
            incident.updated_at = self.now
            self.entries.add(
                _id(incident),
                TimelineKind.ALERT_RESOLVED,
                f"alert resolved: {alert.summary}",
                {"alert_id": row.id},
            )
            status = IncidentStatus(incident.status)
            if self.integration.auto_resolve and incident.open_alert_count == 0 and is_open(status):
                self.entries.write()
                apply_transition(
                    self.session,
                    incident,
                    Action.RESOLVE,
                    now=self.now,
                    actor=self.actor,
                    summary="resolved: all its alerts resolved",
                )
                escalation.on_status_change(self.session, incident, Action.RESOLVE, self.now)
        return IngestedAlert(_id(row), alert.fingerprint, Outcome.RESOLVED, row.incident_id)

    # ----------------------------------------------------------------- helpers

    def _columns(self, alert: AlertIn) -> dict[str, Any]:
        """What the sender controls on an alert row (never human state)."""
        return {
            "integration_id": self.integration.id,
            "source": alert.source.value,
            "fingerprint": alert.fingerprint,
            "status": alert.status.value,
            "severity": alert.severity.value,
            "summary": alert.summary[:1024],
            "description": alert.description,
            "labels": dict(alert.labels),
            "annotations": dict(alert.annotations),
            "links": [link.model_dump() for link in alert.links],
            "group_key": grouping_key(alert, self.rule),
            "content_hash": self._digest(alert),
            "starts_at": alert.starts_at,
            "ends_at": alert.ends_at,
            "last_seen": self.now,
            "source_acknowledged": alert.acknowledge,
            "raw": alert.raw,
        }

    def _open_alert(self, fingerprint: str) -> Alert | None:
        """The open alert of a fingerprint as a locked ORM row (loading one this delivery added)."""
        row = self._open.get(fingerprint)
        if row is None and fingerprint in self._unloaded:
            self._write_links()
            row = self.session.get(Alert, self._unloaded.pop(fingerprint))
            assert row is not None, "this transaction inserted it"
            self._open[fingerprint] = row
        return row

    def _write_links(self) -> None:
        """Set the incident and silence of the alerts this delivery inserted, in one statement."""
        if self._links:
            table: Any = SQLModel.metadata.tables["alerts"]
            self.session.execute(
                update(table)
                .where(table.c.id == bindparam("alert_id"))
                .values(incident_id=bindparam("incident"), silenced_by=bindparam("silence")),
                [
                    {
                        "alert_id": alert_id,
                        "incident": link["incident_id"],
                        "silence": link["silenced_by"],
                    }
                    for alert_id, link in self._links.items()
                ],
            )
            self._links = {}

    def _digest(self, alert: AlertIn) -> str:
        digest = self._digests.get(id(alert))
        if digest is None:
            digest = self._digests[id(alert)] = content_hash(alert)
        return digest

    def _count_duplicate(self, row: Alert) -> None:
        assert row.id is not None
        self._duplicates[row.id] += 1


T = TypeVar("T")
_CHUNK = 500
"""Rows or keys per statement: keeps every dialect well under its bound-parameter limit."""


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _id(row: Alert | Incident) -> int:
    assert row.id is not None, "flushed rows have ids"
    return row.id
