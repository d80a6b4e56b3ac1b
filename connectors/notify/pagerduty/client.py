"""PagerDuty through the Events API v2 (`POST /v2/enqueue`).

Every event of one incident carries `dedup_key = "pixelview-<incident id>"`, so PagerDuty keeps
one alert per incident: a retried trigger is deduplicated, and acknowledge and resolve reach the
alert the trigger opened. `test` messages are sent as triggers (they open a real alert);
`summary` messages have no Events API counterpart and are refused with `InvalidRequest`.
PagerDuty answers 202 `{"status": "success", "message": "Event processed", "dedup_key": ...}`,
400 `{"status": "invalid event", "message": ..., "errors": [...]}`, and 429 when throttled.
"""

from __future__ import annotations

from typing import Any, Final

import httpx2

from connectors.notify.errors import error_for_status, failure, json_object
from connectors.notify.models import Message, PagerDutyTarget, Receipt
from core.errors import InvalidRequest, Unavailable

CHANNEL: Final = "pagerduty"
MAX_SUMMARY = 1024
_ACTIONS = {
    "trigger": "trigger",
    "test": "trigger",
    "acknowledge": "acknowledge",
    "resolve": "resolve",
}
_SEVERITIES = {
    "critical": "critical",
    "error": "error",
    "high": "error",
    "major": "error",
    "warning": "warning",
    "medium": "warning",
    "minor": "warning",
    "low": "info",
    "info": "info",
}


def dedup_key(incident_id: int) -> str:
    """The dedup key of every event about one incident."""
    return f"pixelview-{incident_id}"


def pd_severity(severity: str) -> str:
    """PagerDuty's severity for ours; an unknown one pages as `error` rather than be dropped."""
    return _SEVERITIES.get(severity.strip().lower(), "error")


class PagerDutyNotifier:
    """Triggers, acknowledges and resolves PagerDuty alerts for incidents."""

    def __init__(
        self,
        base_url: str = "https://events.pagerduty.com",
        *,
        source: str = "pixelview",
        timeout_s: float = 10.0,
    ) -> None:
        """Configure the endpoint; `source` is the payload's "affected system" for triggers."""
        self._url = f"{base_url.rstrip('/')}/v2/enqueue"
        self._source = source
        # One client for every send and thread, keeping its connections alive.
        self._client = httpx2.Client(verify=httpx2.create_ssl_context(), timeout=timeout_s)

    def send(self, target: PagerDutyTarget, message: Message) -> Receipt:
        """Send the event for `message`; the receipt's provider id is the dedup key."""
        event = self.event(target, message)
        try:
            response = self._client.post(self._url, json=event)
        except httpx2.TransportError as e:
            detail = f"cannot reach PagerDuty: {e!r}"
            raise Unavailable(failure(CHANNEL, target.label(), detail)) from e
        body = json_object(response)
        if not response.is_success:
            raise error_for_status(
                response.status_code,
                channel=CHANNEL,
                target=target.label(),
                detail=_pd_error(body, response.text),
                retry_after=response.headers.get("Retry-After"),
            )
        key = body.get("dedup_key")
        return Receipt(
            channel=CHANNEL,
            target=target.label(),
            provider_id=key if isinstance(key, str) else event["dedup_key"],
        )

    def close(self) -> None:
        """Close the kept-alive connections."""
        self._client.close()

    def event(self, target: PagerDutyTarget, message: Message) -> dict[str, Any]:
        """The Events API v2 body for `message`."""
        action = _ACTIONS.get(message.event)
        if action is None:
            detail = f"PagerDuty has no event for {message.event!r} messages; route them elsewhere"
            raise InvalidRequest(failure(CHANNEL, target.label(), detail))
        event: dict[str, Any] = {
            "routing_key": target.routing_key,
            "event_action": action,
            "dedup_key": dedup_key(message.incident_id),
        }
        if action != "trigger":
            return event
        event["payload"] = {
            "summary": message.headline()[:MAX_SUMMARY],
            "source": self._source,
            "severity": pd_severity(message.severity),
            "custom_details": {
                **message.fields,
                "incident_id": message.incident_id,
                "status": message.status,
                "summary": message.summary,
            },
        }
        event["client"] = "PixelView"
        if message.url:
            event["client_url"] = message.url
            event["links"] = [{"href": message.url, "text": f"Incident #{message.incident_id}"}]
        return event


def _pd_error(body: dict[str, Any], text: str) -> str:
    """PagerDuty's message and its list of errors, else the start of the raw text."""
    if not body:
        return text[:300]
    errors = body.get("errors") or []
    listed = "; ".join(str(e) for e in errors) if isinstance(errors, list) else str(errors)
    message = str(body.get("message") or body.get("status") or "error")
    return f"{message}: {listed}" if listed else message
