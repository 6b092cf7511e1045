"""Alembic's environment: the store's own connection, already in the
transaction (and under the lock) that create_or_upgrade took. SQLite alters
a table by copying it: Alembic's batch mode."""

from __future__ import annotations

from alembic import context

from feedsvc.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
