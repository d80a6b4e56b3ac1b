"""A kubeconfig file for a cluster: the lab's facade, or any API server URL."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import yaml


def write_kubeconfig(
    path: Path,
    *,
    server: str,
    token: str | None = None,
    ca_pem: bytes | None = None,
    cluster: str = "lab",
    namespace: str | None = None,
) -> Path:
    """Write a kubeconfig with one cluster, user and context (all named `cluster`), current.

    Args:
        path: Where to write it (mode 0600: it may hold a token).
        server: The API server URL (`facade_url(facade)` for the lab's facade).
        token: A bearer token for the user.
        ca_pem: The CA certificate that signed an HTTPS server's certificate (`facade.ca_pem`).
        cluster: The name of the cluster, user and context.
        namespace: The context's default namespace.
    """
    context: dict[str, Any] = {"cluster": cluster, "user": cluster}
    if namespace:
        context["namespace"] = namespace
    user: dict[str, Any] = {"token": token} if token else {}
    entry: dict[str, Any] = {"server": server}
    if ca_pem:
        entry["certificate-authority-data"] = base64.b64encode(ca_pem).decode("ascii")
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster, "cluster": entry}],
        "users": [{"name": cluster, "user": user}],
        "contexts": [{"name": cluster, "context": context}],
        "current-context": cluster,
        "preferences": {},
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    path.chmod(0o600)
    return path
