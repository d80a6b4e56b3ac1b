"""Faults apps feel through their dependencies: name resolution, a database VM, CPU contention.

Apps name their dependencies in their ConfigMaps (`workloads.py`): `DATABASE_URL` points at
`db-payments-01.lab.internal`, a VM on vSphere. These faults find the apps that depend on the
broken thing through that configuration and change what their pods log, so the evidence
points from the symptom (errors in `payments/api`) down the links to the cause.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lab.faults.node_failure import fail_node
from lab.kube.store import JsonObject
from lab.world.app_logs import STYLES, LogSource
from lab.world.metrics.catalog import parse_ts
from lab.world.metrics.overlays import Climb, Hold, Overlay, Ramp
from lab.world.randomness import Keyed
from lab.world.workloads import APPS, App
from lab.world.world import World

UPSTREAM_DNS = "10.20.0.2"
"""The estate's DNS server that CoreDNS forwards `lab.internal` names to."""


def dependents(host: str) -> list[App]:
    """Apps whose configuration names `host`."""
    return [a for a in APPS if any(host in value for value in a.config.values())]


def _errors(error: LogSource, normal: LogSource, share: float) -> LogSource:
    """A source that writes `error(at)` lines for `share` of its lines, else normal ones."""

    def source(rng: Keyed, key: tuple[str, ...], at: datetime) -> str:
        if rng.chance(share, "fault-line", *key, at.isoformat()):
            return error(rng, key, at)
        return normal(rng, key, at)

    return source


def _json_error(message: str, error: str) -> LogSource:
    def line(rng: Keyed, key: tuple[str, ...], at: datetime) -> str:
        stamp = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
        trace = rng.hex(16, "trace", *key, stamp)
        return (
            f'{{"ts":"{stamp}","level":"error","msg":"{message}","error":"{error}",'
            f'"status":503,"trace_id":"{trace}"}}'
        )

    return line


def dns_failure(world: World, target: dict[str, str], params: dict[str, Any]) -> None:
    """CoreDNS cannot reach its upstream server: `lab.internal` names stop resolving.

    CoreDNS logs the forwarding timeouts and answers those queries SERVFAIL
    (`coredns_dns_responses_total{rcode="SERVFAIL"}` climbs by `servfail_per_second` on each
    of its pods, new ones too); every app whose configuration names a `lab.internal` host logs
    failed lookups (and answers 503) instead of most of its requests. Cluster names
    (`*.svc.cluster.local`) still resolve.
    """
    del target
    upstream = str(params.get("upstream", UPSTREAM_DNS))
    servfails = UpstreamUnreachable(float(params.get("servfail_per_second", 8.0)))
    coredns_pods = world.kube.list("pods", "kube-system", label_selector="app=coredns")
    for pod in coredns_pods:
        servfails.answer(world, pod["metadata"]["name"], world.now())
    world.pod_hooks.append(servfails)
    pod_ips = {p["metadata"]["name"]: p["status"].get("podIP", "") for p in coredns_pods}

    def coredns(rng: Keyed, key: tuple[str, ...], at: datetime) -> str:
        name = rng.choice(
            ("db-payments-01.lab.internal.", "db-payments-02.lab.internal."),
            "dns-name",
            *key,
            at.isoformat(),
        )
        port = rng.integer(32768, 60999, "port", *key, at.isoformat())
        return (
            f"[ERROR] plugin/errors: 2 {name} A: read udp {pod_ips.get(key[1], '10.244.0.2')}:"
            f"{port}->{upstream}:53: i/o timeout"
        )

    world.logs.overrides[("kube-system", "coredns")] = _errors(coredns, STYLES["coredns"], 0.7)
    affected = {(a.namespace, a.name): a for h in _internal_hosts() for a in dependents(h)}
    for app in affected.values():
        host = next(h for h in _internal_hosts() if h in " ".join(app.config.values()))
        error = _json_error(
            "database connection failed",
            f"dial tcp: lookup {host} on 10.96.0.10:53: server misbehaving",
        )
        world.logs.overrides[(app.namespace, app.name)] = _errors(error, STYLES[app.log_style], 0.8)


