"""The suite report: every attempt, each score as a rate overall and per tag, every failure.

The JSON report is the record (`--report out.json`); `summary` is what a person reads;
`compare` sets two reports side by side; `below_baseline` is what CI fails on. Scenarios
tagged `pending-tools` (faults whose cloud the agents have no tools for yet) are reported in
their own section and left out of the overall rates, never hidden.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from evals.outcome import RunOutcome
from evals.runner import Attempt
from evals.scoring import SCORES

PENDING_TOOLS = "pending-tools"
OVERALL = "passed"
"""The rate of scenario attempts where every applicable score passed."""


class AttemptRecord(BaseModel):
    """One attempt as the report keeps it."""

    attempt: int
    passed: bool
    scores: dict[str, bool]
    failures: list[str]
    outcome: RunOutcome


class ScenarioRecord(BaseModel):
    """One scenario: its attempts and pass rate."""

    id: str
    title: str
    kind: str
    tags: list[str]
    pass_rate: float
    attempts: list[AttemptRecord]


class SuiteReport(BaseModel):
    """A run of a suite."""

    created_at: datetime
    llm: str
    repeat: int
    machine: str
    rates: dict[str, float]
    """Each score's pass rate over the scored (not pending-tools) attempts, and `passed`."""
    by_tag: dict[str, dict[str, float]]
    pending_tools: dict[str, float]
    """The same rates over the pending-tools scenarios."""
    telemetry: dict[str, float]
    """Totals: wall seconds, LLM calls, tokens in and out, cost, tool calls."""
    scenarios: list[ScenarioRecord]


def build_report(attempts: Sequence[Attempt], *, llm: str, repeat: int) -> SuiteReport:
    """Aggregate the attempts of a suite run."""
    records: dict[str, ScenarioRecord] = {}
    for a in attempts:
        record = records.setdefault(
            a.scenario.id,
            ScenarioRecord(
                id=a.scenario.id,
                title=a.scenario.title,
                kind=a.scenario.kind,
                tags=list(a.scenario.tags),
                pass_rate=0.0,
                attempts=[],
            ),
        )
        record.attempts.append(
            AttemptRecord(
                attempt=a.attempt,
                passed=a.passed,
                scores={s.name: s.passed for s in a.scores},
                failures=a.failures,
                outcome=a.outcome,
            )
        )
    for record in records.values():
        record.pass_rate = _rate([t.passed for t in record.attempts])
    scenarios = sorted(records.values(), key=lambda r: r.id)
    scored = [r for r in scenarios if PENDING_TOOLS not in r.tags]
    pending = [r for r in scenarios if PENDING_TOOLS in r.tags]
    tags = sorted({t for r in scored for t in r.tags})
    return SuiteReport(
        created_at=datetime.now(UTC),
        llm=llm,
        repeat=repeat,
        machine=f"{platform.node()} ({platform.machine()}, Python {platform.python_version()})",
        rates=_rates(scored),
        by_tag={tag: _rates([r for r in scored if tag in r.tags]) for tag in tags},
        pending_tools=_rates(pending),
        telemetry=_telemetry(scenarios),
        scenarios=scenarios,
    )


def _rates(records: Sequence[ScenarioRecord]) -> dict[str, float]:
    attempts = [t for r in records for t in r.attempts]
    rates = {OVERALL: _rate([t.passed for t in attempts])} if attempts else {}
    for name in SCORES:
        values = [t.scores[name] for t in attempts if name in t.scores]
        if values:
            rates[name] = _rate(values)
    return rates


