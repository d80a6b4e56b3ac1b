"""Webhook ingestion: sustained Alertmanager deliveries into a real `pixelview serve`.

For SQLite (a temp folder) and PostgreSQL (a scratch database) in turn, starts
`pixelview serve` on a free loopback port (in-process worker off, logging at
WARNING), creates an Alertmanager integration, and runs a load generator in a
separate process (its own GIL) for `--seconds`. It sends webhook bodies of
`--batch` firing alerts with new fingerprints, spread over ~200 groups; a
`--duplicate-ratio` share of the requests resend an acknowledged body
verbatim, as an Alertmanager HA pair does.

The load is open-loop by default: `--rate` alerts/s are offered whatever the
server does (a request due every `batch / rate` s, at most `--concurrency` in
flight), and a request's latency runs from the moment it was due, so a server
that falls behind shows it in the latency instead of slowing the generator
down. `--rate 0` is closed-loop instead: `--concurrency` senders each send the
next request as soon as the last is answered (the server's capacity).

Then it counts the stored alerts: every acknowledged fingerprint must be stored
exactly once (lost = 0), and each resent alert must have been collapsed into
its row's `duplicates`. Exits non-zero on a loss, a mismatch, or any non-202
answer; prints whether the issue's target (>= 1,000 alerts/s sustained with
p99 <= 100 ms) was met.

    .venv/bin/python -m bench.ingest [--seconds 60] [--rate 1000] [--batch 50]
                                     [--concurrency 64] [--duplicate-ratio 0.3]
                                     [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import func, select
from sqlmodel import col

from core.db.engine import make_engine, make_session_factory
from incidents.alerts.schema import Source
from incidents.integrations import IntegrationCreate, create_integration
from incidents.models.alert import Alert
from incidents.models.incident import Incident
from lab.servers.postgres import scratch_database
from pixelview.schema import model_metadata

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
GROUPS = 200
SEVERITIES = ("critical", "warning", "info")
HEADERS = {"content-type": "application/json"}
TARGET_RATE = 1000
TARGET_P99_MS = 100


def webhook_body(index: int, batch: int, rng: random.Random) -> bytes:
    """The `index`-th new Alertmanager notification: `batch` firing alerts of one group."""
    group = rng.randrange(GROUPS)
    name = f"Bench{group:03d}"
    severity = SEVERITIES[group % len(SEVERITIES)]
    started = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    alerts = []
    for n in range(index * batch, (index + 1) * batch):
        labels = {
            "alertname": name,
            "instance": f"host-{n}:9100",
            "severity": severity,
            "service": f"svc-{group % 40}",
        }
        alerts.append(
            {
                "status": "firing",
                "labels": labels,
                "annotations": {"summary": f"{name} on host-{n}"},
                "startsAt": started,
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph",
                "fingerprint": f"{n:016x}",
            }
        )
    body = {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{name}"}}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "pixelview",
        "groupLabels": {"alertname": name},
        "commonLabels": {"alertname": name, "severity": severity},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": alerts,
    }
    return json.dumps(body).encode()


class Load:
    """The load generator's state: what was sent, acknowledged and how long it took."""

    def __init__(self, client: httpx2.AsyncClient, url: str, batch: int, duplicates: float):
        """Post to `url` through `client`, `batch` alerts a body, `duplicates` of them resent."""
        self.client, self.url, self.batch, self.duplicates = client, url, batch, duplicates
        self.rng = random.Random(1)
        self.acknowledged: list[bytes] = []  # new bodies answered 202: the only ones resent
        self.latencies: list[float] = []
        self.statuses: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self.next_index = 0

    async def send(self, due: float) -> None:
        """Send one body (new, or a resend); its latency runs from `due`."""
        resend = bool(self.acknowledged) and self.rng.random() < self.duplicates
        if resend:
            body = self.rng.choice(self.acknowledged)
        else:
            body = webhook_body(self.next_index, self.batch, self.rng)
            self.next_index += 1
        try:
            answer = await self.client.post(self.url, content=body, headers=HEADERS)
            status = str(answer.status_code)
        except httpx2.HTTPError as e:
            status = type(e).__name__
        self.latencies.append(time.perf_counter() - due)
        self.statuses[status] += 1
        if status == "202":
            self.counts["resent" if resend else "unique"] += self.batch
            if not resend:
                self.acknowledged.append(body)

    async def closed_loop(self, deadline: float, senders: int) -> None:
        """`senders` each send their next request as soon as the last is answered."""

        async def sender() -> None:
            while time.perf_counter() < deadline:
                await self.send(time.perf_counter())

        await asyncio.gather(*(sender() for _ in range(senders)))

    async def open_loop(self, begun: float, deadline: float, rate: float, limit: int) -> None:
        """A request due every `batch / rate` s whatever the server does; `limit` in flight."""
        slots = asyncio.Semaphore(limit)

        async def held(due: float) -> None:
            async with slots:
                await self.send(due)

        tasks = []
        for n in itertools.count():
            due = begun + n * self.batch / rate
            if due >= deadline:
                break
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(held(due)))
        await asyncio.gather(*tasks)


