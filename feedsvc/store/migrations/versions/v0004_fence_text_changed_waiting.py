"""The scanner's fence; unbounded ids and paths; when each version last
changed (Last-Modified: every feed changes once, at the upgrade, since it
was its newest entry's date before); files whose article waits for its date."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
_NOW_MICROS = {"sqlite": "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)",
               "postgresql": "CAST(extract(epoch FROM now()) * 1000000 AS BIGINT)"}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table("fence", sa.Column("name", sa.String(64), primary_key=True),
                    sa.Column("token", sa.BigInteger, nullable=False))
    with op.batch_alter_table("versions") as table:
        table.add_column(sa.Column("changed", sa.BigInteger, nullable=False, server_default="0"))
    op.execute(f"UPDATE versions SET changed = {_NOW_MICROS[dialect]}")
    with op.batch_alter_table("files") as table:
        table.add_column(sa.Column("waiting_until", sa.BigInteger))
    if dialect == "postgresql":  # SQLite does not enforce lengths
        for name, column in (("articles", "id"), ("article_tags", "article_id"), ("relations", "article_id"),
                             ("read_also", "id"), ("files", "path"), ("files", "article_id")):
            op.alter_column(name, column, type_=sa.Text)
