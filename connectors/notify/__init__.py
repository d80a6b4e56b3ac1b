"""Outbound notification channels: Slack, email, SMS (Twilio), PagerDuty Events v2, webhooks.

`port.Notifier` is the one Protocol; `models` holds the channel-neutral `Message`, one target
model per channel and the `Receipt`; each channel's `client.py` is its one real implementation.
Failures surface as `core.errors` types (`errors.RateLimited` adds how long to wait), so the
delivery worker decides between retrying and giving up without knowing any provider.
"""
