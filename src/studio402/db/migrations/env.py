"""Alembic environment: always handed a live connection by studio402.db.migrate."""

from __future__ import annotations

from alembic import context

from studio402.db.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through studio402.db.migrate.upgrade()")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
