"""Tiers whose tools a developer's machine may lack, but CI must have: skip there, fail here."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(reason: str, *, required_by: str) -> NoReturn:
    """Skip, except where the variable `required_by` is `1` (the tier's make target): fail."""
    if os.environ.get(required_by) == "1":
        pytest.fail(reason)
    pytest.skip(reason)
