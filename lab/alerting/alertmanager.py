"""The lab's Alertmanager: the webhook bodies a real one would send, when it would send them.

The world model reports which alerts fire now (as Prometheus evaluates its
rules); this notifier groups them by the route's `group_by` labels and
follows Alertmanager's dispatcher timing: a group's timer fires
`group_wait` after its first alert and then every `group_interval`; at each
firing the group is sent if it is new, if it changed (new alerts, resolved
ones), or if it still fires and `repeat_interval` has passed since it was last
sent. An alert that stops firing is sent once more as resolved
(`send_resolved`), then forgotten. Bodies are webhook version 4, with the
alerts' label fingerprints and the group key in Alertmanager's own format,
so the lab feeds PixelView's real ingestion path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.labels import labels_fingerprint

GO_ZERO_TIME = "0001-01-01T00:00:00Z"
"""The `endsAt` Alertmanager sends for a firing alert."""


@dataclass(frozen=True)
class LabAlert:
    """An alert the lab's monitoring raises: what a Prometheus alerting rule would produce."""

    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    generator_url: str = ""

    @property
    def fingerprint(self) -> str:
        """Alertmanager's fingerprint of the label set."""
        return labels_fingerprint(self.labels)


@dataclass(frozen=True)
class Route:
    """The root route and receiver of the lab's Alertmanager configuration."""

    receiver: str = "pixelview"
    group_by: tuple[str, ...] = ("alertname",)
    group_wait: timedelta = timedelta(seconds=30)
    group_interval: timedelta = timedelta(minutes=5)
    repeat_interval: timedelta = timedelta(hours=4)
    external_url: str = "http://alertmanager.lab:9093"


@dataclass
class _Group:
    labels: dict[str, str]
    next_flush: datetime
    """When its timer fires next: `group_wait` after creation, then every `group_interval`."""
    firing: dict[str, LabAlert] = field(default_factory=dict)
    resolved: dict[str, tuple[LabAlert, datetime]] = field(default_factory=dict)
    sent_at: datetime | None = None
    sent: frozenset[tuple[str, str]] = frozenset()


class AlertmanagerNotifier:
    """Groups the lab's firing alerts and says which webhook bodies are due, and when."""

    def __init__(self, route: Route | None = None) -> None:
        """Notify as `route` says (Alertmanager's defaults, grouped by `alertname`)."""
        self.route = route or Route()
        self._groups: dict[str, _Group] = {}

    def due(self, firing: Iterable[LabAlert], now: datetime) -> list[dict[str, Any]]:
        """The webhook bodies due at `now`, given every alert that fires at `now`."""
        current = {alert.fingerprint: alert for alert in firing}
        for fingerprint, alert in current.items():
            key, labels = self._group_of(alert)
            group = self._groups.setdefault(key, _Group(labels, now + self.route.group_wait))
            group.firing[fingerprint] = alert
            group.resolved.pop(fingerprint, None)
        for group in self._groups.values():
            for fingerprint in [f for f in group.firing if f not in current]:
                group.resolved[fingerprint] = (group.firing.pop(fingerprint), now)
        bodies = []
        for key in sorted(self._groups):
            group = self._groups[key]
            if now < group.next_flush:
                continue
            while group.next_flush <= now:
                group.next_flush += self.route.group_interval
            if self._worth_sending(group, now):
                bodies.append(self._body(key, group))
                group.sent_at = now
                group.resolved.clear()  # told once; gone from the group, as in Alertmanager
                group.sent = _snapshot(group)
                if not group.firing:
                    del self._groups[key]
        return bodies

    def _group_of(self, alert: LabAlert) -> tuple[str, dict[str, str]]:
        labels = {n: alert.labels[n] for n in self.route.group_by if n in alert.labels}
        rendered = ", ".join(f'{name}="{labels[name]}"' for name in sorted(labels))
        return f"{{}}:{{{rendered}}}", labels

    def _worth_sending(self, group: _Group, now: datetime) -> bool:
        """At a flush: the first one, a change since the last, or a firing group to repeat."""
        if group.sent_at is None:
            return bool(group.firing)
        if _snapshot(group) != group.sent:
            return True
        return bool(group.firing) and now - group.sent_at >= self.route.repeat_interval

    def _body(self, key: str, group: _Group) -> dict[str, Any]:
        alerts = [_firing_alert(a) for a in group.firing.values()]
        alerts += [_resolved_alert(a, at) for a, at in group.resolved.values()]
        alerts.sort(key=lambda a: _alert_order(a["labels"]))
        return {
            "receiver": self.route.receiver,
            "status": "firing" if group.firing else "resolved",
            "alerts": alerts,
            "groupLabels": dict(group.labels),
            "commonLabels": _common([a["labels"] for a in alerts]),
            "commonAnnotations": _common([a["annotations"] for a in alerts]),
            "externalURL": self.route.external_url,
            "version": "4",
            "groupKey": key,
            "truncatedAlerts": 0,
        }


def _snapshot(group: _Group) -> frozenset[tuple[str, str]]:
    return frozenset(
        [(f, "firing") for f in group.firing] + [(f, "resolved") for f in group.resolved]
    )


def _firing_alert(alert: LabAlert) -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        "startsAt": go_time(alert.starts_at),
        "endsAt": GO_ZERO_TIME,
        "generatorURL": alert.generator_url,
        "fingerprint": alert.fingerprint,
    }


def _resolved_alert(alert: LabAlert, ended: datetime) -> dict[str, Any]:
    return {**_firing_alert(alert), "status": "resolved", "endsAt": go_time(ended)}


def _alert_order(labels: Mapping[str, str]) -> tuple[str, str, list[tuple[str, str]]]:
    """Alertmanager's order within a notification: by `job`, by `instance`, then by labels."""
    return labels.get("job", ""), labels.get("instance", ""), sorted(labels.items())


def _common(maps: list[dict[str, str]]) -> dict[str, str]:
    if not maps:
        return {}
    first, *rest = maps
    return {k: v for k, v in sorted(first.items()) if all(m.get(k) == v for m in rest)}


def go_time(at: datetime) -> str:
    """A UTC time as Go's RFC 3339 marshalling writes it (fraction without trailing zeros)."""
    text = at.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{at.microsecond:06d}".rstrip("0")
    return f"{text}.{fraction}Z" if fraction else f"{text}Z"
