"""Slack: `chat.postMessage` with Block Kit blocks and a plain-text fallback.

The only module that imports `slack_sdk`. Slack has no idempotency key: when a response is lost
after Slack accepted the message, the retry posts it a second time. The SDK's own retries are
turned off so that the delivery worker alone decides when to try again.
"""

from __future__ import annotations

from typing import Any, Final

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from connectors.notify.errors import RateLimited, failure, parse_retry_after
from connectors.notify.models import Message, Receipt, SlackTarget
from connectors.notify.slack.mrkdwn import (
    MAX_FIELD,
    MAX_FIELDS,
    MAX_HEADER,
    MAX_TEXT,
    clip,
    escape,
    mrkdwn,
    plain,
)
from core.errors import Forbidden, InvalidRequest, PixelViewError, Unavailable

CHANNEL: Final = "slack"

# Slack answers these with HTTP 200 and ok=false, but they pass: try again later.
_TRANSIENT = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})
# The token is wrong, revoked or lacks a scope: an admin has to act.
_AUTH = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "not_allowed_token_type",
        "ekm_access_denied",
        "restricted_action",
    }
)


class SlackNotifier:
    """Posts incident messages to Slack channels and direct messages."""

    def __init__(
        self, token: str, base_url: str = "https://slack.com/api/", *, timeout_s: int = 10
    ) -> None:
        self._client = WebClient(
            token=token, base_url=base_url, timeout=timeout_s, retry_handlers=[]
        )

    def send(self, target: SlackTarget, message: Message) -> Receipt:
        """Post `message` to `target`; the receipt's provider id is `<channel id>/<ts>`."""
        try:
            response = self._client.chat_postMessage(
                channel=target.channel,
                text=fallback_text(message),
                blocks=blocks(message),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as e:
            raise api_error(e, f"{CHANNEL} delivery to {target.label()}") from e
        except SlackClientError as e:  # the SDK refused the request before sending it
            raise InvalidRequest(failure(CHANNEL, target.label(), f"bad request: {e}")) from e
        except OSError as e:  # urllib's URLError, refused connections, timeouts
            raise Unavailable(failure(CHANNEL, target.label(), f"cannot reach Slack: {e}")) from e
        channel_id = str(response.get("channel") or target.channel)
        return Receipt(
            channel=CHANNEL, target=target.label(), provider_id=f"{channel_id}/{response['ts']}"
        )

    def close(self) -> None:
        """Nothing to release: the SDK's client opens a connection per request."""


def api_error(e: SlackApiError, what: str) -> PixelViewError:
    """Map a Slack error response to our errors by its `error` code and HTTP status.

    The message is `<what> failed: <Slack's error code> (HTTP <status>)`.

    `Unavailable` (its subclass `RateLimited` for 429) may pass; `Forbidden` (the token) and
    `InvalidRequest` (the channel, the message) will not.
    """
    status: int = e.response.status_code
    data = e.response.data
    code = str(data.get("error", "unknown_error")) if isinstance(data, dict) else "unknown_error"
    message = f"{what} failed: {code} (HTTP {status})"
    if status == 429 or code == "ratelimited":
        headers: dict[str, Any] = dict(e.response.headers or {})
        retry_after = next((str(v) for k, v in headers.items() if k.lower() == "retry-after"), None)
        return RateLimited(message, retry_after_s=parse_retry_after(retry_after))
    if status >= 500 or code in _TRANSIENT:
        return Unavailable(message)
    if code in _AUTH:
        return Forbidden(message)
    # channel_not_found, not_in_channel, is_archived, invalid_blocks, msg_too_long, ...
    return InvalidRequest(message)


def fallback_text(message: Message) -> str:
    """The plain text of notifications and clients that show no blocks."""
    text = escape(message.headline())
    return f"{text} <{message.url}|Open incident>" if message.url else text


def blocks(message: Message) -> list[dict[str, Any]]:
    """Block Kit: header, fields, summary, link button, context line.

    The fields are severity, status and `message.fields`, up to the ten Slack shows.
    """
    fields = [("Severity", message.severity), ("Status", message.status)]
    fields += list(message.fields.items())
    result: list[dict[str, Any]] = [
        {"type": "header", "text": plain(clip(message.headline(), MAX_HEADER))},
        {
            "type": "section",
            "fields": [
                mrkdwn(clip(f"*{escape(k)}*\n{escape(v)}", MAX_FIELD))
                for k, v in fields[:MAX_FIELDS]
            ],
        },
    ]
    if message.summary.strip():
        result.append({"type": "section", "text": mrkdwn(clip(escape(message.summary), MAX_TEXT))})
    if message.url:
        button = {
            "type": "button",
            "text": plain("Open incident"),
            "url": message.url,
            "action_id": "pixelview_open_incident",
        }
        result.append({"type": "actions", "elements": [button]})
    context = f"PixelView incident #{message.incident_id} · {message.event}"
    result.append({"type": "context", "elements": [mrkdwn(context)]})
    return result
