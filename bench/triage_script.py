"""The scripted model of `bench.triage`: a short supervised investigation of the OOM fault.

The supervisor asks the Kubernetes specialist, which lists the pods and answers; the
supervisor submits a report citing the analyzers' call (t1) and the listing (t2). Each run
replays the same script, so the bench measures PixelView's own overhead around a model: the
loop, the tools, the checks of the submission, the checkpoints.
"""

from __future__ import annotations

import itertools
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.messages.ai import UsageMetadata

from agents.budget import Budget
from agents.llm import ScriptedChatModel
from agents.supervisor import ModelInvestigator

USAGE: UsageMetadata = {"input_tokens": 900, "output_tokens": 60, "total_tokens": 960}
_ids = itertools.count(1)


def _call(tool: str, **arguments: Any) -> AIMessage:
    return AIMessage(
        content="",
        tool_calls=[{"name": tool, "args": arguments, "id": f"bench-{next(_ids)}"}],
        usage_metadata=USAGE,
    )


def script() -> list[AIMessage]:
    """The investigation, message by message."""
    return [
        _call("ask_kubernetes", question="Why do the payments/api pods restart?"),
        _call("k8s_list_pods", namespace="payments"),
        AIMessage(
            content="The payments/api pods end OOMKilled with exit 137 [t2].",
            usage_metadata=USAGE,
        ),
        _call(
            "submit_report",
            root_cause={
                "cloud": "kubernetes",
                "kind": "Deployment",
                "namespace": "payments",
                "name": "api",
            },
            category="resource.memory",
            confidence=0.9,
            summary="payments/api is OOMKilled at its 256Mi memory limit.",
            evidence=[
                {"call_id": "t1", "summary": "the limit", "excerpt": "memory limit 256Mi"},
                {"call_id": "t2", "summary": "the pods", "excerpt": "OOMKilled"},
            ],
            recommended_actions=[
                {
                    "action": "kubernetes.set_memory_limit",
                    "params": {
                        "namespace": "payments",
                        "deployment": "api",
                        "memory_limit": "512Mi",
                    },
                }
            ],
        ),
    ]


def scripted_investigator() -> ModelInvestigator:
    """A supervisor over a fresh scripted model (one per run, as the container makes them)."""
    return ModelInvestigator(
        ScriptedChatModel(script=script()),
        budget=Budget(max_tool_calls=30, max_tokens=200_000, max_seconds=300),
        mode="scripted",
    )
