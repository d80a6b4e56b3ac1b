"""The lab's metric series: seasonal baselines, fault overlays, and Prometheus-like queries."""
