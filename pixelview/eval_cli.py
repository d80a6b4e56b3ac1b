"""`pixelview eval`: run a scenario suite against the product and report; compare two reports."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from agents.llm import ChatModel, ScriptedChatModel
from agents.llm.script_file import load_script
from core.errors import ConfigError, InvalidRequest
from core.settings import LlmProvider, Settings
from evals.loader import LoadedScenario, load_scenarios
from evals.report import (
    SuiteReport,
    below_baseline,
    build_report,
    compare,
    markdown_table,
    summary,
)
from evals.runner import Attempt, run_suite
from pixelview.cli_settings import cli_settings
from pixelview.eval_estate import Cassettes, ContainerEstate

SUITE = Path(__file__).resolve().parents[1] / "evals" / "scenarios"
"""The suite that ships with PixelView."""

eval_app = typer.Typer(
    help="Evaluate the agents on scenarios in the lab (see docs/evals.md).",
    invoke_without_command=True,
)


def run_eval(
    settings: Settings,
    scenarios: list[LoadedScenario],
    *,
    llm: LlmProvider | None,
    repeat: int,
    jobs: int,
    cassettes: Cassettes | None = None,
    echo: bool = True,
) -> SuiteReport:
    """Run `scenarios` on a fresh estate in a temporary folder; the suite report."""
    if llm is not None:
        settings = settings.model_copy(
            update={"llm": settings.llm.model_copy(update={"provider": llm})}
        )

    def progress(attempt: Attempt) -> None:
        if echo:
            mark = "pass" if attempt.passed else "FAIL"
            typer.echo(
                f"  {mark} {attempt.scenario.id}#{attempt.attempt} "
                f"({attempt.outcome.wall_s:.1f} s)",
                err=True,
            )

    scripted = _scripts(scenarios) if llm == "scripted" else None
    with tempfile.TemporaryDirectory(prefix="pixelview-eval-") as workdir:
        memory = settings.data_dir / "eval" / "chroma"
        estate = ContainerEstate(
            settings, Path(workdir), memory_dir=memory, cassettes=cassettes, model=scripted
        )
        attempts = run_suite(scenarios, estate, repeat=repeat, jobs=jobs, progress=progress)
    name: str = llm or settings.llm.provider
    if cassettes is not None and cassettes.mode == "replay":
        name = f"replay:{cassettes.folder}"
    return build_report(attempts, llm=name, repeat=repeat)


SCRIPT_FILE = "llm_script.yaml"
"""With `--llm scripted`, the answers the model gives in a scenario (beside its scenario.yaml)."""


def _scripts(scenarios: list[LoadedScenario]) -> Callable[[str], ChatModel]:
    """Each run's scripted model: a fresh one playing its scenario's `llm_script.yaml`."""
    folders = {s.scenario.id: s.path.parent for s in scenarios}

    def scripted(key: str) -> ChatModel:
        scenario_id = key.split("/", 1)[0]
        return ScriptedChatModel(script=load_script(folders[scenario_id] / SCRIPT_FILE))

    return scripted


def read_report(path: Path) -> SuiteReport:
    """A report written by `--report`, or an error naming the file."""
    try:
        return SuiteReport.model_validate_json(path.read_bytes())
    except FileNotFoundError as e:
        raise InvalidRequest(f"{path}: no such report") from e
    except ValueError as e:
        raise InvalidRequest(f"{path}: not a PixelView eval report: {str(e)[:300]}") from e


def _baseline(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError(f"--baseline {path}: no such file") from e
    except json.JSONDecodeError as e:
        raise ConfigError(f"--baseline {path}: not JSON: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"--baseline {path}: must hold an object with `rates`")
    return data


@eval_app.callback()
def eval_command(
    ctx: typer.Context,
    scenarios: Annotated[
        Path,
        typer.Option(help="Folder of scenarios (any depth).", show_default="the shipped suite"),
    ] = SUITE,
    llm: Annotated[
        str | None,
        typer.Option(
            help="none | local | openai | auto | scripted | replay:DIR "
            "[default: the llm.provider setting]."
        ),
    ] = None,
    record: Annotated[
        Path | None, typer.Option(help="Record every model request and answer under DIR.")
    ] = None,
    repeat: Annotated[int, typer.Option(min=1, help="Runs of each scenario.")] = 1,
    jobs: Annotated[int, typer.Option(min=1, help="Scenarios at once.")] = 1,
    report: Annotated[Path | None, typer.Option(help="Write the JSON report here.")] = None,
    baseline: Annotated[
        Path | None, typer.Option(help="Exit 1 when a rate falls below this file's.")
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option(help="Scenario ids or tags to run (repeatable).")
    ] = None,
) -> None:
    """Run every scenario under --scenarios on a fresh lab and print the summary."""
    if ctx.invoked_subcommand is not None:
        return
    settings = cli_settings(ctx)
    provider, cassettes = _model_choice(llm, record)
    loaded = load_scenarios(scenarios)
    if only:
        loaded = [s for s in loaded if s.scenario.id in only or set(only) & set(s.scenario.tags)]
        if not loaded:
            raise InvalidRequest(f"--only {', '.join(only)}: no scenario has that id or tag")
    floor = _baseline(baseline) if baseline is not None else None
    typer.echo(f"running {len(loaded)} scenario(s) x{repeat}", err=True)
    result = run_eval(settings, loaded, llm=provider, repeat=repeat, jobs=jobs, cassettes=cassettes)
    if report is not None:
        report.write_text(result.model_dump_json(indent=2), encoding="utf-8")
    typer.echo(summary(result))
    if floor is not None:
        problems = below_baseline(result, floor)
        if problems:
            typer.echo("\nbelow the baseline:\n" + "\n".join(f"- {p}" for p in problems), err=True)
            raise typer.Exit(1)
        typer.echo(f"\nat or above the baseline in {baseline}", err=True)


@eval_app.command("compare")
def compare_command(
    before: Annotated[Path, typer.Argument(help="The earlier report.")],
    after: Annotated[Path, typer.Argument(help="The later report.")],
) -> None:
    """Two reports side by side: each rate's change and the scenarios that moved."""
    typer.echo(compare(read_report(before), read_report(after)))


@eval_app.command("show")
def show_command(
    report: Annotated[Path, typer.Argument(help="A report of `pixelview eval --report`.")],
    markdown: Annotated[
        bool, typer.Option(help="Only the rates per tag, as a Markdown table.")
    ] = False,
) -> None:
    """A stored report as `pixelview eval` printed it, or its rates as a Markdown table."""
    read = read_report(report)
    typer.echo(markdown_table(read) if markdown else summary(read))


_PROVIDERS: tuple[LlmProvider, ...] = ("none", "local", "openai", "auto", "scripted")


def _model_choice(
    llm: str | None, record: Path | None
) -> tuple[LlmProvider | None, Cassettes | None]:
    """The provider and the cassettes of `--llm` and `--record`."""
    if llm is not None and llm.startswith("replay:"):
        folder = Path(llm.removeprefix("replay:"))
        if record is not None:
            raise ConfigError("--record and --llm replay:DIR exclude each other")
        if not folder.is_dir():
            raise ConfigError(f"--llm replay:{folder}: no such folder of recordings")
        return "none", Cassettes(folder=folder, mode="replay")
    provider = None
    if llm is not None:
        provider = next((p for p in _PROVIDERS if p == llm), None)
        if provider is None:
            raise ConfigError(f"--llm: {llm!r} is not one of {', '.join(_PROVIDERS)}, replay:DIR")
    return provider, Cassettes(folder=record, mode="record") if record is not None else None
