"""The lab's Kubernetes REST facade: the store served over HTTP as an API server answers.

Enough of the Kubernetes API for the official Python client and `kubectl` (get, describe, logs,
scale, rollout restart, cordon, delete): discovery, list and get of every resource of the store
(selectors too), server-side Table printing, the pod `log` and workload `scale` subresources,
merge and strategic merge patches, create, replace and delete, and errors as `Status` objects.
Not served: watch (405), JSON patch and server-side apply (415), protobuf and CBOR bodies (415;
JSON is always answered), OpenAPI documents (404: kubectl then needs `--validate=false` to apply).
docs/kubernetes.md lists what kubectl does against it.

`serve_facade(store)` runs it with uvicorn on a free port of 127.0.0.1 in a background thread (over
HTTPS with a throw-away certificate when it checks a bearer token) and yields it;
`lab.kube.kubeconfig.write_kubeconfig` writes a kubeconfig pointing at it.
"""

from __future__ import annotations

import hmac
import json
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from lab.kube import discovery
from lab.kube.apiserver import SCALABLE, read_pod_log, read_scale, write_scale
from lab.kube.authz import AccessDenied, Identity, authorize
from lab.kube.authz import Request as AuthzRequest
from lab.kube.selectors import InvalidSelector
from lab.kube.store import (
    RESOURCES,
    InvalidObject,
    JsonObject,
    KubeStore,
    ObjectExists,
    ObjectNotFound,
    PatchKind,
    Resource,
)
from lab.kube.tables import table
from lab.kube.tls import self_signed

PATCH_TYPES: dict[str, PatchKind] = {
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
}


