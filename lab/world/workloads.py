"""What runs in the lab cluster: the apps of each namespace, their sizes, ports and config.

Plain data, so a reader sees the whole cluster on one page. Faults name their targets with
these names (`{namespace: payments, deployment: api}`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

NAMESPACES = ("default", "kube-system", "platform", "shop", "payments")
REGISTRY = "registry.lab.internal"


@dataclass(frozen=True)
class App:
    """A Deployment with one container, and the Service in front of it (when `port`)."""

    namespace: str
    name: str
    image: str
    """Repository without tag; the tag comes from the seed."""
    replicas: int
    cpu_request: str
    cpu_limit: str
    memory_request: str
    memory_limit: str
    port: int | None
    log_style: str
    """Which log generator writes its lines (`app_logs.py`)."""
    log_every_s: int
    """Mean spacing of its log lines."""
    container: str = ""
    """Container name; the app's name when empty."""
    service_port: int = 80
    config: dict[str, str] = field(default_factory=dict)
    """Its ConfigMap (`<name>-config`, loaded with envFrom) when not empty."""

    @property
    def container_name(self) -> str:
        """The name of its one container."""
        return self.container or self.name


APPS: tuple[App, ...] = (
    App("kube-system", "coredns", "registry.k8s.io/coredns/coredns", 2, "100m", "500m",
        "70Mi", "170Mi", 53, "coredns", 20, service_port=53),
    App("platform", "ingress-nginx-controller", "registry.k8s.io/ingress-nginx/controller", 2,
        "100m", "1", "90Mi", "512Mi", 80, "nginx", 8, container="controller"),
    App("platform", "cert-manager", "quay.io/jetstack/cert-manager-controller", 1, "10m",
        "200m", "32Mi", "128Mi", 9402, "klog", 90, service_port=9402),
    App("shop", "frontend", f"{REGISTRY}/shop/frontend", 3, "100m", "500m", "128Mi", "256Mi",
        8080, "nginx", 10),
    App("shop", "catalog", f"{REGISTRY}/shop/catalog", 2, "200m", "1", "256Mi", "512Mi", 8080,
        "json", 15, config={"DB_HOST": "db-payments-01.lab.internal", "CACHE_URL":
                            "redis://redis.shop.svc.cluster.local:6379"}),
    App("shop", "cart", f"{REGISTRY}/shop/cart", 2, "100m", "500m", "128Mi", "384Mi", 8080,
        "json", 15, config={"CACHE_URL": "redis://redis.shop.svc.cluster.local:6379"}),
    App("shop", "checkout", f"{REGISTRY}/shop/checkout", 2, "100m", "500m", "192Mi", "384Mi",
        8080, "json", 20, config={"PAYMENTS_URL": "http://api.payments.svc.cluster.local"}),
    App("shop", "redis", "docker.io/library/redis", 1, "100m", "500m", "128Mi", "256Mi", 6379,
        "redis", 120, service_port=6379),
    App("payments", "api", f"{REGISTRY}/payments/api", 3, "250m", "1", "384Mi", "512Mi", 8080,
        "json", 12, config={"DATABASE_URL":
                            "postgresql://payments@db-payments-01.lab.internal:5432/payments",
                            "LEDGER_URL": "http://ledger.payments.svc.cluster.local"}),
    App("payments", "ledger", f"{REGISTRY}/payments/ledger", 2, "200m", "1", "256Mi", "512Mi",
        8080, "json", 25, config={"DATABASE_URL":
                                  "postgresql://ledger@db-payments-02.lab.internal:5432/ledger"}),
    App("payments", "worker", f"{REGISTRY}/payments/worker", 2, "100m", "500m", "128Mi",
        "256Mi", None, "worker", 30),
)  # fmt: skip
"""Every Deployment of the cluster, in the order they are laid out."""


def app(namespace: str, name: str) -> App:
    """The app of that namespace and name (KeyError when none)."""
    for candidate in APPS:
        if candidate.namespace == namespace and candidate.name == name:
            return candidate
    raise KeyError(f"{namespace}/{name}")


def parse_cpu(quantity: str) -> float:
    """A CPU quantity in cores (`250m` → 0.25, `1` → 1.0)."""
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


_BINARY = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4}


def parse_bytes(quantity: str) -> int:
    """A memory quantity in bytes (`256Mi` → 268435456)."""
    for suffix, factor in _BINARY.items():
        if quantity.endswith(suffix):
            return int(quantity[: -len(suffix)]) * factor
    return int(quantity)
