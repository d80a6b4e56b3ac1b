"""The nearest known word to a misspelt one."""

from __future__ import annotations

from core.suggest import did_you_mean


def test_names_the_nearest_known_word() -> None:
    assert did_you_mean("expekt", ["id", "expect", "tags"]) == "; did you mean 'expect'?"
    assert did_you_mean(True, ["True", "x"]) == "; did you mean 'True'?"  # not only text


def test_says_nothing_when_no_known_word_is_near() -> None:
    assert did_you_mean("zzz", ["expect", "tags"]) == ""
    assert did_you_mean("anything", []) == ""
