"""Typed read and write tools over the services and ports below, and deterministic analyzers."""
