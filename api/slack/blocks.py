"""The bot's messages in Block Kit, each with the plain text Slack shows in notifications.

Pure functions of plain values (`cards.py`, `chat.py`). Everything that came from outside
PixelView (titles, summaries, answers) is escaped, so it can never mention `@channel` or forge
a link.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from api.slack.cards import IncidentCard, TriageCard
from api.slack.chat import ChatAnswer
from connectors.notify.slack.mrkdwn import (
    MAX_FIELD,
    MAX_HEADER,
    MAX_TEXT,
    clip,
    escape,
    mrkdwn,
    plain,
)
from incidents.models.incident import IncidentStatus
from incidents.triage_report import TriageReport

Blocks = list[dict[str, Any]]

ACKNOWLEDGE = "pixelview.acknowledge"
RESOLVE = "pixelview.resolve"
TRIAGE = "pixelview.triage"
OPEN = "pixelview.open"
"""The link button: Slack sends its click too; the bot only acknowledges it."""
ACTIONS = (ACKNOWLEDGE, RESOLVE, TRIAGE)
"""The buttons that act on the incident; each carries the incident id as its value."""
LISTED = 5
"""Evidence lines, actions, runbooks and similar incidents shown at most."""
TRACE_LINES = 12
"""Steps of a chat answer's trace shown at most."""


def headline(card: IncidentCard) -> str:
    """`[CRITICAL] #42 Disk full on db-1`."""
    return f"[{card.severity.upper()}] #{card.id} {' '.join(card.title.split())}"


def incident_message(card: IncidentCard) -> tuple[str, Blocks]:
    """The incident's message: header, facts, the buttons its status allows, a context line."""
    status = IncidentStatus(card.status)
    fields = [("Status", status.value.replace("_", " ")), ("Severity", card.severity)]
    fields += [("Service", card.service)] if card.service else []
    fields += [("Integration", card.integration)]
    fields += [("Acknowledged by", card.acknowledged_by)] if card.acknowledged_by else []
    fields += [("Resolved by", card.resolved_by)] if card.resolved_by else []
    blocks: Blocks = [
        {"type": "header", "text": plain(clip(headline(card), MAX_HEADER))},
        {
            "type": "section",
            "fields": [mrkdwn(clip(f"*{k}*\n{escape(v)}", MAX_FIELD)) for k, v in fields],
        },
    ]
    buttons = []
    if status == IncidentStatus.TRIGGERED:
        buttons.append(_button("Acknowledge", ACKNOWLEDGE, card.id, style="primary"))
    if status != IncidentStatus.RESOLVED:
        buttons.append(_button("Resolve", RESOLVE, card.id, style="danger"))
    buttons.append(_button("Re-run triage", TRIAGE, card.id))
    if card.url:
        buttons.append(
            {
                "type": "button",
                "text": plain("Open in PixelView"),
                "url": card.url,
                "action_id": OPEN,
            }
        )
    blocks.append(
        {"type": "actions", "block_id": f"pixelview.incident.{card.id}", "elements": buttons}
    )
    opened = card.opened_at.strftime("%Y-%m-%d %H:%M UTC")
    blocks.append(
        {
            "type": "context",
            "elements": [mrkdwn(f"PixelView incident #{card.id} · opened {opened}")],
        }
    )
    return f"{escape(headline(card))} ({status.value.replace('_', ' ')})", blocks


def _button(label: str, action_id: str, incident_id: int, *, style: str | None = None) -> Any:
    button = {
        "type": "button",
        "text": plain(label),
        "action_id": action_id,
        "value": str(incident_id),
    }
    return button | ({"style": style} if style else {})


def triage_message(card: TriageCard) -> tuple[str, Blocks]:
    """A triage run's outcome for the incident's thread: the report, or why it failed."""
    if card.report is None:
        text = f"Triage run {card.run_id} of incident #{card.incident_id} failed: {card.error}"
        return escape(text), [{"type": "section", "text": mrkdwn(clip(escape(text), MAX_TEXT))}]
    report = card.report
    head = (
        f"*Triage* · {report.status.replace('_', ' ')} · confidence {report.confidence:.0%}"
        f" · mode {escape(report.mode)}"
    )
    blocks: Blocks = [_section(f"{head}\n{escape(report.summary)}")]
    if report.root_cause is not None:
        cause = report.root_cause
        where = f"{cause.namespace}/" if cause.namespace else ""
        category = f" ({report.category})" if report.category else ""
        blocks.append(
            _section(f"*Root cause*: {escape(f'{cause.kind} {where}{cause.name}')}{category}")
        )
    for title, lines in _report_lists(report, card.base_url):
        if lines:
            blocks.append(_section(f"*{title}*\n" + "\n".join(lines[:LISTED])))
    context = f"Triage run {card.run_id} · requested by {escape(card.requested_by)}"
    if report.flags:
        context += " · ⚠ " + ", ".join(escape(f) for f in report.flags)
    blocks.append({"type": "context", "elements": [mrkdwn(clip(context, MAX_TEXT))]})
    text = f"Triage of incident #{card.incident_id}: {report.summary}"
    return escape(clip(text, MAX_TEXT)), blocks


def _report_lists(report: TriageReport, base: str | None) -> list[tuple[str, list[str]]]:
    def link(path: str, label: str) -> str:
        return f"<{base}{path}|{escape(label)}>" if base and path.startswith("/") else escape(label)

    return [
        (
            "Evidence",
            [
                f"• {escape(e.summary)} `[{escape(e.call_id)} {escape(e.tool)}]`"
                for e in report.evidence
            ],
        ),
        (
            "Proposed actions (none runs without approval)",
            [
                f"• `{escape(a.action)}`" + (f": {escape(a.reason)}" if a.reason else "")
                for a in report.recommended_actions
            ],
        ),
        (
            "Runbooks",
            [
                f"• {link(r.link, f'{r.title}: {r.section}' if r.section else r.title)}"
                for r in report.runbooks
            ],
        ),
        (
            "Similar incidents",
            [
                f"• {link(s.link, f'#{s.incident_id}')} {escape(clip(s.summary, 200))}"
                for s in report.similar_incidents
            ],
        ),
    ]


def answer_message(answer: ChatAnswer) -> tuple[str, Blocks]:
    """A chat answer for a thread: the answer, then its steps in compact form."""
    text = escape(answer.text.strip() or "(no answer)")
    blocks: Blocks = [_section(chunk) for chunk in _chunks(text, MAX_TEXT)][:40]
    trace = trace_text(answer.trace)
    footer = " · ".join(x for x in (answer.mode and f"mode {escape(answer.mode)}", trace) if x)
    if footer:
        blocks.append({"type": "context", "elements": [mrkdwn(clip(footer, MAX_TEXT))]})
    return clip(text, MAX_TEXT), blocks


def trace_text(trace: Sequence[str]) -> str:
    """The steps of an answer, one per line, the first `TRACE_LINES` of them."""
    if not trace:
        return ""
    lines = [escape(step) for step in trace[:TRACE_LINES]]
    if len(trace) > TRACE_LINES:
        lines.append(f"… {len(trace) - TRACE_LINES} more steps")
    return "Steps:\n" + "\n".join(lines)


def notice(text: str) -> Blocks:
    """A one-section message of PixelView's own (already safe) mrkdwn."""
    return [_section(text)]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(clip(text, MAX_TEXT))}


def _chunks(text: str, size: int) -> list[str]:
    """`text` in pieces of at most `size` characters, cut at line ends where possible."""
    pieces: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        cut = cut if cut > size // 2 else size
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*pieces, text] if text else pieces
