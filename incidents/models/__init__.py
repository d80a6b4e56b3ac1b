"""The tables of the incident core (SQLModel), one module per entity family.

Importing any of them imports all of them, so every foreign key can be
resolved whatever a caller imported first.
"""

from incidents.models import (
    alert,
    audit,
    chat,
    escalation,
    incident,
    integration,
    notification,
    people,
    schedule,
    silence,
    slack,
    triage,
)

__all__ = [
    "alert",
    "audit",
    "chat",
    "escalation",
    "incident",
    "integration",
    "notification",
    "people",
    "schedule",
    "silence",
    "slack",
    "triage",
]
