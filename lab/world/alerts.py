"""The lab's monitoring: alert rules over the metric series, and the Alertmanager webhook.

Rules are written the way kube-prometheus and the exporters' mixins write them, over the
lab's series: an alert fires when its condition held on every minute of its `for` duration,
and its `startsAt` is the instant it started firing. Because the series are pure functions of
time and faults only act through them (and the state the series mirror), the alert a fault
raises always agrees with the metrics an agent then reads. A scenario's `from_lab: true`
takes `alertmanager_payload(firing_alerts(world))`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lab.alerting.alertmanager import AlertmanagerNotifier, LabAlert, Route
from lab.world.metrics.series import Series, labels_key
from lab.world.metrics.store import MetricStore
from lab.world.world import World

EVALUATION_STEP = timedelta(minutes=1)
MAX_LOOKBACK = timedelta(hours=6)
"""How far back a firing alert's start is looked for; older starts read as this old."""
EXTERNAL_URL = "http://alertmanager.lab.internal:9093"
PROMETHEUS_URL = "http://prometheus.lab.internal:9090"

Condition = Callable[[MetricStore, Series, datetime], bool]


@dataclass(frozen=True)
class Rule:
    """One alerting rule over the series one selector selects."""

    name: str
    selector: str
    condition: Condition
    for_: timedelta
    severity: str
    summary: str
    description: str
    """`str.format` template over the series' labels (and `value`)."""
    keep: tuple[str, ...]
    """The series labels the alert carries."""


def _increased(window: timedelta) -> Condition:
    def condition(metrics: MetricStore, series: Series, at: datetime) -> bool:
        return metrics.value(series, at) > metrics.value(series, at - window)

    return condition


def _below(threshold: float) -> Condition:
    def condition(metrics: MetricStore, series: Series, at: datetime) -> bool:
        return metrics.value(series, at) < threshold

    return condition


def _above(threshold: float) -> Condition:
    def condition(metrics: MetricStore, series: Series, at: datetime) -> bool:
        return metrics.value(series, at) > threshold

    return condition


def _always(metrics: MetricStore, series: Series, at: datetime) -> bool:
    """The series exists: its labels say it all (a server's status, a volume's)."""
    del metrics, series, at
    return True


def _at_its_max() -> Condition:
    """A `*_used` series has reached its `*_max` sibling (a quota; -1 means unlimited)."""

    def condition(metrics: MetricStore, series: Series, at: datetime) -> bool:
        ceiling = {**series.labels, "__name__": series.name.removesuffix("_used") + "_max"}
        limit = metrics.value(metrics.get(ceiling), at)
        return limit >= 0 and metrics.value(series, at) >= limit

    return condition


def _share_of_answers_above(window: timedelta, share: float) -> Condition:
    """This rcode's answers over `window` are more than `share` of all the server's answers."""

    def condition(metrics: MetricStore, series: Series, at: datetime) -> bool:
        rcodes = [
            s
            for s in metrics.select(f'{series.name}{{pod="{series.labels["pod"]}"}}')
            if s.labels.get("namespace") == series.labels.get("namespace")
        ]
        answers = sum(metrics.value(s, at) - metrics.value(s, at - window) for s in rcodes)
        mine = metrics.value(series, at) - metrics.value(series, at - window)
        return answers > 0 and mine > share * answers

    return condition


def _free_share_below(share: float) -> Condition:
    def condition(metrics: MetricStore, series: Series, at: datetime) -> bool:
        capacity = metrics.current(
            "vsphere_datastore_capacity_bytes", at, datastore=series.labels["datastore"]
        )
        return bool(capacity) and metrics.value(series, at) < share * (capacity or 1.0)

    return condition