@dataclass(frozen=True)
class UpstreamUnreachable:
    """Pod hook: a CoreDNS pod started while the upstream is unreachable answers SERVFAIL too."""

    per_second: float

    def __call__(self, world: World, pod: JsonObject) -> None:
        """SERVFAIL answers from the start of a new CoreDNS pod."""
        meta = pod["metadata"]
        if meta["namespace"] == "kube-system" and meta.get("labels", {}).get("app") == "coredns":
            self.answer(world, meta["name"], parse_ts(meta["creationTimestamp"]))

    def answer(self, world: World, pod: str, since: datetime) -> None:
        """The pod's SERVFAIL counter climbs from `since` on."""
        match = {"__name__": "coredns_dns_responses_total", "pod": pod, "rcode": "SERVFAIL"}
        world.metrics.overlay(
            Overlay(match, since, Climb(self.per_second), reason="k8s.dns_failure")
        )


def _internal_hosts() -> list[str]:
    hosts = set()
    for app in APPS:
        for value in app.config.values():
            for part in value.replace("/", " ").replace("@", " ").replace(":", " ").split():
                if part.endswith(".lab.internal"):
                    hosts.add(part)
    return sorted(hosts)


def vm_powered_off(world: World, target: dict[str, str], params: dict[str, Any]) -> None:
    """A VM powers off: its usage series stop, and whatever depends on it feels it.

    vCenter (and the exporter's `vsphere_vm_power_state`) reads poweredOff; apps whose
    configuration names it log failed connections (and answer 503); a Kubernetes node on it
    goes NotReady.
    """
    del params
    vm = world.vsphere.vm(target["vm"])
    vm.power_state = "poweredOff"
    now = world.now()
    for series in world.metrics.select(f'{{vm="{vm.name}"}}'):
        if series.end is None and series.name != "vsphere_vm_power_state":
            series.end = now
    power = {"__name__": "vsphere_vm_power_state", "vm": vm.name}
    world.metrics.overlay(Overlay(power, now, Hold(0.0), reason="vsphere.vm_powered_off"))
    host = f"{vm.name}.lab.internal"
    for app in dependents(host):
        error = _json_error(
            "database connection failed",
            f"dial tcp {vm.ip_address}:5432: connect: no route to host",
        )
        world.logs.overrides[(app.namespace, app.name)] = _errors(error, STYLES[app.log_style], 0.8)
    try:
        backing = world.node(vm.name)
    except KeyError:
        return
    fail_node(world, backing.node, reason="vsphere.vm_powered_off")


def vm_cpu_contention(world: World, target: dict[str, str], params: dict[str, Any]) -> None:
    """An ESXi host is overcommitted (a noisy neighbour): its CPU saturates and its VMs wait.

    Over `over_minutes` (default 10) the host's CPU usage climbs to 97% and every VM on it
    sees CPU ready climb to `ready` (default 0.2: a fifth of its time waiting for a core).
    """
    host = world.vsphere.host(target["host"])
    over = timedelta(minutes=int(params.get("over_minutes", 10)))
    ready = float(params.get("ready", 0.2))
    now = world.now()
    world.metrics.overlay(
        Overlay(
            {"__name__": "vsphere_host_cpu_usage_ratio", "host": host.name},
            now,
            Ramp(0.97, over),
            reason="vsphere.vm_cpu_contention",
        )
    )
    for vm in [v for v in world.vsphere.vms if v.host == host.name]:
        world.metrics.overlay(
            Overlay(
                {"__name__": "vsphere_vm_cpu_ready_ratio", "vm": vm.name},
                now,
                Ramp(ready, over),
                reason="vsphere.vm_cpu_contention",
            )
        )
