"""Memory store: ingest rate and search latency, embedded and on a `chroma run` server.

For each mode, a fresh store (a temp folder; a `chroma run` on loopback in a temp
folder) ingests `--chunks` runbook chunks through `upsert_runbook`, the product's
path: parse-free synthetic runbooks of 10 sections each are chunked, embedded by
the offline embedder and stored, so the rate includes embedding. The runbooks'
text is generated from varied vocabulary (clouds, kinds, alerts, symptoms,
commands, numbers), one chunk per section. Then `--queries` searches run one after
the other, a third of them with a cloud filter and a fifth naming an alert, and
their latency (query embedding included) is reported as p50 / p95 / p99 / max.

    .venv/bin/python -m bench.memory [--chunks 10000] [--queries 300]
                                     [--modes embedded,server] [--threads N]
    .venv/bin/python -m bench.memory --threshold-report

`--threshold-report` prints, for the labelled queries of
tests/fixtures/runbook_queries.yaml over tests/fixtures/runbooks/, the best score of
each query and whether it found the expected runbook: the measurements the default
`memory.threshold` was chosen on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

import yaml

from core.clock import SystemClock
from lab.servers.chroma import chroma_server
from memory.chroma import ChromaMemoryStore, embedded_client, server_client
from memory.embedder import Embedder
from memory.ingest import ingest_folder
from memory.models import AppliesTo, Category, Cloud, Runbook, RunbookFilters, RunbookSection
from memory.retrieval import DEFAULT_INCIDENT_THRESHOLD, DEFAULT_THRESHOLD

TARGET_P95_MS = 50
SECTIONS = 10
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"

CLOUDS: dict[str, dict[str, list[str]]] = {
    "kubernetes": {
        "kinds": ["Deployment", "Pod", "Node", "StatefulSet", "DaemonSet", "Service", "Ingress"],
        "alerts": [
            "KubePodCrashLooping",
            "KubePodNotReady",
            "KubeNodeNotReady",
            "CoreDNSErrorsHigh",
            "KubeletNotReady",
            "KubeDeploymentReplicasMismatch",
            "KubePersistentVolumeFillingUp",
            "KubeCPUOvercommit",
        ],
        "things": [
            "pod",
            "container",
            "node",
            "kubelet",
            "deployment",
            "replica set",
            "ingress controller",
            "CoreDNS",
            "persistent volume claim",
            "namespace",
        ],
    },
    "openstack": {
        "kinds": ["Server", "Hypervisor", "Volume", "Project", "Network", "Port"],
        "alerts": [
            "OpenStackInstanceError",
            "OpenStackNovaComputeDown",
            "OpenStackProjectQuotaExhausted",
            "OpenStackVolumeStuckAttaching",
            "OpenStackNeutronAgentDown",
        ],
        "things": [
            "server",
            "hypervisor",
            "nova-compute",
            "cinder volume",
            "neutron port",
            "project quota",
            "flavor",
            "floating IP",
            "security group",
            "image",
        ],
    },
    "vsphere": {
        "kinds": ["VirtualMachine", "HostSystem", "Datastore", "ClusterComputeResource"],
        "alerts": [
            "VSphereHostDisconnected",
            "VSphereDatastoreSpaceLow",
            "VSphereVmCpuReadyHigh",
            "VSphereHostMaintenance",
        ],
        "things": [
            "virtual machine",
            "ESXi host",
            "datastore",
            "vCenter",
            "snapshot",
            "DRS cluster",
            "vMotion",
            "HA agent",
            "distributed switch",
            "VMFS volume",
        ],
    },
}
CLOUD_NAMES: tuple[Cloud, ...] = get_args(Cloud)
CATEGORIES: list[Category] = list(get_args(Category))
SYMPTOMS = [
    "is not ready",
    "keeps restarting",
    "fails its health check",
    "runs out of memory",
    "is unreachable",
    "reports high latency",
    "is stuck in a pending state",
    "returns errors to clients",
    "loses its network connection",
    "fills its disk",
    "is throttled on CPU",
    "cannot be scheduled",
    "times out on start-up",
    "is powered off unexpectedly",
    "loses quorum",
    "rejects new connections",
]
CAUSES = [
    "a configuration change",
    "an expired certificate",
    "a full disk",
    "a memory leak",
    "a lowered resource limit",
    "a failed upgrade",
    "a network partition",
    "a DNS misconfiguration",
    "an exhausted quota",
    "a hardware fault",
    "an overloaded host",
    "a bad image tag",
    "a missing secret",
    "a firewall rule",
]
ACTIONS = [
    "check the events of",
    "read the logs of",
    "compare the limits of",
    "restart",
    "roll back",
    "drain",
    "cordon",
    "migrate",
    "resize",
    "reconnect",
    "raise the quota of",
    "delete old snapshots of",
    "scale out",
    "describe",
]
TOOLS = ["kubectl", "openstack", "govc"]
VERBS = ["get", "show", "describe", "logs", "events"]
HEADINGS = [
    "Symptoms",
    "Impact",
    "Checks",
    "Diagnosis",
    "Logs",
    "Metrics",
    "Remediation",
    "Rollback",
    "Escalation",
    "Prevention",
]


def _sentence(rng: random.Random, cloud: str) -> str:
    vocab = CLOUDS[cloud]
    thing = rng.choice(vocab["things"])
    kind = rng.choice(
        [
            f"The {thing} {rng.choice(SYMPTOMS)} after {rng.choice(CAUSES)}.",
            f"{rng.choice(ACTIONS).capitalize()} the {thing} named {rng.choice('abcdefgh')}"
            f"{rng.randrange(100)} and look for {rng.choice(CAUSES)}.",
            f"When {rng.choice(vocab['alerts'])} fires, the {thing} usually "
            f"{rng.choice(SYMPTOMS)}.",
            f"Usage above {rng.randrange(50, 100)} % for {rng.randrange(2, 60)} minutes means "
            f"the {thing} {rng.choice(SYMPTOMS)}.",
            f"Run `{rng.choice(TOOLS)} {rng.choice(VERBS)} {thing.replace(' ', '-')}` and "
            "compare it with the last known good state.",
        ]
    )
    return kind


def synthetic_runbook(index: int, rng: random.Random) -> Runbook:
    """One runbook of `SECTIONS` sections of 40-80 words each."""
    cloud = rng.choice(CLOUD_NAMES)
    vocab = CLOUDS[cloud]
    title = (
        f"{rng.choice(vocab['things']).capitalize()} {rng.choice(SYMPTOMS)} "
        f"after {rng.choice(CAUSES)} ({index})"
    )
    sections = []
    for heading in HEADINGS[:SECTIONS]:
        words: list[str] = []
        while len(words) < rng.randrange(40, 80):
            words += _sentence(rng, cloud).split()
        sections.append(RunbookSection(heading=heading, body=" ".join(words)))
    markdown = f"# {title}\n\n" + "\n\n".join(f"## {s.heading}\n\n{s.body}" for s in sections)
    return Runbook(
        id=f"bench-{index:05d}",
        title=title,
        applies_to=AppliesTo(
            cloud=cloud,
            kinds=tuple(rng.sample(vocab["kinds"], 2)),
            alerts=tuple(rng.sample(vocab["alerts"], 2)),
            categories=tuple(rng.sample(CATEGORIES, 1)),
        ),
        tags=(cloud, rng.choice(["memory", "disk", "network", "cpu", "dns", "storage"])),
        sections=tuple(sections),
        markdown=markdown,
        source=f"bench/{index:05d}.md",
    )


def synthetic_queries(count: int, rng: random.Random) -> list[tuple[str, RunbookFilters | None]]:
    """Searches: prose, some naming an alert, a third filtered by cloud."""
    queries: list[tuple[str, RunbookFilters | None]] = []
    for i in range(count):
        cloud = rng.choice(CLOUD_NAMES)
        text = _sentence(rng, cloud)
        if i % 5 == 0:
            text = f"{rng.choice(CLOUDS[cloud]['alerts'])}: {text}"
        filters = RunbookFilters(cloud=cloud) if i % 3 == 0 else None
        queries.append((text, filters))
    return queries


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@contextmanager
def store_for(mode: str, workdir: Path, embedder: Embedder) -> Iterator[ChromaMemoryStore]:
    options: dict[str, Any] = {
        "embedder": embedder,
        "clock": SystemClock(),
        "threshold": DEFAULT_THRESHOLD,
        "incident_threshold": DEFAULT_INCIDENT_THRESHOLD,
        "timeout_s": 120,
    }
    if mode == "embedded":
        yield ChromaMemoryStore(embedded_client(workdir / "chroma"), where="embedded", **options)
        return
    with chroma_server(workdir=workdir / "server") as server:
        yield ChromaMemoryStore(server_client(server.host, server.port), where="server", **options)


async def measure(
    store: ChromaMemoryStore, runbooks: list[Runbook], queries: list[Any]
) -> dict[str, Any]:
    await store.check()
    start = time.perf_counter()
    chunks = 0
    for runbook in runbooks:
        chunks += (await store.upsert_runbook(runbook)).chunks
    ingest_s = time.perf_counter() - start
    for text, filters in queries[:10]:  # warm-up, not counted
        await store.search_runbooks(text, filters=filters)
    load = os.getloadavg()[0]
    latencies: list[float] = []
    empty = 0
    for text, filters in queries:
        t0 = time.perf_counter()
        found = await store.search_runbooks(text, filters=filters, k=5)
        latencies.append((time.perf_counter() - t0) * 1000)
        empty += found.no_good_match
    return {
        "chunks": chunks,
        "ingest_s": ingest_s,
        "latencies": latencies,
        "no_good_match": empty,
        "load_at_searches": load,
    }


def embed_figures(embedder: Embedder, runbooks: list[Runbook]) -> tuple[float, float]:
    """The embedder alone: chunks per second over 1,000 chunks, and one query's p50 in ms."""
    texts = [f"{r.title}\n\n{s.body}" for r in runbooks[:100] for s in r.sections]
    t0 = time.perf_counter()
    embedder.embed(texts)
    rate = len(texts) / (time.perf_counter() - t0)
    one = []
    for text in texts[:100]:
        t1 = time.perf_counter()
        embedder.embed_one(text[:120])
        one.append((time.perf_counter() - t1) * 1000)
    return rate, statistics.median(one)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = "?"
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} CPUs "
        f"({cpu}), Python {platform.python_version()}, commit {commit or '?'}"
    )


