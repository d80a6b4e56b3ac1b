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
