"""Slack channel: `chat.postMessage` with Block Kit through `slack_sdk`."""
