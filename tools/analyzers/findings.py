"""What an analyzer reports: a suspect resource, a category, and the evidence for it."""

from __future__ import annotations

from dataclasses import dataclass, field

from incidents.triage_report import Category, RecommendedAction, ResourceRef


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One problem an analyzer found, with the facts that show it.

    `resource` is the thing to fix (the Deployment whose limit is too low), `subjects` the
    things that show the symptom (its pods). `evidence` quotes what the cluster said, as
    data: an agent or a report cites it, never follows it.
    """

    analyzer: str
    """The rule that fired, e.g. `oom_killed`."""
    resource: ResourceRef
    category: Category
    summary: str
    evidence: tuple[str, ...]
    subjects: tuple[ResourceRef, ...] = ()
    action: RecommendedAction | None = None
    """What would fix it (proposed, never run by an analyzer)."""
    weight: float = 0.5
    """How directly it explains an incident: a cause (1.0) over a symptom of one (0.3)."""
    source: str = field(default="kubernetes")
    """The port it read: `kubernetes` now; OpenStack and vSphere analyzers join later."""

    def key(self) -> tuple[str, str, str, str]:
        """Findings with one key are one problem seen on several subjects."""
        return (
            self.analyzer,
            self.resource.kind,
            self.resource.namespace or "",
            self.resource.name,
        )
