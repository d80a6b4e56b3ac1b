"""RBAC for the lab cluster: the API server's authorizer, over the store's RBAC objects.

When the lab is given identities (the facade maps bearer tokens to them; `LabKubernetes` acts as
one), every request is checked against the store's Roles, ClusterRoles and their bindings, as
the RBAC authorizer does, and a refusal carries the API server's own message.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.kubernetes import mapping, rbac
from connectors.kubernetes.models import Subject
from lab.kube.store import RESOURCES, KubeStore


@dataclass(frozen=True)
class Identity:
    """Who a request comes from: a user name and its groups."""

    user: str
    groups: tuple[str, ...] = ()

    def is_(self, subject: Subject) -> bool:
        """The identity is the binding's subject (or a member of that group)."""
        if subject.kind == "User":
            return subject.name == self.user
        if subject.kind == "Group":
            return subject.name in self.groups
        if subject.kind == "ServiceAccount":
            return self.user == f"system:serviceaccount:{subject.namespace}:{subject.name}"
        return False


class AccessDenied(PermissionError):
    """RBAC does not allow the request; the message is the API server's."""


@dataclass(frozen=True)
class Request:
    """What a request does, as RBAC sees it."""

    verb: str
    resource: str
    """A plural (`pods`); `api_group` defaults to the store's group for it."""
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None
    api_group: str | None = None


def authorize(store: KubeStore, identity: Identity, request: Request) -> None:
    """Raise `AccessDenied` unless a binding in the store allows the identity this request."""
    known = RESOURCES.get(request.resource)
    group = request.api_group if request.api_group is not None else (known.group if known else "")
    resource = request.resource + (f"/{request.subresource}" if request.subresource else "")
    roles = [mapping.role(o) for o in [*store.list("clusterroles"), *store.list("roles")]]
    bindings = [
        mapping.role_binding(o)
        for o in [*store.list("clusterrolebindings"), *store.list("rolebindings")]
    ]
    found = rbac.grants(
        roles=roles,
        bindings=bindings,
        verb=request.verb,
        resource=resource,
        namespace=request.namespace,
        api_group=group,
        name=request.name,
    )
    if any(identity.is_(subject) for _, subject in found):
        return
    qualified = f"{request.resource}.{group}" if group else request.resource
    what = f'{qualified} "{request.name}"' if request.name else qualified
    scope = (
        f'in the namespace "{request.namespace}"' if request.namespace else "at the cluster scope"
    )
    raise AccessDenied(
        f'{what} is forbidden: User "{identity.user}" cannot {request.verb} resource '
        f'"{resource}" in API group "{group}" {scope}'
    )