async def generate(
    url: str,
    *,
    seconds: float,
    concurrency: int,
    batch: int,
    duplicate_ratio: float,
    rate: float,
) -> dict[str, Any]:
    """Send for `seconds`; return counts and latencies.

    With `rate` > 0 the load is open-loop: a request is due every
    `batch / rate` seconds whatever the server does, at most `concurrency` in
    flight, and latency runs from the moment a request was due (a request held
    back because the server is slow counts its wait). With `rate` = 0,
    `concurrency` senders each send their next request as soon as the last is
    answered (closed loop: the server's capacity).
    """
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx2.AsyncClient(timeout=60, limits=limits) as client:
        load = Load(client, url, batch, duplicate_ratio)
        begun = time.perf_counter()
        deadline = begun + seconds
        if rate > 0:
            await load.open_loop(begun, deadline, rate, concurrency)
        else:
            await load.closed_loop(deadline, concurrency)
        elapsed = time.perf_counter() - begun
    cuts = statistics.quantiles(load.latencies, n=100, method="inclusive")
    return {
        "elapsed_s": elapsed,
        "requests": len(load.latencies),
        "statuses": dict(load.statuses),
        "unique": load.counts["unique"],
        "resent": load.counts["resent"],
        "p50_ms": cuts[49] * 1000,
        "p95_ms": cuts[94] * 1000,
        "p99_ms": cuts[98] * 1000,
        "max_ms": max(load.latencies) * 1000,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_ready(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"pixelview serve exited early:\n{log.read_text()[-4000:]}")
        try:
            if httpx2.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{base}/readyz not ready within 90 s:\n{log.read_text()[-4000:]}")


def _integration_token(url: str) -> str:
    model_metadata()  # every table registered, so foreign keys resolve
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        _, token = create_integration(
            session,
            IntegrationCreate(name="bench", source=Source.ALERTMANAGER),
            now=datetime.now(UTC),
            actor="bench",
        )
        session.commit()
    engine.dispose()
    return token


def _stored(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        rows, distinct, duplicates = session.execute(
            select(
                func.count(),
                func.count(func.distinct(col(Alert.fingerprint))),
                func.coalesce(func.sum(col(Alert.duplicates)), 0),
            ).select_from(Alert)
        ).one()
        incidents = session.scalar(select(func.count()).select_from(Incident)) or 0
    engine.dispose()
    return {"rows": rows, "distinct": distinct, "duplicates": duplicates, "incidents": incidents}


def measure(url: str, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Serve `url` with `pixelview serve`, load it, stop it; return load and stored counts."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PIXELVIEW_DATABASE__URL": url,
        "PIXELVIEW_WORKER__IN_PROCESS": "false",
        "PIXELVIEW_LOGGING__LEVEL": "WARNING",
    }
    log = workdir / "server.log"
    command = [sys.executable, "-m", "pixelview", "serve", "--port", str(port)]
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        _wait_ready(base, server, log)  # the server has migrated the schema by now
        token = _integration_token(url)
        generator = [
            *(sys.executable, "-m", "bench.ingest", "--generate"),
            f"{base}/api/v1/integrations/{token}/alertmanager",
            *("--seconds", str(args.seconds), "--concurrency", str(args.concurrency)),
            *("--batch", str(args.batch), "--duplicate-ratio", str(args.duplicate_ratio)),
            *("--rate", str(args.rate)),
        ]
        done = subprocess.run(generator, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"load generator failed:\n{done.stderr[-4000:]}")
        load: dict[str, Any] = json.loads(done.stdout)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
    if any(status != "202" for status in load["statuses"]):
        print(f"server log, last lines:\n{log.read_text()[-3000:]}")
    return {**load, **_stored(url)}


def report(name: str, r: dict[str, Any]) -> bool:
    """Print one database's figures; True when nothing was lost, miscounted or refused."""
    errors = sum(n for status, n in r["statuses"].items() if status != "202")
    lost = r["unique"] - r["rows"]
    alerts = r["unique"] + r["resent"]
    rows = [
        ("duration", f"{r['elapsed_s']:.1f} s"),
        ("requests", f"{r['requests']} ({errors} errors: {r['statuses']})"),
        ("requests/s", f"{r['requests'] / r['elapsed_s']:.0f}"),
        ("alerts/s (new + resent)", f"{alerts / r['elapsed_s']:.0f}"),
        (
            "latency p50 / p95 / p99 / max",
            f"{r['p50_ms']:.1f} / {r['p95_ms']:.1f} / {r['p99_ms']:.1f} / {r['max_ms']:.0f} ms",
        ),
        ("unique fingerprints sent", str(r["unique"])),
        ("alert rows stored", f"{r['rows']} ({r['distinct']} distinct fingerprints)"),
        ("lost (sent - stored)", str(lost)),
        ("duplicates collapsed", f"{r['resent']} sent, {r['duplicates']} counted"),
        ("incidents", str(r["incidents"])),
    ]
    print(f"\n{name}")
    for label, value in rows:
        print(f"  {label:<30} {value}")
    met = alerts / r["elapsed_s"] >= TARGET_RATE * 0.98 and r["p99_ms"] <= TARGET_P99_MS
    print(
        f"  target (>= {TARGET_RATE} alerts/s sustained, p99 <= {TARGET_P99_MS} ms): "
        + ("met" if met else "not met")
    )
    return bool(errors == 0 and lost == 0 and r["distinct"] == r["rows"] == r["unique"]) and bool(
        r["resent"] == r["duplicates"]
    )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    """Benchmark each database, or with `--generate URL` be the load generator."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--batch", type=int, default=50, help="alerts per webhook body")
    parser.add_argument("--duplicate-ratio", type=float, default=0.3)
    parser.add_argument(
        "--rate",
        type=float,
        default=1000.0,
        help="offered alerts/s, open loop (0: closed loop, as fast as the server answers)",
    )
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--generate", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        options = {k: getattr(args, k) for k in ("seconds", "concurrency", "batch", "rate")}
        result = asyncio.run(
            generate(args.generate, duplicate_ratio=args.duplicate_ratio, **options)
        )
        print(json.dumps(result))
        return
    print(f"machine: {os.cpu_count()} CPUs, {_cpu_model()}, {platform.machine()}")
    print(f"python {platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(
        f"parameters: {args.seconds:g} s, "
        + (f"offered {args.rate:g} alerts/s (open loop), " if args.rate else "closed loop, ")
        + f"concurrency {args.concurrency}, batch {args.batch}, "
        f"duplicate ratio {args.duplicate_ratio:g}"
    )
    names = args.databases.split(",")
    if not set(names) <= {"sqlite", "postgresql"}:
        parser.error("--databases takes sqlite, postgresql or both, comma-separated")
    ok = True
    for name in names:
        print(f"\nload average before {name}: {' '.join(f'{n:.1f}' for n in os.getloadavg())}")
        with tempfile.TemporaryDirectory(prefix="pixelview-bench-") as tmp:
            if name == "sqlite":
                result = measure(f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp), args)
            else:
                with scratch_database(ADMIN_URL, prefix="pixelview_bench") as url:
                    result = measure(url, Path(tmp), args)
        ok = report(name, result) and ok
    print("\nOK: nothing lost, every resend collapsed" if ok else "\nFAILED: see above")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
