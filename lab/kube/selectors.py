"""Kubernetes label and field selectors, as the API server reads them.

Label selectors: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a`
and `!a`, comma-separated (all must hold). Field selectors: `path=value`,
`path==value`, `path!=value` on dotted paths such as `metadata.name`,
`spec.nodeName`, `status.phase` or `involvedObject.name`.
"""

from __future__ import annotations

import re
from typing import Any

_SET = re.compile(r"^\s*(!?)([\w./-]+)\s*(?:(notin|in)\s*\(([^)]*)\))?\s*$")
_EQUALITY = re.compile(r"^\s*([\w./-]+)\s*(==|=|!=)\s*([\w./:-]*)\s*$")


class InvalidSelector(ValueError):
    """A selector the API server would refuse; the message names the bad term."""


def _terms(selector: str) -> list[str]:
    """Split on commas outside parentheses."""
    terms, depth, current = [], 0, ""
    for char in selector:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return [t for t in terms if t.strip()]


def label_matches(selector: str, labels: dict[str, str]) -> bool:
    """True when `labels` satisfy every term of the label selector."""
    for term in _terms(selector):
        equality = _EQUALITY.match(term)
        if equality:
            key, op, value = equality.groups()
            if (labels.get(key) == value) != (op != "!="):
                return False
            continue
        found = _SET.match(term)
        if not found:
            raise InvalidSelector(f"unable to parse requirement: {term.strip()!r}")
        negated, key, op, values = found.groups()
        if op:
            members = {v.strip() for v in values.split(",") if v.strip()}
            inside = key in labels and labels[key] in members
            if inside != (op == "in"):
                return False
        elif (key in labels) == bool(negated):
            return False
    return True


def field_matches(selector: str, obj: dict[str, Any]) -> bool:
    """True when the object's fields satisfy every term of the field selector."""
    for term in _terms(selector):
        found = _EQUALITY.match(term)
        if not found:
            raise InvalidSelector(f"invalid field selector term: {term.strip()!r}")
        path, op, value = found.groups()
        current: Any = obj
        for part in path.split("."):
            current = current.get(part) if isinstance(current, dict) else None
        actual = "" if current is None else str(current)
        if (actual == value) != (op != "!="):
            return False
    return True
