"""Escalation lateness: how late each page reaches its receiver, against its step's due time.

A scratch PostgreSQL database gets a webhook channel to a loopback receiver, the policy
`[notify_channel, wait 1 min, notify_channel]` (`--pages 1`: the first step only), a routing
rule for everything and `--incidents` critical incidents, their escalations parked. Then
`--workers` `pixelview worker` processes start and the escalations become due uniformly over
`--spread` s (`sustained`) or all at once (`burst`); the receiver records when each
`X-PixelView-Delivery` arrives. Due time: the one set here for step 1; for step 3, the step-1
tick's `now` (the step-1 delivery's `created_at`) + 1 min. Lateness = arrival - due = decision
(`created_at` - due) + send (arrival - `created_at`: the commit of the tick's batch of steps,
the claim of a batch of `notification.deliver` jobs, the post). Duplicates: a delivery received
twice, two deliveries for one (incident, step), one recorded as sent twice, an escalation
timeline entry twice or unexpected. Exits 1 on a duplicate or a missing page.

`--escalation-batch`, `--delivery-batch` and `--send-concurrency` set the workers'
`worker.escalation_batch`, `worker.delivery_batch` and `notify.send_concurrency`; left out,
the workers use their defaults (10, 20 and 8).

    .venv/bin/python -m bench.escalation [--incidents 10000] [--spread 60] [--workers 2]
        [--concurrency 8] [--poll 0.1] [--pages 2] [--modes sustained,burst]
        [--escalation-batch N] [--delivery-batch N] [--send-concurrency N]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
from pydantic import SecretStr

from connectors.notify.webhook.client import DELIVERY_HEADER
from core.clock import SystemClock
from core.crypto import SecretBox
from core.db.engine import make_engine, make_session_factory
from core.db.migrate import upgrade
from incidents.alerts.schema import AlertIn, AlertState, Severity, Source
from incidents.escalation.policies import RoutingRuleCreate, create_policy, create_rule
from incidents.escalation.policy import PolicySpec
from incidents.ingest import IngestService
from incidents.integrations import IntegrationCreate, create_integration
from incidents.models.notification import ChannelKind
from incidents.notifications.contacts import ChannelCreate, create_channel
from lab.servers.postgres import admin_conninfo, scratch_database
from pixelview.schema import model_metadata

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SECRET_KEY = "bench-escalation-secret-key-0123456789ab"  # 40 chars, the workers' too
WAIT = timedelta(minutes=1)


class Receiver(ThreadingHTTPServer):
    """A webhook endpoint that records `(delivery key, arrival time)` of each POST."""

    daemon_threads = True
    request_queue_size = 1024  # the default backlog of 5 drops SYNs under bursts

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Hook)
        self.arrivals: list[tuple[str, float]] = []

    @property
    def url(self) -> str:
        """Where the channel posts."""
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Hook(BaseHTTPRequestHandler):
    server: Receiver
    protocol_version = "HTTP/1.1"  # keep-alive, as real receivers offer

    def do_POST(self) -> None:
        arrived = time.time()
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.arrivals.append((self.headers.get(DELIVERY_HEADER, ""), arrived))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: ARG002
        return


def prepare(url: str, *, incidents: int, pages: int, hook: str) -> None:
    """Migrate, create channel, policy, rule and integration, ingest the incidents, park them."""
    model_metadata()
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    now = datetime.now(UTC)
    with sessions() as session:
        channel = create_channel(
            session,
            ChannelCreate(
                name="bench", kind=ChannelKind.WEBHOOK, address=hook, secret=SecretStr("s" * 32)
            ),
            SecretBox(SECRET_KEY),
            now=now,
            actor="bench",
        )
        notify = {"type": "notify_channel", "channel_id": str(channel.id)}
        wait = {"type": "wait", "minutes": WAIT.seconds // 60}
        steps = [notify, *[wait, notify] * (pages - 1)]
        spec = PolicySpec.model_validate({"name": "bench", "steps": steps})
        policy = create_policy(session, spec, now=now, actor="bench")
        create_rule(
            session,
            RoutingRuleCreate(name="all", position=0, policy_id=policy.id),
            now=now,
            actor="bench",
        )
        integration, _ = create_integration(
            session, IntegrationCreate(name="bench", source=Source.GENERIC), now=now, actor="bench"
        )
        session.commit()
    ingest = IngestService(sessions, SystemClock(), triage=False)
    for first in range(0, incidents, 500):
        alerts = [
            AlertIn(
                source=Source.GENERIC,
                fingerprint=f"bench-{n}",
                status=AlertState.FIRING,
                severity=Severity.CRITICAL,
                summary=f"bench-{n} is down",
            )
            for n in range(first, min(first + 500, incidents))
        ]
        ingest.ingest(integration.id, alerts)
    engine.dispose()
    with psycopg.connect(admin_conninfo(url)) as conn:
        conn.execute("UPDATE escalations SET next_step_at = NULL")  # parked until `schedule`


def schedule(url: str, *, spread: float, rng: random.Random) -> dict[int, datetime]:
    """Make every escalation due at 1 s from now + uniform(0, spread); return the due times."""
    with psycopg.connect(admin_conninfo(url)) as conn:
        ids = [r[0] for r in conn.execute("SELECT incident_id FROM escalations ORDER BY 1")]
        start = datetime.now(UTC) + timedelta(seconds=1)
        dues = {i: start + timedelta(seconds=rng.uniform(0, spread)) for i in ids}
        conn.execute(
            "UPDATE escalations e SET next_step_at = v.due"
            " FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(id, due)"
            " WHERE e.incident_id = v.id",
            (list(dues), list(dues.values())),
        )
    return dues


def start_workers(url: str, args: argparse.Namespace, log: Path) -> list[subprocess.Popen[bytes]]:
    """Start the worker processes and wait until each has connected (libpq's `PGAPPNAME`)."""
    env = {
        **os.environ,
        "PIXELVIEW_DATABASE__URL": url,
        "PIXELVIEW_WORKER__POLL_INTERVAL_S": str(args.poll),
        "PIXELVIEW_LOGGING__LEVEL": "WARNING",
        "PIXELVIEW_SECURITY__SECRET_KEY": SECRET_KEY,
    }
    tuning = {
        "PIXELVIEW_WORKER__ESCALATION_BATCH": args.escalation_batch,
        "PIXELVIEW_WORKER__DELIVERY_BATCH": args.delivery_batch,
        "PIXELVIEW_NOTIFY__SEND_CONCURRENCY": args.send_concurrency,
    }
    env |= {name: str(value) for name, value in tuning.items() if value is not None}
    command = [sys.executable, "-m", "pixelview", "worker", "--concurrency", str(args.concurrency)]
    with log.open("ab") as out:
        workers = [
            subprocess.Popen(
                command,
                env={**env, "PGAPPNAME": f"bench-worker-{n}"},
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
            for n in range(args.workers)
        ]
    query = (
        "SELECT count(DISTINCT application_name) FROM pg_stat_activity"
        " WHERE datname = current_database() AND application_name LIKE 'bench-worker-%'"
    )
    deadline = time.monotonic() + 60
    with psycopg.connect(admin_conninfo(url), autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(query).fetchone()
            if row and row[0] == args.workers:
                time.sleep(2)  # let them settle into their loops
                return workers
            if any(w.poll() is not None for w in workers):
                break
            time.sleep(0.2)
    stop(workers)
    raise SystemExit(f"workers did not start:\n{log.read_text()[-4000:]}")


def stop(workers: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each worker and wait for it (SIGKILL after 30 s)."""
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(10)


def collect(url: str) -> tuple[list[tuple[int, str, datetime]], dict[str, int]]:
    """The deliveries `(incident, key, created_at)` and the database's duplicate counts."""
    checks = {
        "sent twice (timeline)": "SELECT data->>'delivery_id' FROM timeline_entries"
        " WHERE kind = 'notification_sent' GROUP BY 1 HAVING count(*) > 1",
        "escalation entry twice": "SELECT incident_id, summary FROM timeline_entries"
        " WHERE kind = 'escalation' GROUP BY 1, 2 HAVING count(*) > 1",
        "escalation entry unexpected": "SELECT summary FROM timeline_entries"
        " WHERE kind = 'escalation' AND summary NOT LIKE 'escalating with policy %'"
        " AND summary <> 'escalation policy finished'",
    }
    with psycopg.connect(admin_conninfo(url)) as conn:
        rows = conn.execute("SELECT incident_id, idempotency_key, created_at FROM deliveries")
        deliveries = [(int(i), str(k), c) for i, k, c in rows]
        counts = {name: len(conn.execute(sql.encode()).fetchall()) for name, sql in checks.items()}
    return deliveries, counts


def quantiles(values: list[float]) -> str:
    """`p50 / p95 / p99 / max` in seconds."""
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return f"{cuts[49]:6.2f} / {cuts[94]:6.2f} / {cuts[98]:6.2f} / {max(values):6.2f}"


Sample = tuple[float, float, float, float]
"""Lateness, decision and send seconds, and the arrival time of one page."""


def _step(key: str) -> int:
    return int(key.split(":")[4])  # esc:<incident>:<epoch>:<loops>:<step index>:<channel>


def samples(
    dues: dict[int, datetime], first: dict[str, float], deliveries: list[tuple[int, str, datetime]]
) -> dict[str, list[Sample]]:
    """Each received page's figures, by policy step and all together."""
    created = {(incident, _step(key)): at for incident, key, at in deliveries}
    found: dict[str, list[Sample]] = {"all": []}
    for incident, key, made in deliveries:
        step = _step(key)
        due = dues[incident] if step == 0 else created[(incident, step - 2)] + WAIT
        if key in first:
            arrived, decided = first[key], made.timestamp()
            sample = (arrived - due.timestamp(), decided - due.timestamp(), arrived - decided)
            found.setdefault(f"step {step + 1}", []).append((*sample, arrived))
            found["all"].append((*sample, arrived))
    return found


def analyse(
    dues: dict[int, datetime],
    arrivals: list[tuple[str, float]],
    deliveries: list[tuple[int, str, datetime]],
    counts: dict[str, int],
    expected: int,
) -> bool:
    """Print lateness per step and the duplicate counts; True when none is missing or doubled."""
    received = Counter(key for key, _ in arrivals)
    first: dict[str, float] = {}
    for key, at in arrivals:
        first[key] = min(at, first.get(key, at))
    found = samples(dues, first, deliveries)
    missing = expected - len(found["all"])
    per_step = Counter((incident, _step(key)) for incident, key, _ in deliveries)
    counts = {
        "received twice": sum(n - 1 for n in received.values() if n > 1),
        "(incident, step) > 1 delivery": sum(1 for n in per_step.values() if n > 1),
        **counts,
    }
    print(f"  pages received {len(first)} of {expected} (missing {missing})")
    print(f"  {'seconds: p50 / p95 / p99 / max':<42}{'pages':>8}{'pages/s':>9}")
    for name in sorted(found, key=lambda s: (s == "all", s)):
        rows = found[name]
        if not rows or (name == "all" and len(found) == 2):
            continue
        ends = [r[3] for r in rows]
        rate = f"{len(rows) / max(max(ends) - min(ends), 1e-9):.0f}" if name != "all" else "-"
        print(f"  {name:<42}{len(rows):>8}{rate:>9}")
        for index, label in enumerate(("lateness", "decision", "send")):
            print(f"    {label:<10}{quantiles([r[index] for r in rows])}")
    print("  duplicates: " + ", ".join(f"{name} {n}" for name, n in counts.items()))
    return missing == 0 and not any(counts.values())


def run(mode: str, args: argparse.Namespace, rng: random.Random) -> bool:
    """One variant on a fresh database; True when it passed."""
    spread = args.spread if mode == "sustained" else 0.0
    rate = f"~{args.incidents / spread:.0f}/s" if spread else "all at once"
    print(f"\n{mode}: {args.incidents} incidents due over {spread:g} s ({rate})")
    print(f"  load average before: {' '.join(f'{n:.1f}' for n in os.getloadavg())}")
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    with (
        scratch_database(ADMIN_URL, prefix="pixelview_bench") as url,
        tempfile.TemporaryDirectory(prefix="pixelview-bench-") as tmp,
    ):
        began = time.monotonic()
        prepare(url, incidents=args.incidents, pages=args.pages, hook=receiver.url)
        print(f"  setup (migrate, ingest) {time.monotonic() - began:.0f} s")
        log = Path(tmp) / "workers.log"
        workers = start_workers(url, args, log)
        try:
            dues = schedule(url, spread=spread, rng=rng)
            expected = args.incidents * args.pages
            deadline = time.monotonic() + spread + WAIT.seconds * args.pages + args.timeout
            while len({k for k, _ in receiver.arrivals}) < expected:
                if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
                    print("  stopped waiting (timeout, or a worker exited):")
                    print(log.read_text()[-2000:])
                    break
                time.sleep(0.5)
            time.sleep(2)  # a late duplicate would arrive now
        finally:
            stop(workers)
            receiver.shutdown()
        deliveries, counts = collect(url)
    print(f"  load average after: {' '.join(f'{n:.1f}' for n in os.getloadavg())}")
    return analyse(dues, list(receiver.arrivals), deliveries, counts, expected)


def _cpu_model() -> str:
    info = Path("/proc/cpuinfo")
    lines = info.read_text().splitlines() if info.exists() else []
    return next((x.split(":", 1)[1].strip() for x in lines if x.startswith("model name")), "?")


def main() -> None:
    """Run each variant and print its figures; exit 1 on a duplicate or a missing page."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds (sustained)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8, help="threads per worker")
    parser.add_argument("--poll", type=float, default=0.1, help="worker.poll_interval_s")
    parser.add_argument("--pages", type=int, default=2, help="paging steps, 1 min apart")
    parser.add_argument("--modes", default="sustained,burst")
    parser.add_argument("--timeout", type=float, default=600.0, help="extra seconds to wait")
    parser.add_argument("--escalation-batch", type=int, help="worker.escalation_batch")
    parser.add_argument("--delivery-batch", type=int, help="worker.delivery_batch")
    parser.add_argument("--send-concurrency", type=int, help="notify.send_concurrency")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {_cpu_model()}")
    print(f"python {platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(
        f"parameters: {args.incidents} incidents, {args.pages} notify_channel step(s) 1 min "
        f"apart to a loopback webhook, {args.workers} workers x {args.concurrency} threads, "
        f"poll interval {args.poll:g} s"
    )
    tuned = [
        f"{name} {value}"
        for name, value in (
            ("escalation batch", args.escalation_batch),
            ("delivery batch", args.delivery_batch),
            ("send concurrency", args.send_concurrency),
        )
        if value is not None
    ]
    print("tuning: " + (", ".join(tuned) if tuned else "the workers' defaults"))
    rng = random.Random(1)
    results = [run(mode, args, rng) for mode in args.modes.split(",")]
    ok = all(results)
    print("\nOK: every page arrived, none twice" if ok else "\nFAILED: see above")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
