"""`pixelview lab`: the lab's fault catalog, as the demo and scenarios name its faults."""

from __future__ import annotations

import inspect
from typing import Annotated

import typer

from core.errors import ConfigError
from lab.faults.catalog import FAULTS, Fault
from lab.world.world import DEFAULT_SEED, World

lab_app = typer.Typer(help="The lab: a simulated estate with faults.", no_args_is_help=True)


def _target_text(target: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in target.items()) or "(none)"


def describe(fault: Fault, world: World) -> list[str]:
    """Everything about one fault: what it does, its target, parameters and alerts."""
    doc = inspect.getdoc(fault.inject) or fault.summary
    lines = [f"{fault.name}  ({fault.category})", "", *doc.splitlines(), ""]
    lines.append(f"target: {', '.join(fault.target) or '(none)'}")
    lines.append(f"default target (seed {world.seed}): {_target_text(fault.default_target(world))}")
    if fault.params:
        lines.append("params:")
        lines += [f"  {name}: {meaning}" for name, meaning in fault.params.items()]
    else:
        lines.append("params: (none)")
    lines.append(f"alerts: {', '.join(fault.alerts)}")
    return lines


@lab_app.command("faults")
def faults_command(
    name: Annotated[
        str | None, typer.Argument(help="Show one fault in full.", show_default=False)
    ] = None,
    seed: Annotated[
        int, typer.Option(help="World whose default targets are shown.")
    ] = DEFAULT_SEED,
) -> None:
    """List the fault catalog (the names `lab.faults` and scenarios use), or show one fault."""
    if name is not None:
        if name not in FAULTS:
            raise ConfigError(
                f"unknown fault {name!r}; the catalog has: {', '.join(sorted(FAULTS))}"
            )
        typer.echo("\n".join(describe(FAULTS[name], World.build(seed))))
        return
    width = max(len(n) for n in FAULTS)
    cat_width = max(len(f.category) for f in FAULTS.values())
    for fault_name in sorted(FAULTS):
        fault = FAULTS[fault_name]
        target = ",".join(fault.target) or "-"
        typer.echo(
            f"{fault_name:<{width}}  {fault.category:<{cat_width}}  [{target}]  {fault.summary}"
        )
    typer.echo(
        "\n`pixelview lab faults NAME` shows a fault's parameters, default target and alerts."
    )
