"""The store's tables (SQLAlchemy Core), and creating or upgrading them."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
)

from feedsvc.errors import StoreError
from feedsvc.store.lock import file_lock, lock_key

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


MIGRATIONS = Path(__file__).parent / "migrations"


@lru_cache(maxsize=1)
def _scripts() -> tuple[Config, str, frozenset[str]]:
    """Alembic's configuration, the head revision, and every revision known."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    head = scripts.get_current_head()
    assert head is not None
    return config, head, frozenset(script.revision for script in scripts.walk_revisions())


def create_or_upgrade(engine: Engine) -> None:
    """Create the tables of a new store, or bring an older one to this
    feedsvc's schema with Alembic (feedsvc/store/migrations); refuse a store
    that a newer feedsvc upgraded.

    Processes starting together (gunicorn workers, the scanner, replicas)
    take turns: one upgrades, the others then find it current.
    """
    if engine.dialect.name == "sqlite":
        with file_lock(Path(f"{engine.url.database}.schema-lock"), wait=True):
            _create_or_upgrade(engine)
    else:
        _create_or_upgrade(engine)


def _create_or_upgrade(engine: Engine) -> None:
    config, head, known = _scripts()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key("feedsvc-schema")})
        current = MigrationContext.configure(conn).get_current_revision()
        config.attributes["connection"] = conn
        if current is None:
            # a store kept before Alembic says its version in meta; a new one is made whole
            before = (conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
                      if inspect(conn).has_table("meta") else None)
            if before is None:
                metadata.create_all(conn)
                command.stamp(config, head)
            else:
                current = f"{int(before):04d}"
                if current in known:
                    command.stamp(config, current)
        if current is not None and current not in known:
            raise StoreError(f"the store's schema is at revision {current}, which a newer feedsvc made; "
                             f"this one knows up to {head}")
        if current is not None and current != head:
            command.upgrade(config, head)
        _keep(conn, meta, "schema_version", int(head))  # what a feedsvc from before Alembic checks
        if conn.execute(select(fence.c.token).where(fence.c.name == SCANNER)).first() is None:
            conn.execute(fence.insert().values(name=SCANNER, token=0))


def _keep(conn: Connection, table: Table, key: str, value: object) -> None:
    if conn.execute(select(table.c.value).where(table.c.key == key)).first() is None:
        conn.execute(table.insert().values(key=key, value=value))
    else:
        conn.execute(table.update().where(table.c.key == key).values(value=value))
