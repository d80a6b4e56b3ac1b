"""Kubernetes API objects (their JSON form, as dicts) to the port's DTOs.

No SDK here: the real client asks the API server for raw JSON and the lab reads its store's JSON,
so both targets go through these same functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, get_args

from connectors.kubernetes.models import (
    Container,
    ContainerState,
    ContainerStatus,
    EndpointAddress,
    Endpoints,
    Event,
    Namespace,
    Node,
    NodeCondition,
    NodeUsage,
    ObjectRef,
    Pod,
    PodCondition,
    PodUsage,
    PolicyRule,
    Role,
    RoleBinding,
    Service,
    ServicePort,
    Subject,
    Taint,
    Termination,
    Workload,
    WorkloadKind,
)
from connectors.kubernetes.patches import RESTARTED_AT
from connectors.kubernetes.quantities import quantity

Json = Mapping[str, Any]

WORKLOAD_PLURALS: dict[WorkloadKind, str] = {
    "Deployment": "deployments",
    "ReplicaSet": "replicasets",
    "StatefulSet": "statefulsets",
    "DaemonSet": "daemonsets",
}
"""The resource (plural) of each workload kind, all in `apps/v1`."""


def _obj(value: Any) -> Json:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _strings(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in _obj(value).items()}


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def timestamp(value: Any) -> datetime | None:
    """An RFC 3339 timestamp of the API (`2026-11-22T09:00:00Z`, fractions too); None if absent."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _meta(obj: Json) -> Json:
    return _obj(obj.get("metadata"))


def _owner(obj: Json) -> ObjectRef | None:
    owners = [_obj(o) for o in _list(_meta(obj).get("ownerReferences"))]
    chosen = next((o for o in owners if o.get("controller")), owners[0] if owners else None)
    if chosen is None:
        return None
    return ObjectRef(
        kind=str(chosen.get("kind", "")),
        name=str(chosen.get("name", "")),
        namespace=_str(_meta(obj).get("namespace")),
    )


# --------------------------------------------------------------------- core objects


def namespace(obj: Json) -> Namespace:
    """A Namespace object."""
    meta = _meta(obj)
    return Namespace(
        name=str(meta.get("name", "")),
        uid=_str(meta.get("uid")),
        phase=str(_obj(obj.get("status")).get("phase") or "Active"),
        labels=_strings(meta.get("labels")),
        created=timestamp(meta.get("creationTimestamp")),
    )


def _conditions(status: Json) -> list[dict[str, Any]]:
    """The fields of each entry of `status.conditions` (a node's and a pod's are alike)."""
    return [
        {
            "type": str(c.get("type", "")),
            "status": str(c.get("status", "Unknown")),
            "reason": _str(c.get("reason")),
            "message": _str(c.get("message")),
        }
        for c in map(_obj, _list(status.get("conditions")))
    ]


def node(obj: Json) -> Node:
    """A Node object."""
    meta, spec, status = _meta(obj), _obj(obj.get("spec")), _obj(obj.get("status"))
    conditions = tuple(NodeCondition(**fields) for fields in _conditions(status))
    labels = _strings(meta.get("labels"))
    prefix = "node-role.kubernetes.io/"
    return Node(
        name=str(meta.get("name", "")),
        uid=_str(meta.get("uid")),
        ready=any(c.type == "Ready" and c.status == "True" for c in conditions),
        unschedulable=bool(spec.get("unschedulable", False)),
        conditions=conditions,
        taints=tuple(
            Taint(
                key=str(t.get("key", "")),
                value=_str(t.get("value")),
                effect=str(t.get("effect", "")),
            )
            for t in map(_obj, _list(spec.get("taints")))
        ),
        capacity=_strings(status.get("capacity")),
        allocatable=_strings(status.get("allocatable")),
        labels=labels,
        roles=tuple(sorted(k[len(prefix) :] for k in labels if k.startswith(prefix))),
        kubelet_version=_str(_obj(status.get("nodeInfo")).get("kubeletVersion")),
        created=timestamp(meta.get("creationTimestamp")),
    )


def container(obj: Json) -> Container:
    """A container of a pod spec or pod template."""
    resources = _obj(obj.get("resources"))
    return Container(
        name=str(obj.get("name", "")),
        image=_str(obj.get("image")),
        requests=_strings(resources.get("requests")),
        limits=_strings(resources.get("limits")),
    )


def _termination(obj: Json) -> Termination:
    return Termination(
        reason=_str(obj.get("reason")),
        exit_code=obj.get("exitCode") if isinstance(obj.get("exitCode"), int) else None,
        message=_str(obj.get("message")),
        finished_at=timestamp(obj.get("finishedAt")),
    )


