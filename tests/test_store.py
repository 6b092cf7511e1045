"""The store's own writes, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from feedsvc.errors import StoreError
from feedsvc.model import Article
from feedsvc.store import Batch, Prepared, open_store, prepare


def an_article(n: int, body: tuple[str, ...] = ("فقرة.",)) -> Prepared:
    return prepare(Article(id=f"a{n}", path=f"a{n}.txt", title=f"عنوان {n}",
                           published=datetime(2023, 10, 13, tzinfo=UTC), body=body,
                           related_titles=(), source=None, tags=(), read_also=()))


def test_a_failed_batch_is_a_store_error_and_writes_nothing(store_url: str) -> None:
    """A batch's rows go to the driver directly (COPY on PostgreSQL): its
    errors must still come out as StoreError, the batch undone. (Nothing a
    scan does sends one article twice; it is only a sure way to fail.)"""
    store = open_store(store_url)
    twice = Batch(articles=[(an_article(0), None), (an_article(0), None)])
    with pytest.raises(StoreError, match=r"(?i)unique|duplicate"):
        store.apply(twice, datetime.now(UTC))
    assert store.entries(["a0"]) == []
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
