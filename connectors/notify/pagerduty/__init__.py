"""PagerDuty channel: Events API v2."""
