"""The Slack bot (slack-bolt): mentions, DMs, `/pixelview`, incident messages and buttons.

The only package besides `connectors/notify/slack/client.py` that imports the Slack SDK
(`slack_sdk`, `slack_bolt`). See docs/slack.md.
"""
