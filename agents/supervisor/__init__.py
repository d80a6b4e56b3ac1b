"""Triage's supervisor: specialists asked as tools, a checked `submit_report`, the investigator.

`ModelInvestigator` (investigator.py) is what the composition root gives `TriageRunner`.
"""

from agents.supervisor.investigator import ModelInvestigator, TeamLimits

__all__ = ["ModelInvestigator", "TeamLimits"]
