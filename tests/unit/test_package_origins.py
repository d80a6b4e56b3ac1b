"""Generic top-level names must resolve to this repository, not to a dependency."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["agents", "tools", "memory", "api", "core", "lab", "evals"])
def test_generic_package_names_resolve_inside_this_repository(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    origin = Path(module.__file__).resolve()
    assert origin.is_relative_to(REPO), f"{name} resolved to {origin}, outside {REPO}"
    assert ".venv" not in origin.parts and "site-packages" not in origin.parts
