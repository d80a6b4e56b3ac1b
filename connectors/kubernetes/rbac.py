"""Who may do what, from RBAC objects, as the API server's RBAC authorizer decides."""

from __future__ import annotations

from collections.abc import Iterable

from connectors.kubernetes.models import (
    AccessSummary,
    Grant,
    ObjectRef,
    PolicyRule,
    Role,
    RoleBinding,
    Subject,
)
from connectors.kubernetes.port import KubernetesPort


def _allows(rule: PolicyRule, verb: str, resource: str, api_group: str, name: str | None) -> bool:
    def has(values: tuple[str, ...], wanted: str) -> bool:
        return "*" in values or wanted in values

    # A rule naming resourceNames grants those objects only, never the verb on the whole resource.
    named = not rule.resource_names or (name is not None and name in rule.resource_names)
    return (
        has(rule.verbs, verb)
        and has(rule.api_groups, api_group)
        and has(rule.resources, resource)
        and named
    )


def grants(
    *,
    roles: Iterable[Role],
    bindings: Iterable[RoleBinding],
    verb: str,
    resource: str,
    namespace: str | None,
    api_group: str = "",
    name: str | None = None,
) -> list[tuple[RoleBinding, Subject]]:
    """The (binding, subject) pairs that allow `verb` on `resource`, as RBAC's authorizer decides.

    ClusterRoleBindings apply everywhere; a RoleBinding applies in its namespace only (so to
    nothing when `namespace` is None); a RoleBinding may bind a ClusterRole. A rule with
    `resourceNames` counts only for a request naming one of them (`name`). Aggregated
    ClusterRoles are read as their stored rules.
    """
    by_ref: dict[tuple[str, str | None, str], Role] = {
        (r.kind, r.namespace if r.kind == "Role" else None, r.name): r for r in roles
    }
    found: list[tuple[RoleBinding, Subject]] = []
    for binding in bindings:
        if binding.kind == "RoleBinding" and binding.namespace != namespace:
            continue
        ref_ns = binding.namespace if binding.role.kind == "Role" else None
        bound = by_ref.get((binding.role.kind, ref_ns, binding.role.name))
        if bound and any(_allows(r, verb, resource, api_group, name) for r in bound.rules):
            found += [(binding, subject) for subject in binding.subjects]
    return found


async def who_can(
    port: KubernetesPort,
    *,
    verb: str,
    resource: str,
    namespace: str | None,
    api_group: str = "",
) -> AccessSummary:
    """Who may `verb` the `resource`: the cluster-wide RBAC objects, plus the namespace's."""
    roles = await port.list_roles(namespace=None)
    bindings = await port.list_role_bindings(namespace=None)
    if namespace is not None:
        roles += await port.list_roles(namespace=namespace)
        bindings += await port.list_role_bindings(namespace=namespace)
    return access_summary(
        roles=roles,
        bindings=bindings,
        verb=verb,
        resource=resource,
        namespace=namespace,
        api_group=api_group,
    )


def access_summary(
    *,
    roles: Iterable[Role],
    bindings: Iterable[RoleBinding],
    verb: str,
    resource: str,
    namespace: str | None,
    api_group: str = "",
) -> AccessSummary:
    """Who may `verb` the `resource` in `namespace` (None: cluster-wide), with the grants."""
    found = grants(
        roles=roles,
        bindings=bindings,
        verb=verb,
        resource=resource,
        namespace=namespace,
        api_group=api_group,
    )
    return AccessSummary(
        verb=verb,
        resource=resource,
        api_group=api_group,
        namespace=namespace,
        grants=tuple(
            Grant(
                subject=subject,
                binding=ObjectRef(kind=b.kind, name=b.name, namespace=b.namespace),
                role=b.role,
            )
            for b, subject in found
        ),
    )
