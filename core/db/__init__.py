"""Database access: engines, sessions, column types and migrations."""
