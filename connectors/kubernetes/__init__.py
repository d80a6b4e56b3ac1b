"""The Kubernetes connector: `KubernetesPort`, its DTOs, the JSON mapping and the real client."""
