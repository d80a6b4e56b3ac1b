"""Triage latency: seconds from an alert webhook to the triage report stored for its incident.

A lab world with `payments/api` OOM-killed for 30 minutes stands behind the cluster `lab`.
PixelView's API (uvicorn, in a thread) and its worker (`--poll` s between polls) run in this
process on a scratch PostgreSQL database (`--database sqlite` for the embedded mode). One at a
time, `--incidents` times, the lab's `KubePodCrashLooping` notification is posted with one
label changed so that it opens a new incident; the clock starts before the POST and stops when
the incident's triage run has its report (read every 5 ms). Per mode:

- `none`: the analyzers and the templated report;
- `scripted`: the supervisor and the Kubernetes specialist driven by a scripted model (the
  same calls every time: our own overhead around a model, not the model's).

It prints p50/p95/max per mode and splits the time: webhook answered, triage job started
(the worker's poll), report stored. Exits 1 when a report is missing or wrong.

    .venv/bin/python -m bench.triage [--incidents 50] [--modes none,scripted] [--poll 0.1]
        [--database postgresql|sqlite]
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import uvicorn
from sqlmodel import col, select

from agents.triage.graph import Investigator
from api.app import create_app
from bench.triage_script import scripted_investigator
from core.settings import DatabaseSettings, Settings, WorkerSettings
from incidents.models.triage import TriageRun, TriageStatus
from lab.alerting.alertmanager import Route
from lab.demo import LabRun, ScheduledFault
from lab.servers.postgres import scratch_database
from pixelview import __version__
from pixelview.container import Container
from pixelview.demo import LAB_CLUSTER, lab_webhook_path

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
EXPECTED = ("Deployment", "payments", "api", "resource.memory")
InvestigatorFactory = Callable[[], Investigator | None]


def investigators() -> dict[str, InvestigatorFactory]:
    """The modes this bench knows, by name."""
    return {"none": lambda: None, "scripted": scripted_investigator}


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A scratch database URL of the kind asked for."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-triage-") as folder:
            yield f"sqlite:///{Path(folder) / 'pixelview.db'}"
        return
    with scratch_database(ADMIN_URL, prefix="bench_triage") as url:
        yield url


@contextmanager
def serving(container: Container) -> Iterator[str]:
    """The API on a free loopback port, in a thread; yields its base URL."""
    app = create_app(
        container.settings, engine=container.engine, metrics=container.metrics, version=__version__
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def report_of(container: Container, incident_id: int) -> TriageRun | None:
    """The incident's triage run once it ended, else None."""
    with container.sessions() as session:
        run = session.exec(
            select(TriageRun).where(col(TriageRun.incident_id) == incident_id)
        ).first()
    if run is None or run.status in (TriageStatus.QUEUED, TriageStatus.RUNNING):
        return None
    return run


def measure(
    mode: str, factory: InvestigatorFactory, args: argparse.Namespace, url: str
) -> list[dict[str, float]] | None:
    """Post `--incidents` notifications one at a time; the timings of each, or None on error."""
    now = datetime.now(UTC).replace(microsecond=0)
    lab = LabRun.start(
        seed=7,
        now=now,
        schedule=[
            ScheduledFault(
                "k8s.oom_kill",
                {"namespace": "payments", "deployment": "api"},
                at=timedelta(minutes=-30),
            )
        ],
        route=Route(group_wait=timedelta(0)),
    )
    [body] = lab.step(now)[1]
    settings = Settings(
        database=DatabaseSettings(url=url, pool_size=10),
        worker=WorkerSettings(poll_interval_s=args.poll, concurrency=1),
    )
    container = Container.build(
        settings, kubernetes={LAB_CLUSTER: lab.kubernetes()}, investigator=factory
    )
    container.upgrade_database()
    path = lab_webhook_path(container, f"bench-{mode}")
    worker = container.worker()
    rows = []
    with serving(container) as base, httpx2.Client(base_url=base, timeout=30) as client:
        worker.start()
        try:
            for n in range(args.incidents):
                tag = f"{mode}-{n}"  # a new group: a new incident
                sent = {
                    **body,
                    "groupKey": f'{{}}:{{bench="{tag}"}}',
                    "alerts": [_relabel(a, tag) for a in body["alerts"]],
                }
                began = time.perf_counter()
                answer = client.post(path, json=sent)
                answered = time.perf_counter()
                if answer.status_code != 202:
                    print(f"  webhook answered {answer.status_code}: {answer.text[:300]}")
                    return None
                incident_id = answer.json()["alerts"][0]["incident_id"]
                run = None
                while run is None and time.perf_counter() - began < args.timeout:
                    time.sleep(0.005)
                    run = report_of(container, incident_id)
                ended = time.perf_counter()
                if run is None or run.report is None or not _expected(run.report):
                    print(f"  incident {incident_id}: no expected report ({run and run.error})")
                    return None
                assert run.started_at is not None and run.finished_at is not None
                rows.append(
                    {
                        "total": ended - began,
                        "webhook": answered - began,
                        "queued": (run.started_at - run.created_at).total_seconds(),
                        "run": (run.finished_at - run.started_at).total_seconds(),
                    }
                )
        finally:
            worker.stop()
            container.close()
    return rows


def _relabel(alert: dict[str, Any], tag: str) -> dict[str, Any]:
    labels = {**alert["labels"], "bench": tag}
    return {**alert, "labels": labels, "fingerprint": ""}


def _expected(report: dict[str, Any]) -> bool:
    cause = report.get("root_cause") or {}
    got = (cause.get("kind"), cause.get("namespace"), cause.get("name"), report.get("category"))
    return got == EXPECTED


def quantiles(values: list[float]) -> str:
    """p50 / p95 / max in milliseconds."""
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered) * 1000:8.1f} {p95 * 1000:8.1f} {ordered[-1] * 1000:8.1f}"


def main() -> None:
    """Run the modes asked for and print their figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=50)
    parser.add_argument("--modes", default="none,scripted")
    parser.add_argument("--poll", type=float, default=0.1, help="worker.poll_interval_s")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per report")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    print(f"python {platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"database {args.database}, worker poll {args.poll:g} s, {args.incidents} incidents")
    known = investigators()
    ok = True
    for mode in args.modes.split(","):
        if mode not in known:
            print(f"\n{mode}: not available here (modes: {', '.join(known)})")
            ok = False
            continue
        with database(args.database) as url:
            rows = measure(mode, known[mode], args, url)
        if rows is None:
            ok = False
            continue
        print(f"\n{mode}: ms p50 / p95 / max")
        for part in ("total", "webhook", "queued", "run"):
            print(f"  {part:<8}{quantiles([r[part] for r in rows])}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