RULES: tuple[Rule, ...] = (
    Rule(
        "KubePodCrashLooping",
        "kube_pod_container_status_restarts_total",
        _increased(timedelta(minutes=10)),
        timedelta(minutes=15),
        "warning",
        "Pod is crash looping.",
        "Pod {namespace}/{pod} ({container}) is restarting: its restart count rose in the "
        "last 10 minutes, for 15 minutes now.",
        ("namespace", "pod", "container"),
    ),
    Rule(
        "KubePodNotReady",
        'kube_pod_status_phase{phase="Pending"}',
        _above(0.5),
        timedelta(minutes=15),
        "warning",
        "Pod has been in a non-ready state for more than 15 minutes.",
        "Pod {namespace}/{pod} has been in a non-ready state for longer than 15 minutes.",
        ("namespace", "pod"),
    ),
    Rule(
        "KubeNodeNotReady",
        'kube_node_status_condition{condition="Ready",status="true"}',
        _below(0.5),
        timedelta(minutes=15),
        "warning",
        "Node is not ready.",
        "{node} has been unready for more than 15 minutes.",
        ("node",),
    ),
    Rule(
        "CoreDNSErrorsHigh",
        'coredns_dns_responses_total{rcode="SERVFAIL"}',
        _share_of_answers_above(timedelta(minutes=5), 0.03),
        timedelta(minutes=10),
        "critical",
        "CoreDNS is returning SERVFAIL.",
        "CoreDNS {namespace}/{pod} has answered more than 3% of its requests with SERVFAIL "
        "over the last 5 minutes, for 10 minutes now.",
        ("namespace", "pod"),
    ),
    Rule(
        "VSphereHostDisconnected",
        'vsphere_host_connection_state{state="disconnected"}',
        _above(0.5),
        timedelta(minutes=5),
        "critical",
        "ESXi host is disconnected from vCenter.",
        "Host {host} in cluster {cluster} has been disconnected for more than 5 minutes.",
        ("datacenter", "cluster", "host"),
    ),
    Rule(
        "VSphereHostNotResponding",
        'vsphere_host_connection_state{state="notResponding"}',
        _above(0.5),
        timedelta(minutes=5),
        "critical",
        "ESXi host is not responding.",
        "Host {host} in cluster {cluster} has not answered vCenter for more than 5 minutes; "
        "its VMs are unreachable.",
        ("datacenter", "cluster", "host"),
    ),
    Rule(
        "VSphereVmPoweredOff",
        "vsphere_vm_power_state",
        _below(0.5),
        timedelta(minutes=5),
        "warning",
        "VM is powered off.",
        "VM {vm} on host {host} has been powered off for more than 5 minutes.",
        ("datacenter", "cluster", "host", "vm"),
    ),
    Rule(
        "VSphereVmCpuReadyHigh",
        "vsphere_vm_cpu_ready_ratio",
        _above(0.1),
        timedelta(minutes=10),
        "warning",
        "VM waits for CPU.",
        "VM {vm} on host {host} has been ready to run but waiting for a CPU more than 10% of "
        "the time for 10 minutes (now {value:.0%}).",
        ("datacenter", "cluster", "host", "vm"),
    ),
    Rule(
        "VSphereDatastoreSpaceLow",
        "vsphere_datastore_free_bytes",
        _free_share_below(0.1),
        timedelta(minutes=5),
        "critical",
        "Datastore is almost full.",
        "Datastore {datastore} has less than 10% free space ({value:.0f} bytes free).",
        ("datacenter", "datastore"),
    ),
    Rule(
        "OpenStackNovaComputeDown",
        'openstack_nova_agent_state{service="nova-compute",adminState="enabled"}',
        _below(0.5),
        timedelta(minutes=5),
        "critical",
        "Nova compute service is down.",
        "nova-compute on {hostname} (zone {zone}) has been down for more than 5 minutes.",
        ("hostname", "service", "zone"),
    ),
    Rule(
        "OpenStackInstanceError",
        'openstack_nova_server_status{status="ERROR"}',
        _always,
        timedelta(minutes=10),
        "warning",
        "Nova server is in ERROR.",
        "Server {name} ({id}) of project {tenant_id} has been in ERROR for more than 10 minutes.",
        ("id", "name", "tenant_id"),
    ),
    Rule(
        "OpenStackProjectQuotaExhausted",
        '{__name__=~"openstack_nova_limits_(vcpus|instances|memory)_used"}',
        _at_its_max(),
        timedelta(minutes=5),
        "warning",
        "OpenStack project quota is used up.",
        "Project {tenant} uses all of its quota ({__name__} = {value:.0f}): the next server it "
        "asks for will be refused.",
        ("tenant", "tenant_id"),
    ),
    Rule(
        "OpenStackVolumeStuckAttaching",
        'openstack_cinder_volume_status{status="attaching"}',
        _always,
        timedelta(minutes=15),
        "warning",
        "Cinder volume is stuck attaching.",
        "Volume {name} ({id}) has been attaching to server {server_id} for more than 15 minutes.",
        ("id", "name", "server_id", "tenant_id"),
    ),
)
"""The lab's alerting rules."""


def firing_alerts(world: World, at: datetime | None = None) -> list[LabAlert]:
    """Every alert firing at `at` (the lab's now by default), ordered by name and labels."""
    at = world.now() if at is None else at
    alerts = []
    for rule in RULES:
        for series in world.metrics.select(rule.selector):
            if not series.alive(at):
                continue
            since = _holding_since(world.metrics, rule, series, at)
            if since is None or at - since < rule.for_:
                continue
            labels = {"alertname": rule.name, "severity": rule.severity}
            labels.update({k: series.labels[k] for k in rule.keep if k in series.labels})
            value = world.metrics.value(series, at)
            alerts.append(
                LabAlert(
                    labels=labels,
                    annotations={
                        "summary": rule.summary,
                        "description": rule.description.format(**series.labels, value=value),
                    },
                    starts_at=since + rule.for_,
                    generator_url=f"{PROMETHEUS_URL}/graph?g0.expr={rule.name}",
                )
            )
    return sorted(alerts, key=lambda a: labels_key(a.labels))


def _holding_since(
    metrics: MetricStore, rule: Rule, series: Series, at: datetime
) -> datetime | None:
    """The earliest minute from which the condition held on every minute up to `at`."""
    if not rule.condition(metrics, series, at):
        return None
    since, probe = at, at - EVALUATION_STEP
    while at - probe <= MAX_LOOKBACK and series.alive(probe):
        if not rule.condition(metrics, series, probe):
            break
        since, probe = probe, probe - EVALUATION_STEP
    return since


def alertmanager_payload(alerts: list[LabAlert], *, receiver: str = "pixelview") -> dict[str, Any]:
    """The webhook body (version 4) Alertmanager would post for one group of firing alerts.

    The alerts are grouped by `alertname` when they share one (Alertmanager's usual route),
    else as one group; the body is the notifier's first flush of that group.
    """
    if not alerts:
        raise ValueError("an Alertmanager notification holds at least one alert")
    names = {alert.labels.get("alertname") for alert in alerts}
    route = Route(
        receiver=receiver,
        group_by=("alertname",) if len(names) == 1 else (),
        group_wait=timedelta(0),
        external_url=EXTERNAL_URL,
    )
    [body] = AlertmanagerNotifier(route).due(alerts, max(a.starts_at for a in alerts))
    return body
