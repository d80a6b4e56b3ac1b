"""Alerts, incidents, escalation, on-call, notifications, reports and the audit log."""
