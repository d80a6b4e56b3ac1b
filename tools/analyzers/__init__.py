"""Deterministic analyzers: k8sgpt-style rules that turn cluster state into findings."""
