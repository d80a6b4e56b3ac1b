"""Kubernetes JSON to DTOs and writes to patches: the edge cases both targets rely on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.kubernetes import mapping, patches, rbac
from connectors.kubernetes.errors import error_for_status, status_message
from connectors.kubernetes.models import ObjectRef, PolicyRule, Role, RoleBinding, Subject
from connectors.kubernetes.quantities import quantity
from core.errors import Forbidden, InvalidRequest, NotFound, Unavailable


def test_quantities() -> None:
    assert quantity("250m") == 0.25
    assert quantity("2") == 2
    assert quantity("1Gi") == 2**30
    assert quantity("128974848") == 128974848
    assert quantity("129e6") == 129e6
    assert quantity("12345n") == pytest.approx(12345e-9)
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        quantity("lots")
    with pytest.raises(ValueError):
        quantity("1Qi")


def test_timestamps_with_and_without_fractions() -> None:
    assert mapping.timestamp("2026-06-01T09:00:00Z") == datetime(2026, 6, 1, 9, tzinfo=UTC)
    micro = mapping.timestamp("2026-06-01T09:00:00.123456Z")
    assert micro is not None and micro.microsecond == 123456
    assert mapping.timestamp(None) is None and mapping.timestamp("yesterday") is None


def test_a_pending_pod_without_statuses_or_node() -> None:
    pod = mapping.pod({"metadata": {"name": "p", "namespace": "n"}, "spec": {"containers": []}})
    assert (pod.phase, pod.node, pod.statuses, pod.restarts, pod.owner) == (
        "Unknown",
        None,
        (),
        0,
        None,
    )


def test_pod_conditions_as_the_api_gives_them() -> None:
    pod = mapping.pod(
        {
            "metadata": {"name": "p", "namespace": "n"},
            "status": {
                "phase": "Pending",
                "conditions": [
                    {
                        "type": "PodScheduled",
                        "status": "False",
                        "reason": "Unschedulable",
                        "message": "0/3 nodes are available: 3 Insufficient memory.",
                    },
                    {"type": "Ready"},
                ],
            },
        }
    )
    scheduled, ready = pod.conditions
    assert (scheduled.type, scheduled.status, scheduled.reason) == (
        "PodScheduled",
        "False",
        "Unschedulable",
    )
    assert scheduled.message == "0/3 nodes are available: 3 Insufficient memory."
    assert (ready.type, ready.status, ready.reason, ready.message) == (
        "Ready",
        "Unknown",
        None,
        None,
    )


def test_container_states_and_a_missing_exit_code() -> None:
    status = mapping.container_status(
        {
            "name": "app",
            "restartCount": 1,
            "state": {"terminated": {"reason": "Error", "exitCode": 1}},
            "lastState": {"terminated": {"reason": "OOMKilled"}},
        }
    )
    assert (status.state, status.reason, status.ready) == ("terminated", "Error", False)
    assert status.last_termination is not None and status.last_termination.exit_code is None
    assert mapping.container_status({"name": "x"}).state == "unknown"


def test_owner_prefers_the_controller() -> None:
    obj = {
        "metadata": {
            "name": "p",
            "namespace": "n",
            "ownerReferences": [
                {"kind": "ConfigMap", "name": "c"},
                {"kind": "StatefulSet", "name": "db", "controller": True},
            ],
        }
    }
    assert mapping.pod(obj).owner == ObjectRef(kind="StatefulSet", name="db", namespace="n")


def test_workloads_defaults_and_daemonsets() -> None:
    deployment = mapping.workload({"kind": "Deployment", "metadata": {"name": "d"}})
    assert (deployment.desired, deployment.ready, deployment.restarted_at) == (1, 0, None)
    with pytest.raises(ValueError, match="not a workload kind"):
        mapping.workload({"kind": "Pod", "metadata": {"name": "p"}})


def test_events_fall_back_to_event_time() -> None:
    event = mapping.event(
        {
            "metadata": {"name": "e", "namespace": "n"},
            "involvedObject": {"kind": "Pod", "name": "p", "namespace": "n"},
            "eventTime": "2026-06-01T09:00:00.000000Z",
            "reason": "Scheduled",
        }
    )
    assert event.first_seen == event.last_seen == datetime(2026, 6, 1, 9, tzinfo=UTC)
    assert (event.count, event.type) == (1, "Normal")
    ref = ObjectRef(kind="Node", name="n1")
    assert mapping.involved_selector(ref) == "involvedObject.kind=Node,involvedObject.name=n1"


def test_usage_adds_up_containers() -> None:
    pod = mapping.pod_usage(
        {
            "metadata": {"name": "p", "namespace": "n"},
            "containers": [
                {"name": "a", "usage": {"cpu": "250m", "memory": "100Mi"}},
                {"name": "b", "usage": {"cpu": "12500000n", "memory": "1Mi"}},
            ],
        }
    )
    assert (pod.cpu_cores, pod.memory_bytes) == (0.2625, 101 * 2**20)
    node = mapping.node_usage({"metadata": {"name": "n"}, "usage": {"cpu": "1", "memory": "1Gi"}})
    assert (node.cpu_cores, node.memory_bytes) == (1.0, 2**30)


def _rule(resource: str, *names: str) -> PolicyRule:
    return PolicyRule(verbs=("get",), api_groups=("",), resources=(resource,), resource_names=names)


def test_rbac_scopes_and_resource_names() -> None:
    reader = ObjectRef(kind="ClusterRole", name="reader")
    one_secret = ObjectRef(kind="Role", name="one-secret", namespace="a")
    roles = [
        Role(kind="ClusterRole", name="reader", rules=(_rule("pods"),)),
        Role(kind="Role", name="one-secret", namespace="a", rules=(_rule("secrets", "s"),)),
    ]
    bob, eve = Subject(kind="User", name="bob"), Subject(kind="User", name="eve")
    bindings = [
        # A RoleBinding to a ClusterRole grants it in the binding's namespace only.
        RoleBinding(kind="RoleBinding", name="bob", namespace="a", role=reader, subjects=(bob,)),
        RoleBinding(
            kind="RoleBinding", name="eve", namespace="a", role=one_secret, subjects=(eve,)
        ),
    ]

    def who(resource: str, namespace: str | None) -> list[Subject]:
        found = rbac.grants(
            roles=roles, bindings=bindings, verb="get", resource=resource, namespace=namespace
        )
        return [subject for _, subject in found]

    assert who("pods", "a") == [bob]
    assert who("pods", "b") == [] and who("pods", None) == []
    # resourceNames grant the named objects only, never the whole resource.
    assert who("secrets", "a") == []
    named = rbac.grants(
        roles=roles, bindings=bindings, verb="get", resource="secrets", namespace="a", name="s"
    )
    assert [subject for _, subject in named] == [eve]


def test_patches() -> None:
    at = datetime(2026, 6, 1, 9, 30, 15, 999, tzinfo=UTC)
    annotations = patches.restart_patch(at)["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {patches.RESTARTED_AT: "2026-06-01T09:30:15Z"}
    assert patches.cordon_patch(True) == {"spec": {"unschedulable": True}}
    assert patches.cordon_patch(False) == {"spec": {"unschedulable": None}}
    assert patches.scale_patch(0) == {"spec": {"replicas": 0}}
    with pytest.raises(ValueError):
        patches.scale_patch(-1)
    patch = patches.resources_patch("app", {"cpu": "500m"}, None)
    assert patch["spec"]["template"]["spec"]["containers"] == [
        {"name": "app", "resources": {"requests": {"cpu": "500m"}}}
    ]
    with pytest.raises(ValueError, match="needs requests or limits"):
        patches.resources_patch("app", None, {})


def test_errors_from_status_codes_keep_the_servers_message() -> None:
    body = b'{"kind":"Status","message":"pods \\"x\\" is forbidden: User \\"bob\\" cannot get"}'
    message = status_message(body, "Forbidden")
    assert message == 'pods "x" is forbidden: User "bob" cannot get'
    assert isinstance(error_for_status(403, message, cluster="c"), Forbidden)
    assert str(error_for_status(404, "gone", cluster="c")) == "kubernetes c: gone"
    assert isinstance(error_for_status(404, "", cluster="c"), NotFound)
    assert isinstance(error_for_status(415, "", cluster="c"), InvalidRequest)
    assert isinstance(error_for_status(503, "", cluster="c"), Unavailable)
    assert isinstance(error_for_status(0, "", cluster="c"), Unavailable)
    assert status_message(b"<html>bad gateway</html>", "Bad Gateway") == "<html>bad gateway</html>"
    assert status_message(None, "Bad Gateway") == "Bad Gateway"
