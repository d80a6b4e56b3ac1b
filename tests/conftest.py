"""Shared fixtures: test tiers by folder, and databases on SQLite and PostgreSQL.

Every PostgreSQL test gets a database of its own (`pixelview_test_<random>`),
created on the server named by `TEST_POSTGRES_URL` (default: this machine's
server at 127.0.0.1:5432, database `test`) and dropped afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from core.db.engine import make_engine
from core.db.migrate import upgrade
from core.logs import configure_logging
from lab.servers.postgres import check_reachable, scratch_database

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TIERS = ("unit", "integration", "e2e", "browser")
TESTS_DIR = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    """Log as the product does (plain tracebacks, not the slow default rich renderer)."""
    del config
    configure_logging(level="INFO", fmt="console")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with the tier of the folder it lives in."""
    for item in items:
        tier = Path(item.fspath).relative_to(TESTS_DIR).parts[0]
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    """URL of the PostgreSQL server the tests create databases on."""
    try:
        check_reachable(ADMIN_URL)
    except psycopg.OperationalError as e:
        pytest.fail(f"PostgreSQL at {ADMIN_URL} is not reachable (set TEST_POSTGRES_URL): {e}")
    return ADMIN_URL


@pytest.fixture
def postgres_url(postgres_admin: str) -> Iterator[str]:
    """URL of a new, empty PostgreSQL database, dropped after the test."""
    with scratch_database(postgres_admin, prefix="pixelview_test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a new, empty database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pixelview.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def empty_engine(database_url: str) -> Iterator[Engine]:
    """An engine on an empty database (no schema)."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """An engine on a database migrated to head."""
    upgrade(empty_engine)
    return empty_engine


@pytest.fixture(autouse=True)
def data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`data_dir` of every `Settings` a test builds: a folder of its own, never `./.pixelview`.

    (The embedded vector store and SQLite file default to it; the e2e tests' processes get
    their own working directory instead.)
    """
    folder = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("PIXELVIEW_DATA_DIR", str(folder))
    return folder
