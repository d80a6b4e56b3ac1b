"""The `pixelview` command line."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from agents.llm import check_chat_model
from core.clock import SystemClock
from core.db.migrate import downgrade, migration_status, new_revision
from core.errors import ConfigError, PixelViewError
from core.settings import CONFIG_FILE_ENV, Settings
from incidents.models.people import Role
from incidents.people import UserCreate, create_user
from pixelview import __version__
from pixelview.chat_cli import ask
from pixelview.cli_settings import cli_settings
from pixelview.container import Container
from pixelview.demo import (
    LAB_CLUSTER,
    LabDriver,
    http_poster,
    lab_webhook_path,
    local_url,
    schedule_lines,
    start_lab,
)
from pixelview.eval_cli import eval_app
from pixelview.lab_cli import lab_app
from pixelview.schema import model_metadata
from pixelview.server import run_worker, serve
from pixelview.triage_cli import report_lines, run_triage

app = typer.Typer(
    name="pixelview",
    help="PixelView: an open-source AI SRE for private clouds.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
users_app = typer.Typer(help="Users and their API tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(lab_app, name="lab")
app.add_typer(eval_app, name="eval")

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", envvar=CONFIG_FILE_ENV, help="YAML settings file.", show_default=False
    ),
]
HostOption = Annotated[
    str | None, typer.Option(help="Listen address [default: api.host].", show_default=False)
]
PortOption = Annotated[
    int | None, typer.Option(help="Listen port [default: api.port].", show_default=False)
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pixelview {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    config: ConfigOption = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    del version  # handled eagerly by its callback
    ctx.obj = config


def _settings(ctx: typer.Context) -> Settings:
    return cli_settings(ctx)


def _serving_settings(ctx: typer.Context) -> Settings:
    """The settings of a long-running process, whose language model is checked at start."""
    settings = _settings(ctx)
    check_chat_model(settings.llm, data_dir=settings.data_dir)
    return settings


@contextmanager
def _agents_container(ctx: typer.Context) -> Iterator[Container]:
    """A container for an agent run in this process: schema at head, runbooks loaded."""
    settings = _settings(ctx)
    container = Container.build(settings)
    try:
        if settings.database.migrate_on_start:
            container.upgrade_database()
        container.load_runbooks()
        yield container
    finally:
        container.close()


@app.command("serve")
def serve_command(ctx: typer.Context, host: HostOption = None, port: PortOption = None) -> None:
    """Serve the API, with a worker in the same process."""
    settings = _serving_settings(ctx)
    serve(Container.build(settings), host=host or settings.api.host, port=port or settings.api.port)


@app.command("worker")
def worker_command(
    ctx: typer.Context,
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, help="Jobs at once [default: worker.concurrency].", show_default=False),
    ] = None,
) -> None:
    """Run background jobs only (scale-out mode; needs PostgreSQL)."""
    run_worker(Container.build(_serving_settings(ctx)), concurrency=concurrency)


@app.command("demo")
def demo_command(ctx: typer.Context, host: HostOption = None, port: PortOption = None) -> None:
    """Run PixelView against the lab: a simulated estate whose faults raise real alerts.

    Embedded defaults (SQLite under ./.pixelview); the `lab` settings choose the seed, the
    faults and when they start.
    """
    settings = _serving_settings(ctx)
    host, port = host or settings.api.host, port or settings.api.port
    clock = SystemClock()
    run = start_lab(settings.lab, clock)
    container = Container.build(
        settings,
        clock=clock,
        kubernetes={LAB_CLUSTER: run.kubernetes()},
        metrics_source=run.metrics(),
    )
    try:
        if settings.database.migrate_on_start:
            container.upgrade_database()
        path = lab_webhook_path(container, settings.lab.integration)
    except BaseException:
        container.close()
        raise
    driver = LabDriver(
        run, http_poster(local_url(host, port), path), clock, tick_s=settings.lab.tick_s
    )
    typer.echo(
        f"PixelView demo: open http://{host}:{port}/ (log in with a token of "
        "`pixelview users create`; the API is at /docs)  (Ctrl-C stops it)",
        err=True,
    )
    for line in schedule_lines(run):
        typer.echo(f"  lab: {line}", err=True)
    serve(container, host=host, port=port, background=[driver])


@app.command("triage")
def triage_command(
    ctx: typer.Context,
    incident_id: Annotated[int, typer.Argument(help="The incident to investigate.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the run as JSON.")] = False,
) -> None:
    """Investigate an incident now, with the configured clusters and model; print the report.

    Exit 1 when the run failed (the error is in the output and on the incident's timeline).
    """
    with _agents_container(ctx) as container:
        run = run_triage(container, incident_id)
    typer.echo(run.model_dump_json(indent=2) if as_json else "\n".join(report_lines(run)))
    if run.status != "succeeded":
        raise typer.Exit(1)


@app.command("chat")
def chat_command(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="What to ask, in words.")],
    thread: Annotated[
        int | None,
        typer.Option("--thread", help="Continue this conversation (its id is printed last)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print each step as a JSON line, then `done`.")
    ] = False,
) -> None:
    """Ask PixelView a question, with the configured clusters and model; print each step.

    Without a model (`llm.provider: none`) it answers the questions of docs/chat.md. Exit 1
    when the question could not be answered (the error is printed and stored).
    """
    with _agents_container(ctx) as container:
        answered = asyncio.run(
            ask(
                container.chat_runner(),
                question,
                thread_id=thread,
                show=typer.echo,
                as_json=as_json,
            )
        )
    if not answered:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Bring the database schema to the newest revision."""
    container = Container.build(_settings(ctx))
    try:
        status = container.upgrade_database()
    finally:
        container.close()
    typer.echo(f"database at revision {status.current} ({container.describe_database()})")


@db_app.command("downgrade")
def db_downgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. 0001, or base.")],
) -> None:
    """Revert the schema to an earlier revision (back up first)."""
    container = Container.build(_settings(ctx))
    try:
        status = downgrade(container.engine, revision)
    finally:
        container.close()
    typer.echo(f"database at revision {status.current or '(empty)'}")


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Print the database's revision and the newest one; exit 1 when behind."""
    container = Container.build(_settings(ctx))
    try:
        status = migration_status(container.engine)
    finally:
        container.close()
    typer.echo(f"current: {status.current or '(empty database)'}  head: {status.head}")
    if not status.at_head:
        raise typer.Exit(1)


