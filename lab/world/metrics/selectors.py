"""PromQL vector selectors, the part of PromQL the lab answers.

`name`, `name{a="x", b!="y", c=~"re.*", d!~"re"}` and `{__name__="name", ...}`; regular
expressions are anchored as Prometheus anchors them. Anything else (functions, operators,
range vectors) is refused with `core.errors.InvalidRequest`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import InvalidRequest

_SELECTOR = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(?:\{(.*)\})?\s*$", re.DOTALL)
_MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*')


@dataclass(frozen=True)
class Matcher:
    """One label matcher."""

    label: str
    op: str
    value: str

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether a label set passes (a missing label reads as the empty string)."""
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = re.fullmatch(self.value, actual) is not None
        return found if self.op == "=~" else not found


def parse_selector(promql: str) -> list[Matcher]:
    """The matchers of a vector selector; InvalidRequest for anything the lab cannot answer."""
    found = _SELECTOR.match(promql)
    if not found or not (found.group(1) or found.group(2)):
        raise InvalidRequest(
            f'the lab answers PromQL vector selectors only (name{{label="value"}}), not {promql!r}'
        )
    name, body = found.group(1), found.group(2) or ""
    matchers = [Matcher("__name__", "=", name)] if name else []
    for term in _split(body):
        parsed = _MATCHER.fullmatch(term)
        if not parsed:
            raise InvalidRequest(f"cannot parse label matcher {term.strip()!r} in {promql!r}")
        label, op, value = parsed.groups()
        value = value.encode().decode("unicode_escape") if "\\" in value else value
        if op in ("=~", "!~"):
            try:
                re.compile(value)
            except re.error as e:
                raise InvalidRequest(f"bad regular expression {value!r}: {e}") from e
        matchers.append(Matcher(label, op, value))
    if not any(m.label == "__name__" or not m.matches({}) for m in matchers):
        raise InvalidRequest(f"vector selector {promql!r} must contain a non-empty matcher")
    return matchers


def _split(body: str) -> list[str]:
    """Split on commas outside double quotes."""
    terms, current, quoted, escaped = [], "", False, False
    for char in body:
        if char == "," and not quoted:
            terms.append(current)
            current = ""
            continue
        if char == '"' and not escaped:
            quoted = not quoted
        escaped = char == "\\" and not escaped
        current += char
    terms.append(current)
    return [t for t in terms if t.strip()]
