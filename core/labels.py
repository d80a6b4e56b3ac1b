"""Prometheus' label-set fingerprint, computed exactly as Alertmanager computes it.

Shared by ingestion (alerts that arrive without one) and the lab (which sends
alerts as an Alertmanager would).

Alertmanager identifies an alert by `LabelSet.Fingerprint()` from
prometheus/common (`model/signature.go`, `labelSetToFingerprint`): FNV-1a
64-bit over the label names in sorted order, each name followed by the
separator byte 0xff, its value, and 0xff again; printed as 16 hex digits.
Computing the same value lets an alert that arrives without `fingerprint`
(older Alertmanagers, hand-written payloads) deduplicate with one that has it.
"""

from __future__ import annotations

from collections.abc import Mapping

_OFFSET_BASIS = 14695981039346656037
_PRIME = 1099511628211
_MASK = (1 << 64) - 1
_SEPARATOR = b"\xff"


def labels_fingerprint(labels: Mapping[str, str]) -> str:
    """The Alertmanager fingerprint of a label set, as 16 lowercase hex digits.

    Args:
        labels: The alert's labels (names to values).

    Returns:
        The fingerprint, e.g. `cbf29ce484222325` for the empty label set.
    """
    digest = _OFFSET_BASIS
    # Go sorts names by bytes; UTF-8 byte order equals code point order, so
    # sorting the Python strings gives the same order.
    for name in sorted(labels):
        chunk = _utf8(name) + _SEPARATOR + _utf8(labels[name]) + _SEPARATOR
        for byte in chunk:
            digest = ((digest ^ byte) * _PRIME) & _MASK
    return f"{digest:016x}"


def _utf8(text: str) -> bytes:
    # A JSON body can carry lone surrogates ("\ud800"); hashing must not fail on them.
    return text.encode("utf-8", "surrogatepass")
