"""Incident status transitions: the rules, with no I/O."""

from __future__ import annotations

from enum import StrEnum

from core.errors import Conflict
from incidents.models.incident import IncidentStatus

S = IncidentStatus


class Action(StrEnum):
    """What a person, a sender or the system asks of an incident."""

    ACKNOWLEDGE = "acknowledge"
    START = "start"
    """Mark as being worked on (`in_progress`)."""
    UNACKNOWLEDGE = "unacknowledge"
    """Back to triggered (by a person, or an acknowledgement timeout)."""
    RESOLVE = "resolve"
    REOPEN = "reopen"


_ALLOWED: dict[Action, dict[IncidentStatus, IncidentStatus]] = {
    Action.ACKNOWLEDGE: {S.TRIGGERED: S.ACKNOWLEDGED},
    Action.START: {S.TRIGGERED: S.IN_PROGRESS, S.ACKNOWLEDGED: S.IN_PROGRESS},
    Action.UNACKNOWLEDGE: {S.ACKNOWLEDGED: S.TRIGGERED, S.IN_PROGRESS: S.TRIGGERED},
    Action.RESOLVE: {
        S.TRIGGERED: S.RESOLVED,
        S.ACKNOWLEDGED: S.RESOLVED,
        S.IN_PROGRESS: S.RESOLVED,
    },
    Action.REOPEN: {S.RESOLVED: S.TRIGGERED},
}

_WHY = {
    (Action.ACKNOWLEDGE, S.ACKNOWLEDGED): "it is already acknowledged",
    (Action.ACKNOWLEDGE, S.IN_PROGRESS): "it is already acknowledged and in progress",
    (Action.START, S.IN_PROGRESS): "it is already in progress",
    (Action.UNACKNOWLEDGE, S.TRIGGERED): "it is not acknowledged",
}


def transition(status: IncidentStatus, action: Action) -> IncidentStatus:
    """The status after `action`, or `Conflict` saying why it is not allowed."""
    target = _ALLOWED[action].get(status)
    if target is not None:
        return target
    reason = _WHY.get((action, status))
    if reason is None:
        reason = "it is resolved" if status == S.RESOLVED else f"it is {status.value}"
    allowed = ", ".join(s.value for s in _ALLOWED[action])
    raise Conflict(f"cannot {action.value} the incident: {reason} (allowed from: {allowed})")


def allowed_actions(status: IncidentStatus) -> list[Action]:
    """The actions the rules allow from `status`, in the order of `Action`."""
    return [action for action in Action if status in _ALLOWED[action]]


def is_open(status: IncidentStatus) -> bool:
    """Triggered, acknowledged or in progress."""
    return status != S.RESOLVED


def is_acknowledged(status: IncidentStatus) -> bool:
    """Acknowledged, in progress included."""
    return status in (S.ACKNOWLEDGED, S.IN_PROGRESS)
