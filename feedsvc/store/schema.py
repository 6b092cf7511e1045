"""The store's tables (SQLAlchemy Core), and creating or upgrading them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
    text,
)

from feedsvc.errors import StoreError
from feedsvc.store.lock import file_lock, lock_key

SCHEMA_VERSION = 4
SCANNER = "scanner"  # the fence's one row
metadata = MetaData()

# Ids, paths and every text are unbounded TEXT: a length limit made one
# file with a long path fail every batch on PostgreSQL.
articles = Table(
    "articles", metadata,
    Column("id", Text, primary_key=True),
    Column("path", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("title_key", Text, nullable=False),
    # Times are microseconds since the epoch, lists are JSON in TEXT: plain
    # types keep bulk writes fast (no per-row processing) on both databases.
    Column("published", BigInteger, nullable=False),
    Column("updated", BigInteger, nullable=False),
    Column("source", Text),
    Column("body", Text, nullable=False),
    Column("tag_lines", Text, nullable=False),
    Column("digest", String(64), nullable=False),  # of the parsed content: decides `updated`
    Index("articles_newest", "published", "id"),
    # the article a related title links to is the smallest id of its title:
    # one step down this index (on title_key alone, PostgreSQL walks the
    # primary key for the minimum and filters every row)
    Index("articles_title", "title_key", "id"),
)
article_tags = Table(
    "article_tags", metadata,
    Column("article_id", Text, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("tag_key", Text, nullable=False),
    Column("name", Text, nullable=False),  # the spelling this article uses
    Column("published", BigInteger, nullable=False),  # the article's, copied
    # covers the per-spelling counts of a tag (refresh_tags) without reading rows
    Index("article_tags_spelling", "tag_key", "name"),
    # a tag's newest articles are a range of this index, not a sort of all its rows
    Index("article_tags_newest", "tag_key", "published", "article_id"),
)
tags = Table(
    "tags", metadata,
    Column("key", Text, primary_key=True),
    Column("name", Text, nullable=False),  # the most frequent spelling
    Column("count", Integer, nullable=False),
)
relations = Table(
    "relations", metadata,
    Column("article_id", Text, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),  # "read_also" or "related"
    Column("title", Text, nullable=False),
    Column("title_key", Text, nullable=False, index=True),
)
read_also = Table(
    "read_also", metadata,
    Column("key", Text, primary_key=True),  # folded title: one row however many files embed it
    Column("id", Text, nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
)
files = Table(
    "files", metadata,
    Column("path", Text, primary_key=True),
    Column("article_id", Text),
    Column("size", BigInteger, nullable=False),
    Column("mtime_ns", BigInteger, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("error", Text),
    # an article dated after the scan that read it waits for its date (micros)
    Column("waiting_until", BigInteger),
)
versions = Table(
    "versions", metadata,
    Column("scope", Text, primary_key=True),  # "all", "site" or "tag:<key>"
    Column("version", BigInteger, nullable=False),
    Column("changed", BigInteger, nullable=False),  # when the version last moved (micros): Last-Modified
)
# The scanner's fencing token: whoever takes the scanner lock moves it on, and
# every write of a scan checks, in its own transaction, that it is still the
# one it took. A scanner that lost its lock is refused by the database itself.
fence = Table(
    "fence", metadata,
    Column("name", String(64), primary_key=True),
    Column("token", BigInteger, nullable=False),
)
meta = Table(
    "meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
)


# What turns a store of the version before each into that version, on each
# database (SQLite does not enforce lengths: its columns need no new type).
_NOW_MICROS = {"sqlite": "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)",
               "postgresql": "CAST(extract(epoch FROM now()) * 1000000 AS BIGINT)"}
_COMMON: dict[int, list[str]] = {
    2: ["ALTER TABLE article_tags ADD COLUMN published BIGINT NOT NULL DEFAULT 0",
        "UPDATE article_tags SET published ="
        " (SELECT published FROM articles WHERE articles.id = article_tags.article_id)",
        "CREATE INDEX article_tags_newest ON article_tags (tag_key, published, article_id)"],
    3: ["CREATE INDEX articles_title ON articles (title_key, id)",
        "DROP INDEX ix_articles_title_key"],
    # every feed changes once, at the upgrade: its Last-Modified was its newest entry's date
    4: ["ALTER TABLE versions ADD COLUMN changed BIGINT NOT NULL DEFAULT 0",
        "UPDATE versions SET changed = {now}",
        "ALTER TABLE files ADD COLUMN waiting_until BIGINT"],
}
_POSTGRESQL: dict[int, list[str]] = {
    4: [f"ALTER TABLE {table} ALTER COLUMN {column} TYPE TEXT" for table, column in (
        ("articles", "id"), ("article_tags", "article_id"), ("relations", "article_id"), ("read_also", "id"),
        ("files", "path"), ("files", "article_id"))],
}


def upgrades(version: int, dialect: str) -> list[str]:
    """The statements that bring a store of `version - 1` to `version`."""
    extra = _POSTGRESQL.get(version, []) if dialect == "postgresql" else []
    return [statement.format(now=_NOW_MICROS[dialect]) for statement in [*_COMMON[version], *extra]]


def create_or_upgrade(engine: Engine) -> None:
    """Create missing tables, upgrade an older store in place; refuse a store
    written by a newer feedsvc.

    Processes starting together (gunicorn workers, replicas) take turns.
    """
    if engine.dialect.name == "sqlite":
        with file_lock(Path(f"{engine.url.database}.schema-lock"), wait=True):
            _create_or_upgrade(engine)
    else:
        _create_or_upgrade(engine)


def _create_or_upgrade(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key("feedsvc-schema")})
        metadata.create_all(conn)
        found = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
        if found is None:
            conn.execute(meta.insert().values(key="schema_version", value=SCHEMA_VERSION))
        elif int(found) > SCHEMA_VERSION:
            raise StoreError(f"the store has schema version {found}; this feedsvc knows up to {SCHEMA_VERSION}")
        elif int(found) < SCHEMA_VERSION:
            for version in range(int(found) + 1, SCHEMA_VERSION + 1):
                for statement in upgrades(version, engine.dialect.name):
                    conn.execute(text(statement))
            conn.execute(meta.update().where(meta.c.key == "schema_version").values(value=SCHEMA_VERSION))
        if conn.execute(select(fence.c.token).where(fence.c.name == SCANNER)).first() is None:
            conn.execute(fence.insert().values(name=SCANNER, token=0))
