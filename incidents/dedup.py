"""What makes two deliveries of an alert the same."""

from __future__ import annotations

import hashlib
import json

from incidents.alerts.schema import AlertIn


def content_hash(alert: AlertIn) -> str:
    """Hash of everything the sender said about the alert, except its raw form.

    Two deliveries with equal hashes are duplicates (Alertmanager's HA pair,
    resends); a different hash under the same fingerprint is an update.
    """
    content = alert.model_dump(
        mode="json",
        include={
            "status",
            "severity",
            "summary",
            "description",
            "labels",
            "annotations",
            "starts_at",
            "ends_at",
            "links",
        },
    )
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()
