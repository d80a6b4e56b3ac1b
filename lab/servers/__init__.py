"""Recipes that provide the real servers used by integration tests and benchmarks."""
