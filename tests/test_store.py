"""The store's own writes, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from feedsvc.errors import StoreError
from feedsvc.model import Article, FileStamp
from feedsvc.store import Batch, Prepared, open_store, prepare


def an_article(n: int, body: tuple[str, ...] = ("فقرة.",), source: str | None = None, path: str = "") -> Prepared:
    return prepare(Article(id=f"a{n}", path=path or f"a{n}.txt", title=f"عنوان {n}",
                           published=datetime(2023, 10, 13, tzinfo=UTC), body=body,
                           related_titles=(), source=source, tags=(), read_also=()))


def stamp_of(prepared: Prepared) -> FileStamp:
    return FileStamp(prepared.article.path, 1, 1, "d", prepared.article.id)


def test_what_the_database_refuses_is_rejected_and_the_rest_written(store_url: str) -> None:
    """One article the database refuses (a NUL character on PostgreSQL, a
    lone surrogate that SQLite's driver cannot encode) among others: the
    others are written; on PostgreSQL its file is listed as rejected with
    the database's reason (on SQLite its path itself cannot be stored)."""
    store = open_store(store_url)
    postgresql = store.engine.dialect.name == "postgresql"
    bad = an_article(1, source="مصدر\x00") if postgresql else an_article(1, path="\udcff.txt")
    batch = Batch(articles=[(p, stamp_of(p)) for p in (an_article(0), bad, an_article(2))])
    applied = store.apply(batch, datetime.now(UTC))
    assert applied.changed == {"a0", "a2"}
    assert [e.article.id for e in store.entries(["a0", "a1", "a2"])] == ["a0", "a2"]
    if postgresql:
        [(path, reason)] = store.rejected_files()
        assert path == "a1.txt" and "the store refused" in reason and "NUL" in reason
        assert [s.path for s in applied.refused] == ["a1.txt"]
    store.close()


def test_a_failed_write_is_a_store_error_and_writes_nothing(store_url: str) -> None:
    """A batch's rows go to the driver directly (COPY on PostgreSQL): a
    failure of the store (here: its tables gone) is a StoreError and leaves
    nothing half-written."""
    store = open_store(store_url)
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE relations"))
    with pytest.raises(StoreError, match=r"(?i)relations"):
        store.apply(Batch(articles=[(an_article(0), None)]), datetime.now(UTC))
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM articles")).scalar() == 0
    assert store.version("all") == 0
    store.close()


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_postgresql_compresses_bodies_with_lz4(store_url: str) -> None:
    """What the store writes is compressed with lz4 (Debian's PostgreSQL has it)."""
    store = open_store(store_url)
    long_body = ("فقرة طويلة مكررة. " * 40,) * 10  # past the size PostgreSQL compresses from
    store.apply(Batch(articles=[(an_article(n, long_body), None) for n in range(3)]), datetime.now(UTC))
    with store.engine.connect() as conn:
        methods = conn.execute(text("SELECT DISTINCT pg_column_compression(body) FROM articles")).scalars().all()
    assert methods == ["lz4"]
    store.close()
