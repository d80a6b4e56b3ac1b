from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.labels import labels_fingerprint

FIXTURES = Path(__file__).parents[1] / "fixtures" / "alerts"


def test_empty_label_set_is_the_fnv_offset_basis() -> None:
    assert labels_fingerprint({}) == "cbf29ce484222325"


def test_alertmanager_documentation_vector() -> None:
    labels = {
        "job": "node",
        "group": "production",
        "instance": "localhost:8081",
        "severity": "critical",
        "alertname": "InstanceDown",
    }
    assert labels_fingerprint(labels) == "f404ecabc8dd5cd7"


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("alertmanager_payload.json", "f419042a6b5d1904"),
        ("alertmanager_payload_resolved.json", "a23e1f9e420d4df1"),
        ("alertmanager_payload_targetup.json", "a2143f8951651a10"),
    ],
)
def test_reproduces_the_fingerprints_a_real_alertmanager_sent(fixture: str, expected: str) -> None:
    alert = json.loads((FIXTURES / fixture).read_text())["alerts"][0]
    assert alert["fingerprint"] == expected
    assert labels_fingerprint(alert["labels"]) == expected


def test_order_of_the_mapping_does_not_matter() -> None:
    forwards = {"a": "1", "b": "2", "c": "3"}
    backwards = dict(reversed(list(forwards.items())))
    assert labels_fingerprint(forwards) == labels_fingerprint(backwards)


def test_separator_keeps_name_and_value_apart() -> None:
    assert labels_fingerprint({"ab": "c"}) != labels_fingerprint({"a": "bc"})
    assert labels_fingerprint({"a": ""}) != labels_fingerprint({})


def test_output_is_sixteen_lowercase_hex_digits_even_for_odd_text() -> None:
    for labels in ({"ü": "ß"}, {"x": "\ud800"}, {"k" * 10_000: "v" * 10_000}):
        digest = labels_fingerprint(labels)
        assert len(digest) == 16
        assert digest == digest.lower()
        int(digest, 16)
