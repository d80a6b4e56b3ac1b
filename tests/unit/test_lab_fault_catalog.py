"""Every fault of the catalog, on its default target, moves every view of the world together.

For each fault, seed 7: build the world 30 minutes before lab time 0, apply the fault, advance
30 minutes; then the state changed (read through the world's ports or the Kubernetes store),
something says why (an event or a log line where Kubernetes or the app would record one; for
faults of the infrastructure alone, the state and the fault message are the evidence), a
named series moved, and the fault's alerts fire with labels that name its target.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import pytest

from lab.faults.catalog import FAULTS, apply_fault
from lab.kube.store import JsonObject
from lab.world.alerts import firing_alerts
from lab.world.dump import dump
from lab.world.openstack_port import WorldOpenStack
from lab.world.vsphere_port import WorldVSphere
from lab.world.world import LAB_EPOCH, World

SEED = 7
START = LAB_EPOCH - timedelta(minutes=30)
BEFORE = START - timedelta(minutes=1)
ISSUE = (
    "k8s.oom_kill",
    "k8s.crashloop_bad_config",
    "k8s.image_pull",
    "k8s.node_not_ready",
    "k8s.pending_insufficient_cpu",
    "k8s.dns_failure",
    "openstack.instance_error",
    "openstack.quota_exhausted",
    "openstack.hypervisor_down",
    "openstack.volume_stuck_attaching",
    "vsphere.host_disconnected",
    "vsphere.datastore_full",
    "vsphere.vm_cpu_contention",
    "vsphere.host_down",
)
"""The faults the issue asks for by name."""
TAXONOMY = (
    "resource.cpu", "resource.memory", "resource.disk", "resource.quota", "crash.application",
    "crash.config", "image.pull", "scheduling.capacity", "scheduling.constraints", "network.dns",
    "network.connectivity", "network.port", "network.policy", "storage.attach", "storage.full",
    "storage.latency", "host.down", "host.maintenance", "host.disconnected",
    "hypervisor.overcommit", "identity.auth", "dependency.database", "dependency.service", "none",
)  # fmt: skip
"""The categories of SCENARIOS.md."""

Target = dict[str, str]
Labels = Mapping[str, str]
Names = Callable[[World, Target, Labels], bool]


@dataclass(frozen=True)
class Expect:
    """What a fault must have done, 30 minutes in."""

    state: Callable[[World, Target], bool] | None
    """The state change; None (with `why`) where no object changes."""
    says: str
    """A fact the evidence states."""
    evidence: Callable[[World, Target], str] | None
    """Events, logs or the fault message that say why; None (with `why`) where none is kept."""
    metric: str
    """A selector (a `str.format` template over the target) whose summed value moves."""
    moves: Literal["up", "down"]
    names: Names
    """Whether an alert's labels name the faulty resource (or what it took down)."""
    why: str = ""


# ------------------------------------------------------------- reading the world


def pods(world: World, target: Target) -> list[JsonObject]:
    return world.kube.list(
        "pods", target["namespace"], label_selector=f"app={target['deployment']}"
    )


def statuses(world: World, target: Target) -> list[JsonObject]:
    return [s for p in pods(world, target) for s in p["status"].get("containerStatuses", [])]


def terminated(world: World, target: Target, reason: str) -> bool:
    ended = [s["lastState"].get("terminated", {}) for s in statuses(world, target)]
    return any(t.get("reason") == reason for t in ended)


def waiting(world: World, target: Target, *reasons: str) -> bool:
    return any(
        s["state"].get("waiting", {}).get("reason") in reasons for s in statuses(world, target)
    )


def unschedulable(world: World, target: Target) -> bool:
    conditions = [c for p in pods(world, target) for c in p["status"]["conditions"]]
    return any(
        (c["type"], c["status"], c.get("reason")) == ("PodScheduled", "False", "Unschedulable")
        for c in conditions
    )


def node_ready(world: World, node: str) -> str:
    conditions = world.kube.get("nodes", node)["status"]["conditions"]
    return str(next(c["status"] for c in conditions if c["type"] == "Ready"))


def events(reason: str, namespace: str | None = None) -> Callable[[World, Target], str]:
    def read(world: World, target: Target) -> str:
        ns = target.get("namespace", namespace)
        return "\n".join(
            e["message"] for e in world.kube.list("events", ns) if e["reason"] == reason
        )

    return read


def logs(namespace: str, app: str, *, previous: bool = False) -> Callable[[World, Target], str]:
    def read(world: World, target: Target) -> str:
        del target
        found = world.kube.list("pods", namespace, label_selector=f"app={app}")
        return "\n".join(
            world.kube.read_log(namespace, p["metadata"]["name"], c["name"], previous=previous)
            for p in found
            if p["spec"].get("nodeName")
            for c in p["spec"]["containers"]
        )

    return read


def target_logs(previous: bool) -> Callable[[World, Target], str]:
    def read(world: World, target: Target) -> str:
        return logs(target["namespace"], target["deployment"], previous=previous)(world, target)

    return read


