"""Plausible log lines of the lab's apps, one style per kind of program.

A line is a pure function of (seed, pod, container, instant): the lab writes the lines of any
time window without keeping state, so advancing the clock twice by 30 minutes writes exactly
what advancing once by an hour writes. Faults replace a container's source with their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from lab.world.randomness import Keyed

LogSource = Callable[[Keyed, tuple[str, ...], datetime], str]
"""Writes the line of a container (keyed by namespace, pod, container) at an instant."""


_PATHS = {
    "shop": ("/", "/products", "/products/{id}", "/cart", "/checkout", "/static/app.js"),
    "payments": ("/v1/payments", "/v1/payments/{id}", "/v1/refunds", "/healthz"),
    "platform": ("/", "/shop/", "/api/cart", "/api/checkout"),
}
_AGENTS = ("Mozilla/5.0 (X11; Linux x86_64)", "kube-probe/1.30", "curl/8.5.0", "Go-http-client/2.0")
_DNS_NAMES = (
    "api.payments.svc.cluster.local.",
    "ledger.payments.svc.cluster.local.",
    "redis.shop.svc.cluster.local.",
    "db-payments-01.lab.internal.",
    "catalog.shop.svc.cluster.local.",
)


def _status(rng: Keyed, key: tuple[str, ...], at: datetime) -> int:
    draw = rng.unit("status", *key, at.isoformat())
    return 500 if draw < 0.002 else 404 if draw < 0.02 else 201 if draw < 0.1 else 200


def _path(rng: Keyed, key: tuple[str, ...], at: datetime) -> str:
    path = rng.choice(_PATHS.get(key[0], ("/",)), "path", *key, at.isoformat())
    return path.replace("{id}", str(rng.integer(1000, 99999, "id", *key, at.isoformat())))


def nginx(rng: Keyed, key: tuple[str, ...], at: datetime) -> str:
    """An nginx combined access log line with request time."""
    stamp = at.strftime("%d/%b/%Y:%H:%M:%S +0000")
    client = f"10.244.{rng.integer(0, 6, 'ip', *key, stamp)}.{rng.integer(2, 250, 'ip2', stamp)}"
    method = "POST" if rng.chance(0.15, "method", *key, stamp) else "GET"
    size = rng.integer(120, 48000, "size", *key, stamp)
    agent = rng.choice(_AGENTS, "agent", *key, stamp)
    took = rng.uniform(0.001, 0.25, "took", *key, stamp)
    status = _status(rng, key, at)
    return (
        f'{client} - - [{stamp}] "{method} {_path(rng, key, at)} HTTP/1.1" {status} {size} '
        f'"-" "{agent}" {took:.3f}'
    )


def json_app(rng: Keyed, key: tuple[str, ...], at: datetime) -> str:
    """A structured JSON line of a web service."""
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
    status = _status(rng, key, at)
    level = "error" if status >= 500 else "info"
    took = rng.integer(2, 180, "took", *key, stamp)
    method = "POST" if rng.chance(0.3, "method", *key, stamp) else "GET"
    trace = rng.hex(16, "trace", *key, stamp)
    return (
        f'{{"ts":"{stamp}","level":"{level}","msg":"request completed","method":"{method}",'
        f'"path":"{_path(rng, key, at)}","status":{status},"duration_ms":{took},'
        f'"trace_id":"{trace}"}}'
    )


def worker(rng: Keyed, key: tuple[str, ...], at: datetime) -> str:
    """A batch worker's plain line."""
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    size = rng.integer(1, 120, "batch", *key, stamp)
    took = rng.uniform(0.05, 2.5, "took", *key, stamp)
    return f"{stamp} INFO  settlement batch processed size={size} duration={took:.2f}s"


def coredns(rng: Keyed, key: tuple[str, ...], at: datetime) -> str:
    """A CoreDNS query log line."""
    stamp = at.isoformat()
    name = rng.choice(_DNS_NAMES, "name", *key, stamp)
    port = rng.integer(32768, 60999, "port", *key, stamp)
    qid = rng.integer(1, 65535, "qid", *key, stamp)
    took = rng.uniform(0.00005, 0.002, "took", *key, stamp)
    client = f"10.244.{rng.integer(0, 6, 'ip', *key, stamp)}.{rng.integer(2, 250, 'ip2', stamp)}"
    return (
        f'[INFO] {client}:{port} - {qid} "A IN {name} udp 62 false 512" NOERROR qr,aa,rd 106 '
        f"{took:.6f}s"
    )


def redis(rng: Keyed, key: tuple[str, ...], at: datetime) -> str:
    """A Redis server log line (background saves)."""
    stamp = at.strftime("%d %b %Y %H:%M:%S.") + f"{at.microsecond // 1000:03d}"
    changes = rng.integer(100, 5000, "changes", *key, at.isoformat())
    return f"1:M {stamp} * {changes} changes in 60 seconds. Saving..."


def klog(rng: Keyed, key: tuple[str, ...], at: datetime) -> str:
    """A klog line of a Kubernetes controller."""
    stamp = at.strftime("%m%d %H:%M:%S.") + f"{at.microsecond:06d}"
    line = rng.integer(100, 900, "line", *key, at.isoformat())
    return f'I{stamp}       1 controller.go:{line}] "certificate is up to date" key="shop/tls"'


STYLES: dict[str, LogSource] = {
    "nginx": nginx,
    "json": json_app,
    "worker": worker,
    "coredns": coredns,
    "redis": redis,
    "klog": klog,
}


def line_times(
    rng: Keyed, key: tuple[str, ...], every: timedelta, start: datetime, end: datetime
) -> Iterator[datetime]:
    """Instants of a container's lines in `[start, end)`: one per `every`, jittered, in order."""
    step = every.total_seconds()
    first = int((start.timestamp() - step) // step)
    last = int(end.timestamp() // step) + 1
    for slot in range(first, last + 1):
        offset = rng.uniform(0.0, step, "line", *key, slot)
        at = datetime.fromtimestamp(slot * step + round(offset, 3), tz=start.tzinfo)
        if start <= at < end:
            yield at
