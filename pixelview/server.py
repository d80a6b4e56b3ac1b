"""Running processes: the API server with its in-process worker, and a worker alone."""

from __future__ import annotations

import gc
import signal
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Protocol

import uvicorn

from api.app import create_app
from core.errors import ConfigError
from core.logs import get_logger
from pixelview import __version__
from pixelview.container import Container

log = get_logger(__name__)


class Background(Protocol):
    """Something that runs beside the API in its own thread (the lab's driver in the demo)."""

    def start(self) -> None:
        """Start running."""

    def stop(self) -> None:
        """Stop, waiting for the work in progress."""


def serve(
    container: Container, *, host: str, port: int, background: Sequence[Background] = ()
) -> None:
    """Serve the API until SIGINT or SIGTERM, with the in-process worker and `background`."""
    settings = container.settings
    if settings.database.migrate_on_start:
        status = container.upgrade_database()
        log.info("database.ready", url=container.describe_database(), revision=status.current)
    app = create_app(
        settings,
        engine=container.engine,
        metrics=container.metrics,
        version=__version__,
        clock=container.clock,
        chat=container.chat_runner(),
        memory=container.memory,
        runbooks_dir=container.runbook_folder(),
        metrics_source=container.metrics_source,
    )
    worker = container.worker() if settings.worker.in_process else None
    if worker is not None:
        container.load_runbooks()
    server = _Server(
        uvicorn.Config(
            app, host=host, port=port, log_config=None, lifespan="on", server_header=False
        ),
        on_exit=app.state.live_feed.stop,
    )
    # uvicorn re-raises the signal that stopped it once it has shut down; a
    # handler of ours then records it instead of the default one killing the
    # process before the worker has finished its current job.
    _on_stop_signals(None)
    _freeze_startup_objects()
    if worker is not None:
        worker.start()
    for companion in background:
        companion.start()
    try:
        log.info(
            "pixelview.serving", url=f"http://{host}:{port}", docs=f"http://{host}:{port}/docs"
        )
        server.run()
    finally:
        for companion in background:
            companion.stop()
        if worker is not None:
            worker.stop()
        container.close()
        log.info("pixelview.stopped")
    if not server.started:
        raise ConfigError(f"the API could not start on {host}:{port} (see the log line above)")


class _Server(uvicorn.Server):
    """uvicorn's server, which also ends the live streams when told to stop.

    uvicorn waits for every open response before it stops, and a live stream
    (`/api/v1/events`) would otherwise only end at its `web.live_stream_s`.
    """

    def __init__(self, config: uvicorn.Config, *, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_exit = on_exit

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Stop the live streams, then stop as uvicorn does."""
        self._on_exit()
        super().handle_exit(sig, frame)


def run_worker(container: Container, *, concurrency: int | None) -> None:
    """Run jobs until SIGINT or SIGTERM (scale-out mode, PostgreSQL only)."""
    if container.is_sqlite:
        raise ConfigError(
            "`pixelview worker` needs PostgreSQL (database.url); with SQLite the "
            "in-process worker of `pixelview serve` is the only one"
        )
    worker = container.worker(concurrency=concurrency)
    container.load_runbooks()
    _on_stop_signals(worker.request_stop)
    _freeze_startup_objects()
    worker.start()
    try:
        worker.wait()
    finally:
        worker.stop()
        container.close()


def _freeze_startup_objects() -> None:
    """Keep the ~120,000 objects of start-up (modules, models, compiled SQL) out of GC passes.

    Python's full collections walk every tracked object; with the app loaded
    each took 60-90 ms, every few dozen ingestion requests, and were most of
    the slowest 3 % of requests. Frozen objects are never collected (they live
    as long as the process anyway), so a full pass walks only what came later.
    """
    gc.collect()
    gc.freeze()


def _on_stop_signals(action: Callable[[], None] | None) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("pixelview.signal", signal=signal.Signals(signum).name)
        if action is not None:
            action()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
