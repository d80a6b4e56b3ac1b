"""Notifications: expanding pages into deliveries (the outbox) and sending them."""
