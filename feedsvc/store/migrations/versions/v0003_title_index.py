"""The article a related title links to is one step down an index on
(title_key, id)."""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_index("articles_title", "articles", ["title_key", "id"])
    op.drop_index("ix_articles_title_key", table_name="articles")
