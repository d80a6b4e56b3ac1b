"""The schema comes from migrations, matches the models, and migrates both ways."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from core.db.migrate import downgrade, head_revision, migration_status, upgrade
from pixelview.schema import model_metadata


def test_empty_database_is_behind_then_at_head(empty_engine: Engine) -> None:
    before = migration_status(empty_engine)
    assert before.current is None and not before.at_head
    after = upgrade(empty_engine)
    assert after.at_head and after.current == head_revision()
    assert "jobs" in inspect(empty_engine).get_table_names()


def test_upgrade_is_idempotent(engine: Engine) -> None:
    assert upgrade(engine).at_head
    assert upgrade(engine).at_head


def test_migrations_match_the_models(engine: Engine) -> None:
    """A model changed without a revision (or the reverse) fails here."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, model_metadata())
    assert diff == []


def test_downgrade_to_base_and_back(engine: Engine) -> None:
    assert downgrade(engine, "base").current is None
    assert "jobs" not in inspect(engine).get_table_names()
    assert upgrade(engine).at_head


def test_0009_judges_the_health_of_the_inventory_already_stored(engine: Engine) -> None:
    downgrade(engine, "0008")
    statuses = {"a": "Running", "b": "CrashLoopBackOff", "c": "1/3 ready", "d": "0/2 ready"}
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO inventory_clusters (name, first_seen, generation, counts) "
                "VALUES ('lab', '2026-12-05 00:00:00', 1, '{}')"
            )
        )
        for name, status in statuses.items():
            connection.execute(
                text(
                    "INSERT INTO inventory_objects (cluster, kind, namespace, name, labels, "
                    "status, summary, first_seen, last_seen, seen_generation) VALUES ('lab', "
                    "'Pod', 'shop', :name, '{}', :status, '{}', '2026-12-05 00:00:00', "
                    "'2026-12-05 00:00:00', 1)"
                ),
                {"name": name, "status": status},
            )
    assert upgrade(engine).at_head
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT name, health FROM inventory_objects ORDER BY name"))
        assert {str(row[0]): row[1] for row in rows} == {
            "a": "ok",
            "b": "bad",
            "c": "warn",
            "d": "bad",
        }
