"""DTOs of the notification channels: the page, where it goes, and what the provider said."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

Channel = Literal["slack", "email", "sms", "pagerduty", "webhook"]
Event = Literal["trigger", "acknowledge", "resolve", "summary", "test"]

EVENT_LABELS: dict[str, str] = {
    "trigger": "Triggered",
    "acknowledge": "Acknowledged",
    "resolve": "Resolved",
    "summary": "Summary",
    "test": "Test",
}

# Deliberately simple: one `@`, no whitespace, quotes, brackets or separators in the local part
# (they would need quoting in a header), and a dotted ASCII domain of DNS labels.
_EMAIL = re.compile(
    r"^[^@\s<>()\[\],;:\"\\]{1,64}@"
    r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
_PHONE_PUNCTUATION = re.compile(r"[\s().-]")


def check_http_url(url: str) -> str:
    """Return `url` if it is an absolute http(s) URL with a host; raise ValueError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an absolute http(s) URL, got {url!r}")
    return url


class Message(BaseModel):
    """The channel-neutral page: what every channel renders in its own way."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    incident_id: int
    title: str = Field(min_length=1)
    severity: str
    """PixelView's severity (critical, error, warning, info); channels map it to their own."""
    status: str
    """The incident's status when the message was written (triggered, acknowledged, resolved)."""
    summary: str = ""
    """Longer text: what happened, what the agents found. Channels with limits truncate it."""
    url: str | None = None
    """Link to the incident in the web panel."""
    event: Event
    idempotency_key: str = Field(pattern=r"^[!-~]{1,200}$")
    """Same key for every attempt of one delivery (printable ASCII, no spaces: header-safe)."""
    fields: dict[str, str] = Field(default_factory=dict)
    """Extra key/values shown with the message (service, cluster, assignee...)."""

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, url: str | None) -> str | None:
        return None if url is None else check_http_url(url)

    def headline(self) -> str:
        """One line of event, severity, number and title: `Triggered: [CRITICAL] #7 Disk full`."""
        title = " ".join(self.title.split())
        return f"{EVENT_LABELS[self.event]}: [{self.severity.upper()}] #{self.incident_id} {title}"


class Receipt(BaseModel):
    """What a channel accepted; written to the delivery log by the caller, with its own clock."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: Channel
    target: str
    """The target as a person may see it (secrets such as routing keys are masked)."""
    provider_id: str | None = None
    """The provider's id for what it accepted (Slack `channel/ts`, Twilio SID, PD dedup key)."""


class SlackTarget(BaseModel):
    """A Slack conversation: a channel id or name, or a user id for a direct message."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["slack"] = "slack"
    channel: str = Field(pattern=r"^\S{1,100}$")

    def label(self) -> str:
        """The target as shown in receipts and errors."""
        return self.channel


class EmailTarget(BaseModel):
    """One mailbox."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["email"] = "email"
    address: str

    @field_validator("address")
    @classmethod
    def _valid_address(cls, address: str) -> str:
        if not _EMAIL.match(address):
            raise ValueError(f"not an email address: {address!r}")
        return address

    def label(self) -> str:
        """The target as shown in receipts and errors."""
        return self.address


class SmsTarget(BaseModel):
    """A mobile number in E.164 form (`+15551234567`); spaces, dots, dashes and parentheses go."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["sms"] = "sms"
    number: str

    @field_validator("number", mode="before")
    @classmethod
    def _e164(cls, number: object) -> object:
        if not isinstance(number, str):
            return number
        compact = _PHONE_PUNCTUATION.sub("", number)
        if not _E164.match(compact):
            raise ValueError(f"not an E.164 phone number (+ country code, digits): {number!r}")
        return compact

    def label(self) -> str:
        """The target as shown in receipts and errors."""
        return self.number


class PagerDutyTarget(BaseModel):
    """A PagerDuty service's Events API v2 integration."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["pagerduty"] = "pagerduty"
    routing_key: str = Field(pattern=r"^\S{1,64}$", repr=False)
    """The integration key; a secret, kept out of reprs and labels."""

    def label(self) -> str:
        """The target as shown in receipts and errors: the routing key's last four characters."""
        return f"routing key ...{self.routing_key[-4:]}"


class WebhookTarget(BaseModel):
    """An HTTP endpoint that receives signed JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["webhook"] = "webhook"
    url: str
    secret: str = Field(min_length=1, repr=False)
    """Key of the HMAC-SHA256 signature (see `connectors.notify.webhook.client`)."""

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, url: str) -> str:
        return check_http_url(url)

    def label(self) -> str:
        """The target as shown in receipts and errors: scheme, host and port only.

        Many webhook URLs carry a secret in their path or query (Slack, Teams, Discord), so the
        rest of the URL never reaches a log or an error message.
        """
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        port = f":{parts.port}" if parts.port else ""
        rest = "/..." if parts.path.strip("/") or parts.query else ""
        return f"{parts.scheme}://{host}{port}{rest}"


Target = Annotated[
    SlackTarget | EmailTarget | SmsTarget | PagerDutyTarget | WebhookTarget,
    Field(discriminator="kind"),
]
"""Any channel's target; stored as JSON (its `kind` says which) and read back with a TypeAdapter."""
