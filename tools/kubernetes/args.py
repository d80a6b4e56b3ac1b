"""Arguments every Kubernetes tool shares."""

from __future__ import annotations

from pydantic import Field

from tools.decorators import ToolArgs


class ClusterArgs(ToolArgs):
    """Arguments of a tool that reads one cluster."""

    cluster: str | None = Field(
        None, description="Kubernetes cluster name; leave it out when only one is configured."
    )


class PodRef(ClusterArgs):
    """Arguments naming one pod."""

    namespace: str = Field(description="Namespace of the pod.")
    pod: str = Field(description="Exact pod name, as k8s_list_pods returns it.")

    def target(self) -> str:
        """`namespace/pod`."""
        return f"{self.namespace}/{self.pod}"
