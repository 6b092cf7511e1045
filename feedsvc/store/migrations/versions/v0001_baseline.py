"""The store as feedsvc first kept it (schema version 1), made by
metadata.create_all before feedsvc used Alembic: nothing to do. A store of
that time is stamped with the revision of its schema_version, then upgraded."""

from __future__ import annotations

revision = "0001"
down_revision = None


def upgrade() -> None:
    pass
