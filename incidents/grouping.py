"""How alerts are grouped into incidents: a pure function of the alert and the rule."""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from incidents.alerts.schema import AlertIn

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_MAX_KEY = 255


class GroupingMode(StrEnum):
    """Ways to compute the grouping key."""

    AUTO = "auto"
    """The sender's group key when it has one (Alertmanager), else the fingerprint."""
    SOURCE_GROUP = "source_group"
    """The sender's group key (Alertmanager `groupKey`, generic `group`)."""
    LABELS = "labels"
    """The values of the listed labels."""
    TEMPLATE = "template"
    """A template over labels, e.g. `{namespace}/{alertname}`."""
    FINGERPRINT = "fingerprint"
    """No grouping: one incident per alert."""


class GroupingRule(BaseModel):
    """An integration's grouping setting."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: GroupingMode = GroupingMode.AUTO
    labels: list[str] = Field(default_factory=list)
    """For `labels`: the label names whose values form the key."""
    template: str | None = None
    """For `template`: `{label}` placeholders; `{severity}` and `{source}` also work."""

    @model_validator(mode="after")
    def _complete(self) -> GroupingRule:
        if self.mode == GroupingMode.LABELS and not self.labels:
            raise ValueError("grouping mode 'labels' needs a non-empty 'labels' list")
        if self.mode == GroupingMode.TEMPLATE and not (
            self.template and _PLACEHOLDER.search(self.template)
        ):
            raise ValueError("grouping mode 'template' needs a template with {placeholders}")
        return self


def grouping_key(alert: AlertIn, rule: GroupingRule) -> str:
    """The key that decides which open incident the alert joins."""
    match rule.mode:
        case GroupingMode.AUTO:
            key = f"group:{alert.group_key}" if alert.group_key else f"fp:{alert.fingerprint}"
        case GroupingMode.SOURCE_GROUP:
            key = f"group:{alert.group_key or alert.fingerprint}"
        case GroupingMode.LABELS:
            key = "labels:" + "|".join(
                f"{name}={alert.labels.get(name, '')}" for name in rule.labels
            )
        case GroupingMode.TEMPLATE:
            values = {
                **alert.labels,
                "severity": alert.severity.value,
                "source": alert.source.value,
            }
            assert rule.template is not None
            key = "tpl:" + _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), rule.template)
        case GroupingMode.FINGERPRINT:
            key = f"fp:{alert.fingerprint}"
    if len(key) > _MAX_KEY:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key
