"""Run the triage graph for one incident and hand back its report and what it spent.

The runner builds the run's `ToolDeps` (a fresh invocation log per run), opens the graph's
checkpointer on PixelView's database, and runs the graph as the thread `triage-run-<id>`; the
report comes back with the invocation log as the run's record of tool calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from agents.checkpoints import open_checkpointer
from agents.triage.graph import Investigator, ModelSpend, TriageContext, build_triage_graph
from connectors.kubernetes.port import KubernetesPort
from connectors.prometheus.port import MetricsPort
from core.clock import Clock
from core.db.engine import SessionFactory
from incidents.reader import IncidentReader
from incidents.triage import RunUsage
from incidents.triage_report import TriageReport
from memory.port import MemoryStore
from tools.context import ToolDeps


@dataclass(frozen=True, kw_only=True)
class TriageOutcome:
    """A finished investigation: the report, and its tool calls and model usage."""

    report: TriageReport
    usage: RunUsage


class TriageRunner:
    """Investigates incidents with the clusters and metrics it was given."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        database_url: str,
        clock: Clock,
        kubernetes: Mapping[str, KubernetesPort],
        metrics: MetricsPort | None = None,
        memory: MemoryStore | None = None,
        investigator: Callable[[], Investigator | None] = lambda: None,
    ) -> None:
        """Read incidents through `sessions`, checkpoint runs in `database_url`.

        Args:
            sessions: PixelView's database.
            database_url: The same database, for the graph's checkpoints.
            clock: The run's time.
            kubernetes: Clusters by name.
            metrics: The metrics backend, when there is one.
            memory: Runbooks and past incidents, when there is a store.
            investigator: Makes each run's investigator (None: mode `none`).
        """
        self._sessions, self._database_url, self._clock = sessions, database_url, clock
        self._kubernetes, self._metrics, self._memory = dict(kubernetes), metrics, memory
        self._investigator = investigator

    async def triage(self, incident_id: int, *, run_id: int) -> TriageOutcome:
        """Investigate the incident as run `run_id` (the graph thread `triage-run-<id>`)."""
        deps = ToolDeps(
            kubernetes=self._kubernetes,
            metrics=self._metrics,
            memory=self._memory,
            incidents=IncidentReader(self._sessions),
            clock=self._clock,
        )
        investigator = self._investigator()
        context = TriageContext(deps=deps, investigator=investigator)
        async with open_checkpointer(self._database_url) as checkpointer:
            graph = build_triage_graph(checkpointer)
            state = await graph.ainvoke(
                {"incident_id": incident_id},
                config={"configurable": {"thread_id": f"triage-run-{run_id}"}},
                context=context,
            )
        report = TriageReport.model_validate(state["report"])
        spent = investigator.spent() if investigator is not None else ModelSpend()
        usage = RunUsage(
            mode=report.mode,
            tool_calls=[i.dump() for i in deps.recorder.entries],
            llm_calls=spent.llm_calls,
            tokens_in=spent.tokens_in,
            tokens_out=spent.tokens_out,
            cost=spent.cost,
        )
        return TriageOutcome(report=report, usage=usage)
