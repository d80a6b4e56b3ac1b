"""The full model metadata, for autogenerating migration revisions.

Importing every table module registers its tables in `SQLModel.metadata`.
Each issue that adds tables adds its models module here.
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlmodel import SQLModel

import core.jobs.models
import incidents.models.alert
import incidents.models.audit
import incidents.models.chat
import incidents.models.escalation
import incidents.models.incident
import incidents.models.integration
import incidents.models.notification
import incidents.models.people
import incidents.models.schedule
import incidents.models.silence
import incidents.models.slack
import incidents.models.triage
import inventory.models


def model_metadata() -> MetaData:
    """Metadata of every table PixelView owns."""
    modules = (
        core.jobs.models,
        incidents.models.alert,
        incidents.models.audit,
        incidents.models.chat,
        incidents.models.escalation,
        incidents.models.incident,
        incidents.models.integration,
        incidents.models.notification,
        incidents.models.people,
        incidents.models.schedule,
        incidents.models.silence,
        incidents.models.slack,
        incidents.models.triage,
        inventory.models,
    )
    assert all(module.__name__ for module in modules)  # imported for their tables
    return SQLModel.metadata
