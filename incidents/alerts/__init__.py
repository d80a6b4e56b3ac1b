"""Alerts: the normalized `AlertIn`, fingerprints, and one normalizer per source."""
