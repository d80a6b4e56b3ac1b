"""Prometheus's HTTP query API: the port (instant, range, series) and its DTOs."""