class ApiError(Exception):
    """A failure the facade answers with a `Status` object."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message


def status(code: int, reason: str, message: str) -> JSONResponse:
    """A failure `Status`, as the API server writes it."""
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    return JSONResponse(body, status_code=code)


@dataclass(frozen=True)
class _Target:
    """What a request path names."""

    resource: Resource
    namespace: str | None
    name: str | None
    subresource: str | None


def _parse(path: str) -> tuple[str, list[str]] | None:
    """(`group/version`, the rest of the path) for `/api/v1/...` and `/apis/<g>/<v>/...`."""
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        return "v1", parts[2:]
    if len(parts) >= 3 and parts[0] == "apis":
        return f"{parts[1]}/{parts[2]}", parts[3:]
    return None


def _target(group_version: str, rest: list[str]) -> _Target:
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    resource = RESOURCES.get(rest[0])
    if resource is None or resource.api_version != group_version or len(rest) > 3:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    if namespace is not None and not resource.namespaced:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    name = rest[1] if len(rest) > 1 else None
    return _Target(resource, namespace, name, rest[2] if len(rest) > 2 else None)


class KubeFacade:
    """The Starlette app of the facade over one store."""

    def __init__(
        self,
        store: KubeStore,
        *,
        token: str | None = None,
        users: Mapping[str, Identity] | None = None,
    ) -> None:
        if token is not None and users is not None:
            raise ValueError("give the facade one token or a map of users' tokens, not both")
        self.store = store
        self.token = token
        self.users = dict(users) if users is not None else None
        """Bearer token → identity: with users, every request is authorized by RBAC."""
        self.lock = store.lock
        """Held around every store access of a request (the store itself is not thread-safe)."""
        self.address = "127.0.0.1:0"
        """host:port the facade is served on (set by `serve_facade`)."""
        self.ca_pem: bytes | None = None
        """The PEM certificate of an HTTPS facade (its own CA); None over plain HTTP."""
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=methods)])

    async def _handle(self, request: Request) -> Response:
        response = await self._answer(request)
        # No keep-alive: an idle client connection (TLS above all) would hold shutdown open.
        response.headers["connection"] = "close"
        return response

    def _identity(self, request: Request) -> Identity | None:
        """Who sent the request (None: anyone may); raises a 401 for a wrong token."""
        given = request.headers.get("authorization", "").encode()
        tokens = {self.token: None} if self.token is not None else self.users
        for token, identity in (tokens or {}).items():
            if hmac.compare_digest(given, f"Bearer {token}".encode()):
                return identity
        if tokens is None:
            return None
        raise ApiError(401, "Unauthorized", "Unauthorized")

    async def _answer(self, request: Request) -> Response:
        try:
            identity = self._identity(request)
            body = await request.body()
            with self.lock:
                return self._route(request, body, identity)
        except AccessDenied as e:
            return status(403, "Forbidden", str(e))
        except ApiError as e:
            return status(e.code, e.reason, e.message)
        except ObjectNotFound as e:
            return status(404, "NotFound", str(e))
        except ObjectExists as e:
            return status(409, "AlreadyExists", str(e))
        except (InvalidObject, InvalidSelector) as e:
            writes = request.method in ("POST", "PUT", "PATCH")
            return status(422 if writes else 400, "Invalid" if writes else "BadRequest", str(e))

    def _route(self, request: Request, body: bytes, identity: Identity | None) -> Response:
        path = request.url.path
        fixed: Callable[[], Any] | None = {
            "/version": lambda: discovery.VERSION,
            "/api": lambda: discovery.api_versions(self.address),
            "/apis": lambda: discovery.api_groups(metrics=self.store.metrics_server),
        }.get(path)
        if fixed is not None:
            return JSONResponse(fixed())
        _refuse_unserved(request)
        parsed = _parse(path)
        if parsed is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        group_version, rest = parsed
        if group_version == discovery.METRICS and self.store.metrics_server:
            return self._metrics(request, rest, identity)
        if not rest:
            resources = discovery.resource_list(group_version)
            if resources is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return JSONResponse(resources)
        target = _target(group_version, rest)
        if identity is not None:
            authorize(self.store, identity, _rbac_request(request.method, target))
        if target.subresource == "log" and target.resource.plural == "pods":
            return self._log(request, target)
        if target.subresource == "scale":
            return self._scale(request, target, body)
        if target.subresource is not None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return self._object(request, target, body)

    # ---------------------------------------------------------------- objects

    def _object(self, request: Request, target: _Target, body: bytes) -> Response:
        store, plural, method = self.store, target.resource.plural, request.method
        if target.name is None:
            if method == "POST":
                obj = _json(body)
                if target.namespace:
                    obj.setdefault("metadata", {}).setdefault("namespace", target.namespace)
                return JSONResponse(store.create(plural, obj), status_code=201)
            if method != "GET":
                raise ApiError(405, "MethodNotAllowed", f"{method} is not allowed on a list")
            return self._list(request, target)
        if method == "GET":
            obj = store.get(plural, target.name, target.namespace)
            if _wants_table(request):
                return JSONResponse(
                    table(target.resource, [obj], store.resource_version, store.now())
                )
            return JSONResponse(obj)
        if method == "PATCH":
            kind = _patch_kind(request)
            obj = store.patch(plural, target.name, target.namespace, _json(body), kind)
            return JSONResponse(obj)
        if method == "PUT":
            return JSONResponse(self._replace(target, _json(body)))
        if method == "DELETE":
            return JSONResponse(store.delete(plural, target.name, target.namespace))
        raise ApiError(405, "MethodNotAllowed", f"{method} is not allowed")

    def _replace(self, target: _Target, obj: JsonObject) -> JsonObject:
        """PUT: the name must match the URL's, and a resourceVersion must be the current one."""
        plural, name = target.resource.plural, str(target.name)
        meta = obj.setdefault("metadata", {})
        if meta.get("name") != name:
            raise ApiError(
                400,
                "BadRequest",
                f"the name of the object ({meta.get('name')}) does not match the name on the URL "
                f"({name})",
            )
        if target.namespace:
            meta["namespace"] = target.namespace
        current = self.store.get(plural, name, target.namespace)
        version = meta.get("resourceVersion")
        if version and version != current["metadata"]["resourceVersion"]:
            raise ApiError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {plural} "{name}": the object has been '
                "modified; please apply your changes to the latest version and try again",
            )
        return self.store.replace(plural, obj)

    def _list(self, request: Request, target: _Target) -> Response:
        query, resource = request.query_params, target.resource
        objects = self.store.list(
            resource.plural,
            target.namespace,
            label_selector=query.get("labelSelector"),
            field_selector=query.get("fieldSelector"),
        )
        version = self.store.resource_version
        if _wants_table(request):
            return JSONResponse(table(resource, objects, version, self.store.now()))
        return JSONResponse(
            {
                "kind": f"{resource.kind}List",
                "apiVersion": resource.api_version,
                "metadata": {"resourceVersion": str(version)},
                "items": objects,
            }
        )

    # ----------------------------------------------------------- subresources

    def _log(self, request: Request, target: _Target) -> Response:
        if request.method != "GET" or target.name is None or target.namespace is None:
            raise ApiError(405, "MethodNotAllowed", "the log subresource is read only")
        query = request.query_params
        since: datetime | None = None
        if query.get("sinceSeconds"):
            since = self.store.now() - timedelta(seconds=_number(query["sinceSeconds"]))
        elif query.get("sinceTime"):
            try:
                since = datetime.fromisoformat(query["sinceTime"].replace("Z", "+00:00"))
            except ValueError:
                raise ApiError(
                    400, "BadRequest", f"invalid sinceTime {query['sinceTime']!r}"
                ) from None
        text = read_pod_log(
            self.store,
            target.namespace,
            target.name,
            container=query.get("container") or None,
            previous=query.get("previous") in ("true", "1"),
            since=since,
            tail=_number(query["tailLines"]) if query.get("tailLines") else None,
            timestamps=query.get("timestamps") in ("true", "1"),
        )
        return PlainTextResponse(text)

    def _scale(self, request: Request, target: _Target, body: bytes) -> Response:
        plural, name, namespace = target.resource.plural, target.name, target.namespace
        if name is None or namespace is None or plural not in SCALABLE:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if request.method == "GET":
            return JSONResponse(read_scale(self.store, plural, name, namespace))
        if request.method == "PUT":
            replicas = _json(body).get("spec", {}).get("replicas")
        elif request.method == "PATCH":
            _patch_kind(request)
            replicas = _json(body).get("spec", {}).get("replicas")
        else:
            raise ApiError(405, "MethodNotAllowed", f"{request.method} is not allowed on scale")
        return JSONResponse(write_scale(self.store, plural, name, namespace, replicas))

    def _metrics(self, request: Request, rest: list[str], identity: Identity | None) -> Response:
        """`metrics.k8s.io/v1beta1`: NodeMetrics and PodMetrics, list and get."""
        if request.method != "GET":
            raise ApiError(405, "MethodNotAllowed", "the metrics API is read only")
        if not rest:
            return JSONResponse(discovery.metrics_resources())
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        kind: Literal["nodes", "pods"]
        if rest[0] == "nodes" and namespace is None and len(rest) <= 2:
            kind = "nodes"
        elif rest[0] == "pods" and len(rest) <= 2:
            kind = "pods"
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if identity is not None:
            verb, name = ("get", rest[1]) if len(rest) == 2 else ("list", None)
            asked = AuthzRequest(verb, kind, namespace, name, api_group="metrics.k8s.io")
            authorize(self.store, identity, asked)
        found = self.store.list_usage(kind, namespace)
        if len(rest) == 2:
            match = [m for m in found if m["metadata"]["name"] == rest[1]]
            if not match:
                raise ApiError(404, "NotFound", f'{kind}.metrics.k8s.io "{rest[1]}" not found')
            return JSONResponse(match[0])
        selector = request.query_params.get("labelSelector")
        if selector and kind == "pods":
            named = {
                (p["metadata"]["namespace"], p["metadata"]["name"])
                for p in self.store.list("pods", namespace, label_selector=selector)
            }
            found = [
                m for m in found if (m["metadata"]["namespace"], m["metadata"]["name"]) in named
            ]
        return JSONResponse(
            {
                "kind": "NodeMetricsList" if kind == "nodes" else "PodMetricsList",
                "apiVersion": discovery.METRICS,
                "metadata": {},
                "items": found,
            }
        )


