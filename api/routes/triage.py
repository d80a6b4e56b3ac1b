"""Triage of an incident: the latest report, every run, and asking for another."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentCaller, Now, Sessions
from api.schemas.triage import TriageRunOut
from core.errors import NotFound
from incidents import triage
from incidents.models.people import Role
from incidents.models.triage import TriageTrigger

router = APIRouter(prefix="/api/v1", tags=["triage"])


@router.get("/incidents/{incident_id}/triage", response_model=TriageRunOut)
def latest_triage(incident_id: int, sessions: Sessions, caller: CurrentCaller) -> TriageRunOut:
    """The incident's newest triage run (404 when it was never triaged)."""
    del caller
    with sessions() as session:
        runs = triage.list_runs(session, incident_id)
        if not runs:
            raise NotFound(f"incident {incident_id} has no triage run")
        return TriageRunOut.model_validate(runs[0])


@router.get("/incidents/{incident_id}/triage/runs", response_model=list[TriageRunOut])
def triage_runs(incident_id: int, sessions: Sessions, caller: CurrentCaller) -> list[TriageRunOut]:
    """Every triage run of the incident, newest first."""
    del caller
    with sessions() as session:
        return [TriageRunOut.model_validate(r) for r in triage.list_runs(session, incident_id)]


@router.post("/incidents/{incident_id}/triage", response_model=TriageRunOut, status_code=202)
def request_triage(
    incident_id: int, sessions: Sessions, clock: Now, caller: CurrentCaller
) -> TriageRunOut:
    """Triage the incident again; while a run is queued, that run is returned."""
    caller.require(Role.RESPONDER)
    with sessions() as session:
        run = triage.request_triage(
            session,
            incident_id,
            now=clock.now(),
            trigger=TriageTrigger.REQUESTED,
            actor=caller.actor,
            request_id=caller.request_id,
        )
        session.commit()
        return TriageRunOut.model_validate(run)
