"""The lab's monitoring: alerts raised as Prometheus and Alertmanager would raise them."""