def served(method: str, key: str, field: str, wanted: object) -> Callable[[World, Target], bool]:
    """A port's method (`vsphere.get_host`) serves the target's `field` as `wanted`."""

    def check(world: World, target: Target) -> bool:
        cloud, name = method.split(".")
        port = WorldVSphere(world) if cloud == "vsphere" else WorldOpenStack(world)
        found = asyncio.run(getattr(port, name)(target[key]))
        return bool(getattr(found, field) == wanted)

    return check


def server_fault(server: str) -> Callable[[World, Target], str]:
    """The fault message Nova shows on a server (`{project}` and such from the target)."""

    def read(world: World, target: Target) -> str:
        found = asyncio.run(WorldOpenStack(world).get_server(server.format(**target)))
        return "" if found.fault is None else found.fault.message

    return read


def infrastructure(
    state: Callable[[World, Target], bool], metric: str, moves: Literal["up", "down"], names: Names
) -> Expect:
    """A fault of the infrastructure alone: no event or log says why, the state does."""
    return Expect(state, "", None, metric, moves, names, why=INFRASTRUCTURE)


def crash_loop(reason: str, last_words: str) -> Expect:
    """Containers end with `reason`, their previous logs say why, restart counters climb."""
    return Expect(
        lambda w, t: terminated(w, t, reason),
        last_words,
        target_logs(previous=True),
        'kube_pod_container_status_restarts_total{{namespace="{namespace}",container="{deployment}"}}',
        "up",
        of_deployment,
    )


def vms_on(world: World, host: str) -> set[str]:
    return {vm.name for vm in world.vsphere.vms if vm.host == host}


def servers_on(world: World, hypervisor: str) -> set[str]:
    return {s.name for s in world.openstack.servers if s.hypervisor == hypervisor}


def of_deployment(world: World, target: Target, labels: Labels) -> bool:
    del world
    return labels.get("namespace") == target["namespace"] and labels.get("pod", "").startswith(
        f"{target['deployment']}-"
    )


def label(key: str, target_key: str | None = None) -> Names:
    def names(world: World, target: Target, labels: Labels) -> bool:
        del world
        return labels.get(key) == target[target_key or key]

    return names


def host_or_its_nodes(world: World, target: Target, labels: Labels) -> bool:
    return labels.get("host") == target["host"] or labels.get("node") in vms_on(
        world, target["host"]
    )


def hypervisor_or_its_nodes(world: World, target: Target, labels: Labels) -> bool:
    hypervisor = target["hypervisor"]
    return labels.get("hostname") == hypervisor or labels.get("node") in servers_on(
        world, hypervisor
    )


def project(world: World, target: Target, labels: Labels) -> bool:
    return labels.get("tenant_id") == world.openstack.project(target["project"]).id


def coredns(world: World, target: Target, labels: Labels) -> bool:
    del world, target
    return labels.get("namespace") == "kube-system" and labels.get("pod", "").startswith("coredns-")


INFRASTRUCTURE = "infrastructure only: the state (and its message, if any) is the evidence"
NODE_DOWN = "status is now: NodeNotReady"
PENDING = 'kube_pod_status_phase{{namespace="{namespace}",phase="Pending"}}'

