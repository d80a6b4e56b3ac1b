"""The port of the notification channels: one Protocol, generic in the channel's target.

Every channel has the same shape, so one `Notifier[T]` serves them all: the delivery worker
holds a `Notifier[SlackTarget]`, a `Notifier[EmailTarget]`, and so on, and dispatches on the
type of the stored `Target`. Sending is synchronous: deliveries are sent from worker threads,
one blocking call each, bounded by the client's timeout. A process builds each notifier once
and closes it when it stops.

The contract every implementation keeps:

- `send` returns a `Receipt` only when the provider accepted the message;
- it raises only `core.errors` types, with a message naming the channel and the target:
  `Unavailable` (network error, timeout, 5xx: retry with backoff), its subclass
  `connectors.notify.errors.RateLimited` (429: wait `retry_after_s` when given), `Forbidden`
  (credentials refused: give up and tell an admin) and `InvalidRequest` (the target or the
  message can never be accepted: give up);
- it keeps no state between calls but its connections (HTTP clients keep theirs alive between
  sends), so one instance may serve many threads at once;
- `close` releases those connections; nothing is sent through the notifier afterwards.

Idempotency differs per provider (each client's docstring says how): PagerDuty deduplicates by
incident, webhook receivers and mail readers see the `idempotency_key`, Slack and Twilio have no
idempotency key, so a retry after a lost response may deliver twice.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from connectors.notify.models import Message, Receipt

TargetT_contra = TypeVar("TargetT_contra", contravariant=True)


class Notifier(Protocol[TargetT_contra]):
    """Sends a `Message` to one target of its channel."""

    def send(self, target: TargetT_contra, message: Message) -> Receipt:
        """Deliver `message` to `target`; return the provider's receipt or raise a mapped error."""
        ...

    def close(self) -> None:
        """Release the connections the notifier keeps (it sends nothing afterwards)."""
        ...
