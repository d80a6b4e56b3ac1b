"""Triage: investigate a new incident and write a report that cites its evidence."""
