"""The Slack Web API calls the bot makes, with Slack's errors mapped to PixelView's.

One `AsyncWebClient` (the Bolt app's own) does them all: post, update, ephemeral messages and
`users.info`. The SDK's retries are off, as the notifier's are: a lost response to
`chat.postMessage` retried blindly would post the message twice, so the jobs' retries decide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from connectors.notify.slack.client import api_error
from core.errors import InvalidRequest, Unavailable
from core.settings import SlackSettings

Blocks = list[dict[str, Any]]


def web_client(settings: SlackSettings) -> AsyncWebClient:
    """The bot's Web API client: its token and base URL from `settings`, no retries of its own."""
    assert settings.bot_token is not None  # SlackSettings requires it unless the bot is off
    return AsyncWebClient(
        token=settings.bot_token.get_secret_value(),
        base_url=settings.base_url,
        timeout=math.ceil(settings.timeout_s),
        retry_handlers=[],
    )


@dataclass(frozen=True)
class Posted:
    """Where a message went: Slack's channel id and the message's `ts`."""

    channel: str
    ts: str


class SlackWeb:
    """Posts, updates and looks up through the Web API; raises only `core.errors` types."""

    def __init__(self, client: AsyncWebClient) -> None:
        """Call Slack through `client`."""
        self.client = client

    async def post(
        self, channel: str, text: str, blocks: Blocks | None = None, *, thread_ts: str | None = None
    ) -> Posted:
        """Post a message (in a thread with `thread_ts`); `text` is the notification fallback."""
        response = await self._call(
            f"Slack chat.postMessage to {channel}",
            self.client.chat_postMessage,
            channel=channel,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
        )
        return Posted(channel=str(response.get("channel") or channel), ts=str(response["ts"]))

    async def update(self, channel: str, ts: str, text: str, blocks: Blocks) -> None:
        """Replace a message the bot posted."""
        await self._call(
            f"Slack chat.update of {channel}/{ts}",
            self.client.chat_update,
            channel=channel,
            ts=ts,
            text=text,
            blocks=blocks,
        )

    async def ephemeral(self, channel: str, user: str, text: str) -> None:
        """A message only `user` sees, in `channel`."""
        call = self.client.chat_postEphemeral
        await self._call(
            f"Slack chat.postEphemeral to {user}", call, channel=channel, user=user, text=text
        )

    async def user_email(self, user: str) -> str | None:
        """The e-mail address of a Slack user's profile (scope `users:read.email`), or None."""
        response = await self._call(
            f"Slack users.info of {user}", self.client.users_info, user=user
        )
        profile = (response.get("user") or {}).get("profile") or {}
        email = profile.get("email")
        return str(email) if email else None

    async def _call(self, what: str, method: Any, **arguments: Any) -> Any:
        try:
            return await method(**arguments)
        except SlackApiError as e:
            raise api_error(e, what) from e
        except SlackClientError as e:  # the SDK refused the request before sending it
            raise InvalidRequest(f"{what} failed: bad request: {e}") from e
        except (OSError, TimeoutError, aiohttp.ClientError) as e:  # connection errors, timeouts
            raise Unavailable(f"{what} failed: cannot reach Slack: {e!r}") from e