_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


def _rbac_request(method: str, target: _Target) -> AuthzRequest:
    """What RBAC checks for a request on a resource path."""
    verb = _VERBS.get(method) or ("get" if target.name else "list")
    return AuthzRequest(
        verb, target.resource.plural, target.namespace, target.name, target.subresource
    )


def _wants_table(request: Request) -> bool:
    return "as=Table" in request.headers.get("accept", "")


def _patch_kind(request: Request) -> PatchKind:
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    kind = PATCH_TYPES.get(content_type)
    if kind is None:
        raise ApiError(
            415,
            "UnsupportedMediaType",
            f"the body of the request was in an unknown format - accepted media types include: "
            f"{', '.join(PATCH_TYPES)} (the lab serves no {content_type or 'untyped'} patches)",
        )
    return kind


def _refuse_unserved(request: Request) -> None:
    """Watches get a 405; protobuf and CBOR bodies a 415 (the facade decodes JSON only)."""
    if "/watch/" in request.url.path or request.query_params.get("watch") in ("true", "1"):
        raise ApiError(405, "MethodNotAllowed", "the lab's Kubernetes facade does not serve watch")
    if request.method not in ("POST", "PUT"):
        return
    media = request.headers.get("content-type", "").split(";")[0].strip() or "application/json"
    if media != "application/json":
        raise ApiError(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: "
            f"application/json (the lab serves no {media})",
        )