def container_status(obj: Json) -> ContainerStatus:
    """A container status of a pod."""
    state = _obj(obj.get("state"))
    now: ContainerState = "unknown"
    for name in get_args(ContainerState):
        if name in state:
            now = name
            break
    last = _obj(_obj(obj.get("lastState")).get("terminated"))
    return ContainerStatus(
        name=str(obj.get("name", "")),
        ready=bool(obj.get("ready", False)),
        restart_count=_int(obj.get("restartCount")),
        state=now,
        reason=_str(_obj(state.get(now)).get("reason")),
        image=_str(obj.get("image")),
        last_termination=_termination(last) if last else None,
    )


def pod(obj: Json) -> Pod:
    """A Pod object."""
    meta, spec, status = _meta(obj), _obj(obj.get("spec")), _obj(obj.get("status"))
    return Pod(
        name=str(meta.get("name", "")),
        namespace=str(meta.get("namespace", "")),
        uid=_str(meta.get("uid")),
        phase=str(status.get("phase") or "Unknown"),
        node=_str(spec.get("nodeName")),
        labels=_strings(meta.get("labels")),
        owner=_owner(obj),
        containers=tuple(container(_obj(c)) for c in _list(spec.get("containers"))),
        statuses=tuple(container_status(_obj(c)) for c in _list(status.get("containerStatuses"))),
        conditions=tuple(PodCondition(**fields) for fields in _conditions(status)),
        reason=_str(status.get("reason")),
        message=_str(status.get("message")),
        pod_ip=_str(status.get("podIP")),
        created=timestamp(meta.get("creationTimestamp")),
    )


def workload(obj: Json) -> Workload:
    """A Deployment, ReplicaSet, StatefulSet or DaemonSet object."""
    meta, spec, status = _meta(obj), _obj(obj.get("spec")), _obj(obj.get("status"))
    kind = str(obj.get("kind", ""))
    if kind not in WORKLOAD_PLURALS:
        raise ValueError(f"not a workload kind: {kind!r}")
    template = _obj(spec.get("template"))
    daemon = kind == "DaemonSet"
    return Workload(
        kind=kind,  # checked against WORKLOAD_PLURALS above
        name=str(meta.get("name", "")),
        namespace=str(meta.get("namespace", "")),
        uid=_str(meta.get("uid")),
        desired=_int(status.get("desiredNumberScheduled"))
        if daemon
        else _int(spec.get("replicas"), 1),
        ready=_int(status.get("numberReady" if daemon else "readyReplicas")),
        available=_int(status.get("numberAvailable" if daemon else "availableReplicas")),
        updated=_int(
            status.get(
                "updatedNumberScheduled"
                if daemon
                else ("fullyLabeledReplicas" if kind == "ReplicaSet" else "updatedReplicas")
            )
        ),
        selector=_strings(_obj(spec.get("selector")).get("matchLabels")),
        containers=tuple(
            container(_obj(c)) for c in _list(_obj(template.get("spec")).get("containers"))
        ),
        labels=_strings(meta.get("labels")),
        owner=_owner(obj),
        generation=meta.get("generation") if isinstance(meta.get("generation"), int) else None,
        observed_generation=status.get("observedGeneration")
        if isinstance(status.get("observedGeneration"), int)
        else None,
        restarted_at=_str(_strings(_meta(template).get("annotations")).get(RESTARTED_AT)),
        created=timestamp(meta.get("creationTimestamp")),
    )


def service(obj: Json) -> Service:
    """A Service object."""
    meta, spec = _meta(obj), _obj(obj.get("spec"))
    return Service(
        name=str(meta.get("name", "")),
        namespace=str(meta.get("namespace", "")),
        type=str(spec.get("type") or "ClusterIP"),
        cluster_ip=_str(spec.get("clusterIP")),
        selector=_strings(spec.get("selector")),
        ports=tuple(
            ServicePort(
                name=_str(p.get("name")),
                port=_int(p.get("port")),
                target_port=None if p.get("targetPort") is None else str(p.get("targetPort")),
                protocol=str(p.get("protocol") or "TCP"),
                node_port=p.get("nodePort") if isinstance(p.get("nodePort"), int) else None,
            )
            for p in map(_obj, _list(spec.get("ports")))
        ),
    )


def _address(obj: Json, *, ready: bool) -> EndpointAddress:
    target = _obj(obj.get("targetRef"))
    return EndpointAddress(
        ip=str(obj.get("ip", "")),
        ready=ready,
        node=_str(obj.get("nodeName")),
        target=ObjectRef(
            kind=str(target.get("kind", "")),
            name=str(target.get("name", "")),
            namespace=_str(target.get("namespace")),
        )
        if target
        else None,
    )