@db_app.command("revision")
def db_revision(
    ctx: typer.Context,
    message: Annotated[str, typer.Option("--message", "-m", help="What the revision changes.")],
    empty: Annotated[
        bool, typer.Option(help="Write an empty revision instead of autogenerating.")
    ] = False,
) -> None:
    """Write a new revision file (autogenerated from the models by default)."""
    container = Container.build(_settings(ctx))
    try:
        path = new_revision(container.engine, message, metadata=None if empty else model_metadata())
    finally:
        container.close()
    typer.echo(f"wrote {path}; review it before committing")


@users_app.command("create")
def users_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Display name.")],
    email: Annotated[str, typer.Option(help="Unique e-mail address.")],
    role: Annotated[Role, typer.Option(help="admin, responder or viewer.")] = Role.RESPONDER,
) -> None:
    """Create a user and print its API token (the way to make the first admin)."""
    settings = _settings(ctx)
    container = Container.build(settings)
    try:
        if settings.database.migrate_on_start:  # the first admin may come before any `serve`
            container.upgrade_database()
        with container.sessions() as session:
            user, token = create_user(
                session,
                UserCreate(name=name, email=email, role=role),
                now=container.clock.now(),
                actor="cli",
            )
            session.commit()
    except ValidationError as e:
        problems = "; ".join(f"--{'.'.join(map(str, p['loc']))}: {p['msg']}" for p in e.errors())
        raise ConfigError(f"invalid user: {problems}") from e
    finally:
        container.close()
    typer.echo(f"created {user.role} {user.email} ({user.id})")
    typer.echo(f"API token (shown once): {token}")


def main() -> None:
    """Entry point of the console script: one clear line on error, non-zero exit."""
    try:
        app()
    except ConfigError as e:
        typer.echo(f"error: {e.message}", err=True)
        sys.exit(2)
    except PixelViewError as e:
        typer.echo(f"error: {e.message}", err=True)
        sys.exit(1)
    except OperationalError as e:
        typer.echo(f"error: database unavailable: {e.orig}", err=True)
        sys.exit(1)
