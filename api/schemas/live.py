"""Response models of the alert volume and of metric series."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from incidents.activity import VolumeBucket


class AlertVolumeOut(BaseModel):
    """New alerts per bucket (`counts` by severity), oldest bucket first."""

    step_s: int
    buckets: list[VolumeBucket]


class SeriesOut(BaseModel):
    """One series: its labels, and its points as `[epoch seconds, value]`."""

    labels: dict[str, str]
    points: list[tuple[float, float]]


class MetricRangeOut(BaseModel):
    """A range query's answer."""

    query: str
    start: datetime
    end: datetime
    step_s: int
    series: list[SeriesOut]
