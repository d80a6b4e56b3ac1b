"""The metrics tool: series summaries over a window, on the lab's Prometheus and by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.prometheus.models import MetricPoint, MetricSeries
from lab.world.world import World
from tests.unit.lab_tools import lab_deps, oom_world, run, unused_incidents
from tools.context import ToolDeps
from tools.metrics import auto_step, metrics_query, sampled, summarize, trend_per_hour
from tools.result import ToolStatus

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
MIB = 2**20


def points(*values: float, every: timedelta = timedelta(minutes=30)) -> list[MetricPoint]:
    return [MetricPoint(at=T0 + i * every, value=v) for i, v in enumerate(values)]


def test_summary_statistics_trend_and_samples() -> None:
    series = MetricSeries(
        labels={"__name__": "queue_depth", "queue": "jobs", "env": "prod"},
        points=(*points(10, 20, 30, 40, 50), MetricPoint(at=T0, value=float("nan"))),
    )
    summary = summarize(series, samples=3)
    assert summary is not None
    assert summary.series == 'queue_depth{env="prod",queue="jobs"}'
    assert (summary.count, summary.first, summary.last) == (5, 10, 50)
    assert (summary.min, summary.max, summary.mean) == (10, 50, 30)
    assert summary.max_at == "2026-11-16T11:00:00Z"
    assert summary.trend_per_hour == 20  # +10 every half hour
    assert summary.samples == [
        "2026-11-16T09:00:00Z 10.0",
        "2026-11-16T10:00:00Z 30.0",
        "2026-11-16T11:00:00Z 50.0",
    ]
    assert trend_per_hour(points(7)) is None
    assert [p.value for p in sampled(points(1, 2, 3), 1)] == [3]
    assert sampled(points(1, 2), 0) == []
    assert summarize(MetricSeries(labels={}, points=()), 3) is None


def test_the_step_follows_the_window() -> None:
    assert auto_step(timedelta(minutes=10)) == timedelta(seconds=15)
    assert auto_step(timedelta(hours=1)) == timedelta(seconds=15)
    assert auto_step(timedelta(days=1)) == timedelta(minutes=6)


def test_oom_pods_memory_climbs_to_the_limit() -> None:
    world = oom_world()
    deps = lab_deps(world)
    query = 'container_memory_working_set_bytes{namespace="payments",container="api"}'
    result = run(metrics_query.run({"query": query, "minutes": 20}, deps))
    assert result.status == ToolStatus.OK and result.data is not None
    assert result.message == "3 series, step 15s"  # the pods before the rollout ended earlier
    for summary in result.data:
        assert 'pod="api-' in summary.series and summary.count == 81
        assert 0.9 * 256 * MIB <= summary.max <= 256 * MIB
        assert summary.samples is not None and len(summary.samples) == 6
    bounded = run(metrics_query.run({"query": query, "minutes": 20, "max_series": 1}, deps))
    assert bounded.data is not None and len(bounded.data) == 1
    assert bounded.message == (
        "3 series, step 15s; showing the first 1: narrow the selector to see others"
    )


def test_no_series_no_backend_and_refused_queries() -> None:
    world = World.build(7)
    deps = lab_deps(world)
    nothing = run(metrics_query.run({"query": 'up{job="nowhere"}'}, deps))
    assert nothing.status == ToolStatus.NO_DATA
    assert nothing.message == 'no samples of up{job="nowhere"} in the last 60m'
    refused = run(metrics_query.run({"query": "rate(up[5m])"}, deps))
    assert refused.error is not None and refused.error.code == "invalid_request"
    assert refused.error.backend == "metrics" and refused.error.target == "rate(up[5m])"
    without = ToolDeps(incidents=unused_incidents(), clock=world.clock)
    missing = run(metrics_query.run({"query": "up"}, without))
    assert missing.error is not None and missing.error.code == "unavailable"
    assert missing.error.message == "no metrics backend is configured for this run"
