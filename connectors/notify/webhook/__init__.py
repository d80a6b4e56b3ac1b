"""Webhook channel: signed JSON POSTs."""