def endpoints(obj: Json) -> Endpoints:
    """An Endpoints object (every subset's addresses, ready and not)."""
    meta = _meta(obj)
    addresses: list[EndpointAddress] = []
    ports: list[int] = []
    for subset in map(_obj, _list(obj.get("subsets"))):
        addresses += [_address(_obj(a), ready=True) for a in _list(subset.get("addresses"))]
        addresses += [
            _address(_obj(a), ready=False) for a in _list(subset.get("notReadyAddresses"))
        ]
        ports += [_int(_obj(p).get("port")) for p in _list(subset.get("ports"))]
    return Endpoints(
        name=str(meta.get("name", "")),
        namespace=str(meta.get("namespace", "")),
        addresses=tuple(addresses),
        ports=tuple(dict.fromkeys(ports)),
    )


def event(obj: Json) -> Event:
    """An Event object (core/v1)."""
    meta, involved = _meta(obj), _obj(obj.get("involvedObject"))
    return Event(
        name=str(meta.get("name", "")),
        namespace=str(meta.get("namespace", "")),
        type=str(obj.get("type") or "Normal"),
        reason=str(obj.get("reason") or ""),
        message=str(obj.get("message") or ""),
        involved=ObjectRef(
            kind=str(involved.get("kind", "")),
            name=str(involved.get("name", "")),
            namespace=_str(involved.get("namespace")),
        ),
        count=_int(obj.get("count"), 1),
        first_seen=timestamp(obj.get("firstTimestamp") or obj.get("eventTime")),
        last_seen=timestamp(obj.get("lastTimestamp") or obj.get("eventTime")),
        source=_str(_obj(obj.get("source")).get("component")),
    )


def involved_selector(ref: ObjectRef) -> str:
    """The field selector of the events about one object."""
    terms = [f"involvedObject.kind={ref.kind}", f"involvedObject.name={ref.name}"]
    if ref.namespace:
        terms.append(f"involvedObject.namespace={ref.namespace}")
    return ",".join(terms)


def sort_key(obj: Json) -> tuple[str, str]:
    """Lists sort by namespace, then name."""
    meta = _meta(obj)
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def items(obj: Json) -> list[Json]:
    """The items of a List object, sorted by namespace and name."""
    return sorted((_obj(i) for i in _list(obj.get("items"))), key=sort_key)


def _usage(containers: Iterable[Json]) -> tuple[float, int]:
    cpu, memory = 0.0, 0.0
    for c in containers:
        use = _strings(c.get("usage"))
        cpu += quantity(use.get("cpu", "0"))
        memory += quantity(use.get("memory", "0"))
    return round(cpu, 6), round(memory)


def node_usage(obj: Json) -> NodeUsage:
    """A NodeMetrics object of `metrics.k8s.io`."""
    cpu, memory = _usage([obj])
    return NodeUsage(name=str(_meta(obj).get("name", "")), cpu_cores=cpu, memory_bytes=memory)


def pod_usage(obj: Json) -> PodUsage:
    """A PodMetrics object of `metrics.k8s.io` (its containers added up)."""
    cpu, memory = _usage(map(_obj, _list(obj.get("containers"))))
    meta = _meta(obj)
    return PodUsage(
        name=str(meta.get("name", "")),
        namespace=str(meta.get("namespace", "")),
        cpu_cores=cpu,
        memory_bytes=memory,
    )


# ------------------------------------------------------------------------------ RBAC


def role(obj: Json) -> Role:
    """A Role or ClusterRole object."""
    meta = _meta(obj)
    return Role(
        kind="ClusterRole" if obj.get("kind") == "ClusterRole" else "Role",
        name=str(meta.get("name", "")),
        namespace=_str(meta.get("namespace")),
        rules=tuple(
            PolicyRule(
                verbs=tuple(map(str, _list(r.get("verbs")))),
                api_groups=tuple(map(str, _list(r.get("apiGroups")))),
                resources=tuple(map(str, _list(r.get("resources")))),
                resource_names=tuple(map(str, _list(r.get("resourceNames")))),
            )
            for r in map(_obj, _list(obj.get("rules")))
        ),
    )


def role_binding(obj: Json) -> RoleBinding:
    """A RoleBinding or ClusterRoleBinding object."""
    meta, ref = _meta(obj), _obj(obj.get("roleRef"))
    namespace = _str(meta.get("namespace"))
    return RoleBinding(
        kind="ClusterRoleBinding" if obj.get("kind") == "ClusterRoleBinding" else "RoleBinding",
        name=str(meta.get("name", "")),
        namespace=namespace,
        role=ObjectRef(
            kind=str(ref.get("kind", "")),
            name=str(ref.get("name", "")),
            namespace=namespace if ref.get("kind") == "Role" else None,
        ),
        subjects=tuple(
            Subject(
                kind=str(s.get("kind", "")),
                name=str(s.get("name", "")),
                namespace=_str(s.get("namespace")),
            )
            for s in map(_obj, _list(obj.get("subjects")))
        ),
    )
