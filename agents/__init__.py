"""LLM agents: provider factory, supervisor and specialist graphs, triage, remediation, chat."""
