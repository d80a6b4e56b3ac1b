"""SMS through Twilio's Messages API (`POST /2010-04-01/Accounts/{sid}/Messages.json`).

Form fields `To`, `From` and `Body`, HTTP basic auth with the account SID and auth token; Twilio
answers 201 with the Message resource (its `sid` is our provider id) or an error body
`{"code": ..., "message": ..., "more_info": ..., "status": ...}`. Twilio takes no idempotency
key for sending, so a retry after a lost response may send the SMS twice. The body is cut to
Twilio's 1,600 characters, keeping the incident link whole.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote

import httpx2

from connectors.notify.errors import error_for_status, failure, json_object
from connectors.notify.models import Message, Receipt, SmsTarget
from core.errors import Unavailable

CHANNEL: Final = "sms"
MAX_BODY = 1600


class SmsNotifier:
    """Sends incident messages as SMS through Twilio (or an API-compatible gateway)."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: str = "https://api.twilio.com",
        *,
        timeout_s: float = 10.0,
    ) -> None:
        self._auth = (account_sid, auth_token)
        self._from = from_number
        self._url = (
            f"{base_url.rstrip('/')}/2010-04-01/Accounts/{quote(account_sid, safe='')}"
            "/Messages.json"
        )
        # One client for every send and thread, keeping its connections alive.
        self._client = httpx2.Client(verify=httpx2.create_ssl_context(), timeout=timeout_s)

    def send(self, target: SmsTarget, message: Message) -> Receipt:
        """Send `message` to `target`; the receipt's provider id is Twilio's message SID."""
        form = {"To": target.number, "From": self._from, "Body": sms_body(message)}
        try:
            response = self._client.post(self._url, data=form, auth=self._auth)
        except httpx2.TransportError as e:
            raise Unavailable(
                failure(CHANNEL, target.label(), f"cannot reach Twilio: {e!r}")
            ) from e
        body = json_object(response)
        if not response.is_success:
            raise error_for_status(
                response.status_code,
                channel=CHANNEL,
                target=target.label(),
                detail=_twilio_error(body, response.text),
                retry_after=response.headers.get("Retry-After"),
            )
        sid = body.get("sid")
        return Receipt(
            channel=CHANNEL,
            target=target.label(),
            provider_id=sid if isinstance(sid, str) else None,
        )

    def close(self) -> None:
        """Close the kept-alive connections."""
        self._client.close()


def _twilio_error(body: dict[str, Any], text: str) -> str:
    """`Twilio error 21211: <message>` from an error body, else the start of the raw text."""
    if "message" in body:
        code = body.get("code")
        return f"Twilio error {code}: {body['message']}" if code else str(body["message"])
    return text[:300]


def sms_body(message: Message, limit: int = MAX_BODY) -> str:
    """Headline and status, then the summary, then the link; the summary is cut first.

    Lengths count Unicode code points; Twilio counts characters the same way for most text, but a
    body of emoji may count longer there (they are two UTF-16 units).
    """
    head = f"{message.headline()} ({message.status})"
    summary = " ".join(message.summary.split())
    link = f"\n{message.url}" if message.url else ""
    text = f"{head}\n{summary}" if summary else head
    room = limit - len(link)
    if room < len(text):
        text = text[: max(room - 1, 0)] + "…" if room > 0 else ""
    return (text + link)[:limit]
