from __future__ import annotations

import pytest

from core.db.engine import parse_database_url
from core.errors import ConfigError


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://pv@db:5432/pixelview", "postgresql+psycopg"),
        ("postgres://pv@db/pixelview", "postgresql+psycopg"),
        ("postgresql+psycopg://pv@db/pixelview", "postgresql+psycopg"),
        ("sqlite:///.pixelview/pixelview.db", "sqlite"),
    ],
)
def test_supported_urls_are_normalized(url: str, driver: str) -> None:
    assert parse_database_url(url).drivername == driver


def test_unsupported_backend_is_named() -> None:
    with pytest.raises(ConfigError, match="'mysql'"):
        parse_database_url("mysql://root@localhost/test")


def test_malformed_url_is_named() -> None:
    with pytest.raises(ConfigError, match="not a database URL"):
        parse_database_url("x")
