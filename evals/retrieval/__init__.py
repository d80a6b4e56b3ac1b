"""Retrieval quality of the runbook memory: recall@k and MRR on the labelled set."""
