"""Set-based writes that both dialects support."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, SQLModel

ModelT = TypeVar("ModelT", bound=SQLModel)


def insert_skipping_conflicts(
    session: Session, model: type[ModelT], rows: Sequence[dict[str, Any]]
) -> list[ModelT]:
    """Insert rows in one statement; rows that hit a unique constraint are skipped.

    Returns the inserted rows as ORM objects of the session (in no particular
    order), so the caller can tell which rows a concurrent writer got to first.
    """
    if not rows:
        return []
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # A parameter list (not one multi-VALUES statement) keeps the compiled statement
    # cached; SQLAlchemy's "insertmanyvalues" still sends it as one batch with RETURNING.
    statement = insert(model).on_conflict_do_nothing().returning(model)
    return list(session.scalars(statement, list(rows)))


def insert_skipping_conflicts_keyed(
    session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]], key: str
) -> dict[Any, int]:
    """Insert rows in one statement, skipping unique-constraint conflicts; no ORM objects.

    Returns `{row[key]: id}` for the rows inserted, the cheap form of
    `insert_skipping_conflicts` for hot paths that only need the new ids.
    """
    if not rows:
        return {}
    table: Any = model.metadata.tables[str(model.__tablename__)]
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).on_conflict_do_nothing().returning(table.c.id, table.c[key])
    return {row[1]: row[0] for row in session.execute(statement, list(rows))}


def column_values(instance: SQLModel) -> dict[str, Any]:
    """The column values of a model instance, as `insert_skipping_conflicts` takes them.

    A primary key still None (one the database assigns) is left out.
    """
    mapper = sa_inspect(type(instance))
    primary = {column.key for column in mapper.primary_key}
    values = {attr.key: getattr(instance, attr.key) for attr in mapper.column_attrs}
    return {k: v for k, v in values.items() if not (k in primary and v is None)}
