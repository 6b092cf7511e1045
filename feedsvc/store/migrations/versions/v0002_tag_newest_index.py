"""A tag's newest articles are a range of an index: article_tags keeps each
article's publication date."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("article_tags") as table:
        table.add_column(sa.Column("published", sa.BigInteger, nullable=False, server_default="0"))
    op.execute("UPDATE article_tags SET published ="
               " (SELECT published FROM articles WHERE articles.id = article_tags.article_id)")
    op.create_index("article_tags_newest", "article_tags", ["tag_key", "published", "article_id"])
