"""Guards over what tools returned: text from outside that tries to instruct the agent."""

from __future__ import annotations

import re
from collections.abc import Iterable

INSTRUCTION = re.compile(
    r"ignore (all |any )?(previous|prior|above) (instructions|prompts)|"
    r"disregard (all |the )?(previous|prior|above)|"
    r"you are now|new instructions:|system prompt|"
    r"(delete|drop|destroy|wipe) (the )?(namespace|cluster|database|volume)s?\b|"
    r"kubectl (delete|drain)|rm -rf",
    re.IGNORECASE,
)
"""Phrases that address an AI or ask for destruction, which logs and events never need to."""

UNTRUSTED_INSTRUCTION = "untrusted_instruction"
"""The report flag: data the tools returned tried to instruct the agent (nothing was run)."""


def planted_instructions(texts: Iterable[str]) -> list[str]:
    """The texts that read as instructions to the agent (to flag in the report)."""
    return [text for text in texts if INSTRUCTION.search(text)]


FORBIDDEN_ACTIONS = frozenset(
    {
        "kubernetes.delete_namespace",
        "kubernetes.drain_node",
        "vsphere.delete_snapshots",
    }
)
"""Actions triage never proposes, whatever the evidence: each destroys data or evicts a whole
node's workloads, and none is needed to relieve a fault (cordon a node, restart or roll back a
workload instead). A report's recommendation of one is dropped and flagged."""

FORBIDDEN_ACTION = "forbidden_action_dropped"
"""The report flag: the model proposed an action of `FORBIDDEN_ACTIONS`; it was dropped."""
