"""The nearest known word to a misspelt one, for errors that name what was meant."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: object, known: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the known word nearest to `word`, or "" when none is near."""
    hint = difflib.get_close_matches(str(word), list(known), n=1)
    return f"; did you mean {hint[0]!r}?" if hint else ""