def _rate(values: Sequence[bool]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def _telemetry(records: Sequence[ScenarioRecord]) -> dict[str, float]:
    outcomes = [t.outcome for r in records for t in r.attempts]
    return {
        "wall_s": round(sum(o.wall_s for o in outcomes), 2),
        "llm_calls": sum(o.llm_calls for o in outcomes),
        "tokens_in": sum(o.tokens_in for o in outcomes),
        "tokens_out": sum(o.tokens_out for o in outcomes),
        "cost": round(sum(o.cost for o in outcomes), 6),
        "tool_calls": sum(len(o.tool_calls) for o in outcomes),
    }


# ---------------------------------------------------------------- reading it


def summary(report: SuiteReport) -> str:
    """The report for a person: the rates, a table per tag, and every failure with its reason."""
    lines = [
        f"PixelView eval: {len(report.scenarios)} scenarios x{report.repeat}, llm {report.llm}, "
        f"{report.created_at:%Y-%m-%d %H:%M} UTC on {report.machine}",
        "",
    ]
    columns = [OVERALL, *SCORES]
    lines.append(_row("", columns))
    lines.append(_row("overall", [_pct(report.rates.get(c)) for c in columns]))
    for tag, rates in report.by_tag.items():
        lines.append(_row(tag, [_pct(rates.get(c)) for c in columns]))
    if report.pending_tools:
        lines.append(_row(PENDING_TOOLS, [_pct(report.pending_tools.get(c)) for c in columns]))
    t = report.telemetry
    lines += [
        "",
        f"wall {t['wall_s']:.1f} s, {t['llm_calls']:.0f} LLM calls, {t['tokens_in']:.0f} tokens "
        f"in / {t['tokens_out']:.0f} out, cost {t['cost']:.4f}, {t['tool_calls']:.0f} tool calls",
    ]
    failed = [(r, a) for r in report.scenarios for a in r.attempts if not a.passed]
    if failed:
        lines += ["", f"{len(failed)} failed attempt(s):"]
        for record, attempt in failed:
            pending = f" [{PENDING_TOOLS}]" if PENDING_TOOLS in record.tags else ""
            lines.append(f"- {record.id}#{attempt.attempt}{pending}: {'; '.join(attempt.failures)}")
    return "\n".join(lines)


def markdown_table(report: SuiteReport) -> str:
    """The rates overall and per tag as a Markdown table, with the scenarios each row holds.

    What docs/evals.md shows; `-` where no scenario of the row has that score.
    """
    columns = [OVERALL, *SCORES]
    header = ["tag", "scenarios", *columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]

    def row(label: str, count: int, rates: dict[str, float]) -> None:
        cells = [label, str(count), *(_whole_pct(rates.get(c)) for c in columns)]
        lines.append("| " + " | ".join(cells) + " |")

    scored = [r for r in report.scenarios if PENDING_TOOLS not in r.tags]
    row("**overall**", len(scored), report.rates)
    for tag, rates in report.by_tag.items():
        row(tag, sum(tag in r.tags for r in scored), rates)
    if report.pending_tools:
        row(PENDING_TOOLS, len(report.scenarios) - len(scored), report.pending_tools)
    return "\n".join(lines)


def _whole_pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _row(label: str, cells: Sequence[str]) -> str:
    return f"{label:<22}" + "".join(f"{c:>16}" for c in cells)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def compare(before: SuiteReport, after: SuiteReport) -> str:
    """Two reports side by side: each rate's change, and the scenarios whose pass rate moved."""
    lines = [f"{'':<22}{'before':>10}{'after':>10}{'change':>10}"]
    for name in [OVERALL, *SCORES]:
        a, b = before.rates.get(name), after.rates.get(name)
        if a is None and b is None:
            continue
        change = f"{(b - a) * 100:+.1f}" if a is not None and b is not None else "n/a"
        lines.append(f"{name:<22}{_pct(a):>10}{_pct(b):>10}{change:>10}")
    old = {r.id: r for r in before.scenarios}
    new = {r.id: r for r in after.scenarios}
    moved = []
    for sid in sorted(old.keys() | new.keys()):
        if sid not in old:
            moved.append(f"+ {sid}: new, {_pct(new[sid].pass_rate)}")
        elif sid not in new:
            moved.append(f"- {sid}: gone (was {_pct(old[sid].pass_rate)})")
        elif old[sid].pass_rate != new[sid].pass_rate:
            reasons = "; ".join(f for a in new[sid].attempts for f in a.failures)[:300]
            moved.append(
                f"{'~'} {sid}: {_pct(old[sid].pass_rate)} -> {_pct(new[sid].pass_rate)}"
                + (f" ({reasons})" if reasons else "")
            )
    if moved:
        lines += ["", "scenarios that changed:", *moved]
    return "\n".join(lines)


def below_baseline(report: SuiteReport, baseline: dict[str, Any]) -> list[str]:
    """Every rate of `baseline` (`rates`, and `by_tag`) that the report falls below."""
    problems = []
    for name, floor in baseline.get("rates", {}).items():
        got = report.rates.get(name)
        if got is None or got < floor:
            problems.append(f"{name}: {_pct(got)} < baseline {_pct(floor)}")
    for tag, rates in baseline.get("by_tag", {}).items():
        for name, floor in rates.items():
            got = report.by_tag.get(tag, {}).get(name)
            if got is None or got < floor:
                problems.append(f"{tag} {name}: {_pct(got)} < baseline {_pct(floor)}")
    return problems