def _json(body: bytes) -> JsonObject:
    try:
        data = json.loads(body or b"{}")
    except ValueError as e:
        raise ApiError(400, "BadRequest", f"the request body is not JSON: {e}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "BadRequest", "the request body must be a JSON object")
    return data


def _number(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ApiError(400, "BadRequest", f"invalid number {value!r}") from None


# --------------------------------------------------------------------- serving


@contextmanager
def serve_facade(
    store: KubeStore,
    *,
    token: str | None = None,
    users: Mapping[str, Identity] | None = None,
    tls: bool | None = None,
) -> Iterator[KubeFacade]:
    """Serve the facade on a free port of 127.0.0.1 in a background thread, until exit.

    Args:
        store: The cluster to serve.
        token: The bearer token every request must carry; None to accept any request.
        users: Instead of one token, each user's token and identity: requests are then
            authorized by the store's RBAC objects (403 Forbidden as the API server words it).
        tls: Serve HTTPS with a throw-away self-signed certificate (`facade.ca_pem`). Defaults
            to on with tokens, since kubectl sends tokens only over TLS.
    """
    facade = KubeFacade(store, token=token, users=users)
    with ExitStack() as stack:
        config = uvicorn.Config(facade.app, log_level="warning", lifespan="off", access_log=False)
        if tls if tls is not None else (token is not None or users is not None):
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lab-kube-")))
            cert, key = self_signed(folder)
            facade.ca_pem = cert.read_bytes()
            config = uvicorn.Config(
                facade.app,
                log_level="warning",
                lifespan="off",
                access_log=False,
                ssl_certfile=str(cert),
                ssl_keyfile=str(key),
            )
        sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        sock.bind(("127.0.0.1", 0))
        facade.address = f"127.0.0.1:{sock.getsockname()[1]}"
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="lab-kube-facade", daemon=True
        )
        thread.start()
        try:
            _wait(lambda: server.started or not thread.is_alive())
            if not server.started:
                raise RuntimeError("the lab's Kubernetes facade did not start")
            yield facade
        finally:
            server.should_exit = True
            thread.join(timeout=10)


def _wait(ready: Callable[[], bool], timeout_s: float = 10.0) -> None:
    event = threading.Event()
    waited = 0.0
    while not ready() and waited < timeout_s:
        event.wait(0.01)
        waited += 0.01


def facade_url(facade: KubeFacade) -> str:
    """The facade's base URL (`https://` when it serves TLS)."""
    return f"{'https' if facade.ca_pem else 'http'}://{facade.address}"
