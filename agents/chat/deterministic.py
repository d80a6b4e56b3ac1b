"""Chat without a model (mode `none`): recognise the question, answer it through the tools.

The answers are PixelView's own, templated from what the read tools return, so the same
`tool_call` / `tool_result` steps stream as with a model and every fact cites its call. A
question outside the intents of `agents/chat/intents.py` is answered with what can be asked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from agents.chat import cluster_answers, incident_answers
from agents.chat.calls import StepTools
from agents.chat.intents import Focus, Intent, IntentKind, parse
from agents.chat.reply import Reply

Answerer = Callable[[Intent, StepTools], Awaitable[Reply]]

ANSWERS: dict[IntentKind, Answerer] = {
    "incident_summary": incident_answers.incident_summary,
    "similar_incidents": incident_answers.similar,
    "open_incidents": incident_answers.open_incidents,
    "on_call": incident_answers.on_call,
    "runbook": incident_answers.runbook,
    "pod_restarts": cluster_answers.pod_restarts,
    "failing_pods": cluster_answers.failing_pods,
    "nodes_not_ready": cluster_answers.nodes_not_ready,
    "namespace_health": cluster_answers.namespace_health,
}

CAN_ANSWER = """\
Without a language model I can answer these (name the incident, namespace or cluster):
- what is wrong with incident 42? (its state and triage report)
- incidents similar to incident 42? / have we seen OOMKilled in payments before?
- which incidents are open? (optionally: critical, error, warning or info)
- who is on call?
- find a runbook for <problem>
- which pods in payments restart most?
- which pods are failing (not running or not ready) in payments?
- which nodes are not ready?
- what is wrong in payments? (PixelView's checks over a namespace or a cluster)
Add "in cluster <name>" to ask one cluster; otherwise I read each configured cluster."""

NOT_UNDERSTOOD = (
    "I did not recognise that question, and no language model is configured to read it. "
)


async def answer_without_model(question: str, tools: StepTools, focus: Focus) -> Reply:
    """The deterministic answer to `question`, its tool calls streamed through `tools`."""
    intent = parse(question, clusters=list(tools.deps.kubernetes), focus=focus)
    answer = ANSWERS.get(intent.kind)
    if answer is None:
        text = CAN_ANSWER if intent.recognised else NOT_UNDERSTOOD + CAN_ANSWER
        return Reply(text=text, focus=focus)
    reply = await answer(intent, tools)
    kept = Focus(
        namespace=reply.focus.namespace or focus.namespace,
        cluster=reply.focus.cluster or focus.cluster,
        incident_id=reply.focus.incident_id or focus.incident_id,
    )
    return replace(reply, focus=kept)
