"""Escalation: policies, their snapshot in each incident, the pure step engine, and its executor."""
