"""Small helpers every normalizer shares: coercion, times, macros, bounded values."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from incidents.alerts.errors import PayloadError
from incidents.alerts.schema import AlertIn

SUMMARY_MAX = 1024
"""`AlertIn.summary`'s limit; longer summaries are cut, never refused (PagerDuty does the same)."""
FINGERPRINT_MAX = 255
MAX_PROBLEMS = 50
"""A body with thousands of broken fields gets an answer of readable size."""

ZABBIX_MACRO = re.compile(r"\{\$?[A-Z][A-Z0-9_.]*\}")
"""A Zabbix macro left unexpanded: `{EVENT.ID}`, or a user macro such as `{$ZABBIX.URL}`."""

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$", re.ASCII
)
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$", re.ASCII)
_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$")
_EPOCH_MS_THRESHOLD = 100_000_000_000
"""Epoch numbers above this are milliseconds (seconds would be past the year 5000)."""


def payload_error(problems: list[str]) -> PayloadError:
    """A `PayloadError` listing the first `MAX_PROBLEMS` problems and how many more there were."""
    if len(problems) <= MAX_PROBLEMS:
        return PayloadError(problems)
    hidden = len(problems) - MAX_PROBLEMS
    return PayloadError([*problems[:MAX_PROBLEMS], f"... and {hidden} more problems"])


def require_object(body: object) -> dict[str, Any]:
    r"""The body as a dict whose text is all valid Unicode, or a `PayloadError`.

    JSON may escape lone surrogates (`"\ud800"`); Python decodes them into text
    that cannot be encoded, hashed into a URL or stored, so they are refused here,
    once, for every source.
    """
    if not isinstance(body, dict):
        raise PayloadError([f"body: must be a JSON object, not {json_type(body)}"])
    broken = [
        f"{path or 'body'}: not valid Unicode (a lone surrogate)"
        for path, text in walk_strings(body)
        if not _encodable(text)
    ]
    if broken:
        raise payload_error(broken)
    return cast(dict[str, Any], body)


def walk_strings(value: object) -> Iterator[tuple[str, str]]:
    """Every `(field path, text)` in a decoded value, keys included, without recursion."""
    stack: list[tuple[str, object]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            yield path, item
        elif isinstance(item, Mapping):
            children = []
            for key, child in item.items():
                name = key if isinstance(key, str) and _encodable(key) else _escaped(str(key))
                child_path = f"{path}.{name}" if path else name
                if isinstance(key, str):
                    yield child_path, key
                children.append((child_path, child))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(reversed([(f"{path}[{i}]", child) for i, child in enumerate(item)]))


def shown(value: object, limit: int = 40) -> str:
    """`repr(value)` for an error message, cut so a huge value cannot flood it."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _escaped(text: str) -> str:
    # Error messages travel as UTF-8: a lone surrogate in a key is shown as `\udfff`.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def as_text(value: object) -> str | None:
    """A string, or a JSON number written as text; None for anything else.

    Form-encoded senders send `"1"`, JSON senders may send `1`: both mean the same.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() else str(value)
    return None


def non_blank(value: object) -> str | None:
    """`as_text(value)` when it has something other than whitespace, else None."""
    text = as_text(value)
    return text if text is not None and text.strip() else None


def string_map(value: object) -> dict[str, str] | None:
    """A JSON object whose values are all strings, copied; None when it is not one."""
    if not isinstance(value, dict):
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return None
    return dict(cast(dict[str, str], value))


def truncate_summary(summary: str) -> str:
    """Cut a summary to `SUMMARY_MAX` characters."""
    return summary[:SUMMARY_MAX]


def bounded_fingerprint(fingerprint: str) -> str:
    """The fingerprint itself when it fits `AlertIn`; else a stable shortened form.

    The shortened form keeps a readable prefix and appends the SHA-256 of the whole
    value, so two long keys stay apart and the same long key always maps the same way.
    """
    if len(fingerprint) <= FINGERPRINT_MAX:
        return fingerprint
    digest = hashlib.sha256(fingerprint.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{fingerprint[: FINGERPRINT_MAX - len(digest) - 1]}:{digest}"


def parse_rfc3339(text: str) -> datetime:
    """An aware datetime from RFC 3339 text (fractional seconds and `Z` allowed).

    Raises:
        ValueError: The text is not a date-time with a time zone.
    """
    if _RFC3339.match(text):
        try:
            return in_range(datetime.fromisoformat(text.upper()))
        except ValueError:
            pass  # well-formed but impossible: February 30th, or past year 9999 in UTC
    raise ValueError("must be an RFC 3339 date-time with a time zone, like 2026-11-22T10:15:00Z")


def parse_iso8601(value: object) -> datetime:
    """An aware datetime from ISO 8601 text (UTC when it names no zone) or Unix time.

    Numbers are seconds since the epoch, or milliseconds when they are that large.

    Raises:
        ValueError: The value is neither.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return from_epoch(value / 1000 if abs(value) > _EPOCH_MS_THRESHOLD else value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            return in_range(parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC))
    raise ValueError("must be an ISO 8601 date-time")


def in_range(moment: datetime) -> datetime:
    """The aware datetime itself, once sure it can be converted to UTC.

    Raises:
        ValueError: Converting it would leave years 1-9999 (`0001-01-01T00:00:00+01:00`).
    """
    try:
        moment.astimezone(UTC)
    except OverflowError as e:
        raise ValueError("out of range once converted to UTC") from e
    return moment


def from_epoch(seconds: float) -> datetime:
    """An aware UTC datetime from Unix time.

    Raises:
        ValueError: The number is not a representable time.
    """
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError) as e:
        raise ValueError("must be a Unix time in range") from e


def parse_timezone(name: str) -> tzinfo:
    """A time zone from `UTC`, an offset (`+02:00`, `-0500`) or an IANA name.

    Raises:
        ValueError: None of these.
    """
    name = name.strip()
    if name.upper() in ("UTC", "Z", "GMT"):
        return UTC
    offset = _OFFSET.match(name)
    if offset:
        sign, hours, minutes = offset.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if delta < timedelta(hours=24):
            return timezone(-delta if sign == "-" else delta)
    elif _ZONE_NAME.match(name):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    raise ValueError("must be UTC, an offset like +02:00, or an IANA time zone like Europe/Riga")


def is_go_zero(moment: datetime) -> bool:
    """Whether a time is Go's zero time (`0001-01-01T00:00:00Z`): "not set"."""
    return moment.year == 1


def find_macros(value: object) -> Iterator[tuple[str, str]]:
    """Every `(field path, macro)` of an unexpanded Zabbix macro in a decoded value."""
    for path, text in walk_strings(value):
        found = ZABBIX_MACRO.search(text)
        if found:
            yield path, found.group(0)


def field_path(loc: tuple[int | str, ...], prefix: str = "") -> str:
    """`("alerts", 0, "id")` as `alerts[0].id`, under an optional prefix."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path or "body"


def validation_messages(error: ValidationError, prefix: str = "") -> list[str]:
    """One `path: message` line per problem pydantic found."""
    return [f"{field_path(e['loc'], prefix)}: {e['msg']}" for e in error.errors()]


def build_alert(make: Callable[[], AlertIn], where: str = "") -> AlertIn:
    """Run `make`, turning a rejection by `AlertIn` into a `PayloadError`.

    The normalizers check every field first; this catches what slips past them,
    such as text that is not valid Unicode (a lone surrogate such as U+D800).
    """
    try:
        return make()
    except ValidationError as e:
        raise payload_error(validation_messages(e, where)) from e
