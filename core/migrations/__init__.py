"""Alembic revisions of the PixelView schema (run through `core.db.migrate`)."""