def run_benchmark(args: argparse.Namespace) -> int:
    rng = random.Random(7)
    runbooks = [synthetic_runbook(i, rng) for i in range(args.chunks // SECTIONS)]
    queries = synthetic_queries(args.queries, random.Random(11))
    embedder = Embedder(threads=args.threads)
    embedder.load()
    print(machine())
    rate, one_ms = embed_figures(embedder, runbooks)
    print(
        f"embedder alone: {rate:.0f} chunks/s (batches of {embedder.batch_size}); "
        f"one query {one_ms:.1f} ms (p50)"
    )
    met = True
    for mode in args.modes.split(","):
        load = os.getloadavg()[0]
        with tempfile.TemporaryDirectory(prefix=f"bench-memory-{mode}-") as tmp:
            with store_for(mode, Path(tmp), embedder) as store:
                result = asyncio.run(measure(store, runbooks, queries))
        lat = result["latencies"]
        p50, p95, p99 = (percentile(lat, q) for q in (0.5, 0.95, 0.99))
        print(
            f"{mode:8s}: ingest {result['chunks']:,} chunks in {result['ingest_s']:.1f} s = "
            f"{result['chunks'] / result['ingest_s']:.0f} chunks/s; "
            f"{len(lat)} searches p50 {p50:.1f} / p95 {p95:.1f} / p99 {p99:.1f} / "
            f"max {max(lat):.1f} ms; no good match {result['no_good_match']}; "
            f"load before {load:.2f}, at the searches {result['load_at_searches']:.2f}, "
            f"after {os.getloadavg()[0]:.2f}"
        )
        if mode == "embedded":
            met = p95 <= TARGET_P95_MS
            print(f"target p95 <= {TARGET_P95_MS} ms embedded: {'met' if met else 'NOT met'}")
    return 0 if met else 1


async def threshold_report() -> int:
    queries = yaml.safe_load((FIXTURES / "runbook_queries.yaml").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="bench-memory-threshold-") as tmp:
        store = ChromaMemoryStore(
            embedded_client(Path(tmp)),
            where="embedded",
            embedder=Embedder(),
            clock=SystemClock(),
            threshold=-2,  # keep every candidate: the scores are what is measured
            incident_threshold=-1,
        )
        await ingest_folder(store, FIXTURES / "runbooks")
        positives: list[float] = []
        negatives: list[float] = []
        wrong = 0
        for case in queries:
            found = await store.search_runbooks(case["query"], k=1)
            top = found.hits[0]
            expected = case["expect"]
            if expected is None:
                negatives.append(top.score)
                verdict = "none expected"
            else:
                positives.append(top.score)
                verdict = "right" if top.runbook_id == expected else f"WRONG ({expected})"
                wrong += top.runbook_id != expected
            print(
                f"{top.score:6.3f} (cos {top.similarity:.3f} + {top.boost:.2f}) "
                f"{top.runbook_id:28s} {verdict:14s} {case['query'][:70]}"
            )
    print(
        f"expected runbook first: {len(positives) - wrong}/{len(positives)}; lowest score of "
        f"those {min(positives):.3f}; highest score of the {len(negatives)} queries with no "
        f"runbook {max(negatives):.3f}; threshold {DEFAULT_THRESHOLD}"
    )
    separated = max(negatives) < DEFAULT_THRESHOLD <= min(positives)
    return 0 if separated and not wrong else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--modes", default="embedded,server")
    parser.add_argument("--threads", type=int, default=None, help="embedder threads")
    parser.add_argument("--threshold-report", action="store_true")
    args = parser.parse_args()
    if args.threshold_report:
        return asyncio.run(threshold_report())
    return run_benchmark(args)


if __name__ == "__main__":
    raise SystemExit(main())