EXPECT: dict[str, Expect] = {
    "k8s.oom_kill": crash_loop("OOMKilled", "memory usage close to the container limit"),
    "k8s.crashloop_bad_config": crash_loop("Error", '"msg":"invalid configuration"'),
    "k8s.image_pull": Expect(
        lambda w, t: waiting(w, t, "ErrImagePull", "ImagePullBackOff"),
        "Failed to pull image",
        events("Failed"),
        PENDING,
        "up",
        of_deployment,
    ),
    "k8s.pending_insufficient_cpu": Expect(
        unschedulable, "Insufficient cpu", events("FailedScheduling"), PENDING, "up", of_deployment
    ),
    "k8s.node_not_ready": Expect(
        lambda w, t: node_ready(w, t["node"]) == "Unknown",
        NODE_DOWN,
        events("NodeNotReady", "default"),
        'kube_node_status_condition{{node="{node}",condition="Ready"}}',
        "down",
        label("node"),
    ),
    "k8s.dns_failure": Expect(
        None,
        "i/o timeout",
        logs("kube-system", "coredns"),
        'coredns_dns_responses_total{{rcode="SERVFAIL"}}',
        "up",
        coredns,
        why="no object changes: a failing upstream shows in CoreDNS's answers and logs",
    ),
    "vsphere.host_down": Expect(
        served("vsphere.get_host", "host", "connection_state", "notResponding"),
        NODE_DOWN,
        events("NodeNotReady", "default"),
        'vsphere_host_connected{{host="{host}"}}',
        "down",
        host_or_its_nodes,
    ),
    "vsphere.host_disconnected": infrastructure(
        served("vsphere.get_host", "host", "connection_state", "disconnected"),
        'vsphere_host_connected{{host="{host}"}}',
        "down",
        label("host"),
    ),
    "vsphere.datastore_full": infrastructure(
        served("vsphere.get_datastore", "datastore", "free_bytes", 0),
        'vsphere_datastore_free_bytes{{datastore="{datastore}"}}',
        "down",
        label("datastore"),
    ),
    "vsphere.vm_cpu_contention": infrastructure(
        served("vsphere.get_host", "host", "overall_status", "yellow"),
        'vsphere_vm_cpu_ready_ratio{{host="{host}"}}',
        "up",
        label("host"),
    ),
    "vsphere.vm_powered_off": Expect(
        served("vsphere.get_vm", "vm", "power_state", "poweredOff"),
        ":5432: connect: no route to host",
        logs("payments", "api"),
        'vsphere_vm_power_state{{vm="{vm}"}}',
        "down",
        label("vm"),
    ),
    "openstack.instance_error": Expect(
        served("openstack.get_server", "server", "status", "ERROR"),
        "No valid host was found",
        server_fault("{server}"),
        'openstack_nova_server_status{{name="{server}"}}',
        "up",
        label("name", "server"),
        why=INFRASTRUCTURE,
    ),
    "openstack.quota_exhausted": Expect(
        lambda w, t: asyncio.run(WorldOpenStack(w).project_quotas(t["project"])).cores.exhausted,
        "Quota exceeded for cores",
        server_fault("{project}-extra-01"),
        'openstack_nova_limits_vcpus_max{{tenant="{project}"}}',
        "down",
        project,
        why=INFRASTRUCTURE,
    ),
    "openstack.hypervisor_down": Expect(
        served("openstack.get_hypervisor", "hypervisor", "state", "down"),
        NODE_DOWN,
        events("NodeNotReady", "default"),
        'openstack_nova_agent_state{{hostname="{hypervisor}"}}',
        "down",
        hypervisor_or_its_nodes,
    ),
    "openstack.volume_stuck_attaching": infrastructure(
        served("openstack.get_volume", "volume", "status", "attaching"),
        'openstack_cinder_volume_status{{name="{volume}"}}',
        "up",
        label("name", "volume"),
    ),
}


@functools.cache
def faulty(name: str) -> World:
    """The world of seed 7, 30 minutes after the fault hit its default target (read only)."""
    world = World.build(SEED, start=START)
    apply_fault(world, name)
    world.advance(timedelta(minutes=30))
    return world


def total(world: World, promql: str, at: datetime) -> float:
    """The sum of the series the selector selects at `at` (alive within the lookback)."""
    return sum(value for _, value in world.metrics.instant(promql, at))


def test_the_catalog_has_every_fault_the_issue_names_and_the_table_covers_it() -> None:
    assert set(ISSUE) <= set(FAULTS)
    assert set(EXPECT) == set(FAULTS)
    for name, fault in FAULTS.items():
        assert fault.name == name and fault.summary and fault.alerts
        assert fault.category in TAXONOMY, name
        assert all(fault.params.values()), name


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_the_fault_changes_state_says_why_moves_a_series_and_raises_its_alerts(name: str) -> None:
    fault, expect = FAULTS[name], EXPECT[name]
    world = faulty(name)
    [record] = world.faults
    target = record.target
    assert set(target) == set(fault.target)

    if expect.state is None or expect.evidence is None:
        assert expect.why, f"{name}: say why the table leaves the state or the evidence out"
    if expect.state is not None:
        assert expect.state(world, target), f"{name}: state unchanged"
    if expect.evidence is not None:
        assert expect.says in expect.evidence(world, target), f"{name}: nothing says why"

    promql = expect.metric.format(**target)
    before, after = total(world, promql, BEFORE), total(world, promql, world.now())
    assert (after > before) if expect.moves == "up" else (after < before), (promql, before, after)

    firing = firing_alerts(world)
    for alertname in fault.alerts:
        named = [a for a in firing if a.labels["alertname"] == alertname]
        assert named, f"{name}: {alertname} does not fire"
        assert any(expect.names(world, target, a.labels) for a in named), (alertname, named)
        assert all(START < a.starts_at <= world.now() for a in named)  # the fault raised them


@pytest.mark.parametrize("seed", [7, 8, 11])
@pytest.mark.parametrize("name", sorted(FAULTS))
def test_the_default_target_exists_in_other_seeds_worlds(name: str, seed: int) -> None:
    world = World.build(seed)
    target = FAULTS[name].default_target(world)
    assert set(target) == set(FAULTS[name].target)
    assert apply_fault(world, name).target == target


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_the_same_seed_and_fault_give_the_same_bytes_and_the_same_values(name: str) -> None:
    again = World.build(SEED, start=START)
    apply_fault(again, name)
    again.advance(timedelta(minutes=30))
    first = faulty(name)
    assert dump(again) == dump(first)
    instants = [START - timedelta(days=1), BEFORE, START + timedelta(minutes=10), first.now()]
    values = [
        [(s.key, w.metrics.value(s, at)) for s in w.metrics.all() for at in instants]
        for w in (first, again)
    ]
    assert values[0] == values[1]
