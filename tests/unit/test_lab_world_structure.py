"""The estate hangs together: clusters, projects, and every link from a pod down to a disk."""

from __future__ import annotations

import pytest

from lab.world.kube_controllers import owned_by, pod_ready
from lab.world.workloads import APPS
from lab.world.world import World


@pytest.fixture(scope="module")
def world() -> World:
    return World.build(7)


def test_vsphere_has_two_clusters_of_hosts_with_datastores(world: World) -> None:
    estate = world.vsphere
    assert len(estate.clusters) == 2
    for cluster in estate.clusters:
        hosts = [h for h in estate.hosts if h.cluster == cluster.name]
        assert len(hosts) >= 3
        for host in hosts:
            assert host.connection_state == "connected"
            assert all(estate.datastore(ds) for ds in host.datastores)
    for vm in estate.vms:
        host = estate.host(vm.host)
        assert host.cluster == vm.cluster
        assert vm.datastore in host.datastores


def test_openstack_has_two_projects_with_quotas_above_usage(world: World) -> None:
    estate = world.openstack
    assert {p.name for p in estate.projects} == {"kubernetes", "analytics"}
    for project in estate.projects:
        servers = [s for s in estate.servers if s.project_id == project.id]
        cores = sum(estate.flavor(s.flavor_id).vcpus for s in servers)
        assert servers and 0 < cores <= project.quota_cores
        assert len(servers) <= project.quota_instances
    hypervisors = {h.hostname for h in estate.hypervisors}
    assert all(s.hypervisor in hypervisors for s in estate.servers)
    for volume in estate.volumes:
        if volume.status == "in-use":
            assert estate.server(volume.server_id or "")


def test_every_node_runs_on_a_vm_or_server_that_exists(world: World) -> None:
    nodes = world.kube.list("nodes")
    assert {n["metadata"]["name"] for n in nodes} == {b.node for b in world.nodes}
    clouds = set()
    for node in nodes:
        backing = world.node(node["metadata"]["name"])
        clouds.add(backing.cloud)
        provider = node["spec"]["providerID"]
        address = node["status"]["addresses"][0]
        if provider.startswith("vsphere://"):
            vm = next(v for v in world.vsphere.vms if v.instance_uuid == provider[10:])
            host = world.vsphere.host(vm.host)  # node -> VM -> ESXi host -> cluster, datastore
            assert world.vsphere.cluster(host.cluster) and world.vsphere.datastore(vm.datastore)
            assert address == {"type": "InternalIP", "address": vm.ip_address}
            assert node["status"]["capacity"]["cpu"] == str(vm.num_cpu)
        else:
            assert provider.startswith("openstack:///")
            server = world.openstack.server(provider[13:])  # node -> server -> hypervisor
            assert any(h.hostname == server.hypervisor for h in world.openstack.hypervisors)
            assert address == {"type": "InternalIP", "address": server.ip_address}
        ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
        assert ready["status"] == "True"
        assert node["status"]["nodeInfo"]["kubeletVersion"].startswith("v1.")
    assert clouds == {"vsphere", "openstack"}


def test_deployments_own_replicasets_own_pods_on_existing_nodes(world: World) -> None:
    nodes = {n["metadata"]["name"] for n in world.kube.list("nodes")}
    control_plane = {b.node for b in world.nodes if b.role == "control-plane"}
    assert {ns["metadata"]["name"] for ns in world.kube.list("namespaces")} >= {
        "shop",
        "payments",
        "platform",
    }
    deployments = world.kube.list("deployments")
    assert len(deployments) == len(APPS)
    for deploy in deployments:
        namespace = deploy["metadata"]["namespace"]
        sets = [rs for rs in world.kube.list("replicasets", namespace) if owned_by(rs, deploy)]
        assert sets
        pods = [p for rs in sets for p in world.kube.list("pods", namespace) if owned_by(p, rs)]
        assert len(pods) == deploy["spec"]["replicas"] == deploy["status"]["readyReplicas"]
        for pod in pods:
            assert pod["spec"]["nodeName"] in nodes - control_plane
            container = pod["spec"]["containers"][0]
            assert container["resources"]["limits"]["memory"].endswith("Mi")
            status = pod["status"]["containerStatuses"][0]
            assert status["ready"] and "running" in status["state"]
            if status["restartCount"]:
                assert status["lastState"]["terminated"]["exitCode"] == 1
    frontend = world.kube.list("replicasets", "shop", label_selector="app=frontend")
    assert sorted(rs["spec"]["replicas"] for rs in frontend) == [0, 3]  # rolled out: 1 old RS


def test_every_service_endpoint_is_a_ready_pod_the_service_selects(world: World) -> None:
    services = world.kube.list("services")
    assert services
    for svc in services:
        namespace, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        endpoints = world.kube.get("endpoints", name, namespace)
        addresses = [a for s in endpoints["subsets"] for a in s.get("addresses", [])]
        selector = ",".join(f"{k}={v}" for k, v in svc["spec"]["selector"].items())
        selected = world.kube.list("pods", namespace, label_selector=selector)
        assert sorted(a["ip"] for a in addresses) == sorted(p["status"]["podIP"] for p in selected)
        for address in addresses:
            pod = world.kube.get("pods", address["targetRef"]["name"], namespace)
            assert pod_ready(pod) and pod["spec"]["nodeName"] == address["nodeName"]


def test_recent_rollout_left_genuine_events(world: World) -> None:
    events = world.kube.list("events", "shop")
    reasons = {e["reason"] for e in events}
    assert {"ScalingReplicaSet", "SuccessfulCreate", "Scheduled", "Pulled", "Started"} <= reasons
    for event in events:
        kind = event["involvedObject"]["kind"]
        plural = {"Pod": "pods", "ReplicaSet": "replicasets", "Deployment": "deployments"}[kind]
        assert world.kube.get(plural, event["involvedObject"]["name"], "shop")


def test_stackstorm_catalog_marks_read_only_and_mutating_actions(world: World) -> None:
    refs = {a.ref: a for a in world.actions}
    assert refs["kubernetes.set_memory_limit"].read_only is False
    assert refs["kubernetes.delete_namespace"].read_only is False
    assert refs["kubernetes.get_pods"].read_only is True
    assert {"kubernetes", "openstack", "vsphere"} <= {a.pack for a in world.actions}
    limit = next(
        p for p in refs["kubernetes.set_memory_limit"].parameters if p.name == "memory_limit"
    )
    assert limit.type == "string" and limit.required
