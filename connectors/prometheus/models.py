"""DTOs of the metrics port: samples and series as Prometheus's query API returns them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class MetricSample(BaseModel):
    """One element of an instant vector: a series' labels and its value at one instant."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    labels: dict[str, str]
    """The series' labels, with its metric name under `__name__`."""
    at: datetime
    value: float


class MetricPoint(BaseModel):
    """One point of a range result."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: datetime
    value: float


class MetricSeries(BaseModel):
    """One element of a range matrix: a series' labels and its points on the step grid."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    labels: dict[str, str]
    points: tuple[MetricPoint, ...]

    @property
    def name(self) -> str:
        """The metric name."""
        return self.labels.get("__name__", "")
