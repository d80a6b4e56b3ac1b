"""The full model metadata, for autogenerating migration revisions.

Importing every table module registers its tables in `SQLModel.metadata`.
Each issue that adds tables adds its models module here.
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlmodel import SQLModel

import core.jobs.models


def model_metadata() -> MetaData:
    """Metadata of every table PixelView owns."""
    assert core.jobs.models.Job.__tablename__ == "jobs"
    return SQLModel.metadata
