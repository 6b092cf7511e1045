"""Articles, their tags and relations: rows <-> model, and batch writes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, Table, delete, func, insert, select, update
from sqlalchemy.exc import DBAPIError

from feedsvc.arabic import title_key
from feedsvc.model import Article, ReadAlso, Tag, pickled_as_call
from feedsvc.store.among import among
from feedsvc.store.schema import article_tags, articles, read_also, relations, tags, versions

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


_JSON = json.JSONEncoder(ensure_ascii=False)  # made once: json.dumps with options makes one per call


def dumps(value: object) -> str:
    return _JSON.encode(value)


@dataclass(frozen=True, slots=True)
class Prepared:
    """An article with its JSON columns, serialised once, and the digest taken
    from them. A scan prepares articles where it parses them (its parsing
    processes), so that the one process writing the store need not."""

    article: Article
    body: str
    tag_lines: str
    digest: str  # of everything parsed from the file: when it changes, `updated` moves

    __reduce__ = pickled_as_call


def prepare(article: Article) -> Prepared:
    body = dumps(article.body)
    content = dumps([article.title, article.published.isoformat(), article.related_titles, article.source,
                     [t.name for t in article.tags], [[r.title, r.body] for r in article.read_also]])
    digest = hashlib.sha256(f"{body}\n{content}".encode()).hexdigest()
    return Prepared(article, body, dumps(article.tag_lines), digest)


def read_also_id(key: str) -> str:
    """The page id of a read-also article that has no file of its own."""
    return "read-also/" + hashlib.sha1(key.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class _Stored:
    digest: str
    title_key: str
    tag_keys: frozenset[str]
    updated: datetime


def stored(conn: Connection, ids: list[str]) -> dict[str, _Stored]:
    rows = conn.execute(select(articles.c.id, articles.c.digest, articles.c.title_key, articles.c.updated)
                        .where(among(conn, articles.c.id, ids))).all()
    keys: dict[str, set[str]] = {}
    for article_id, key in conn.execute(select(article_tags.c.article_id, article_tags.c.tag_key)
                                        .where(among(conn, article_tags.c.article_id, ids))):
        keys.setdefault(article_id, set()).add(key)
    return {r.id: _Stored(r.digest, r.title_key, frozenset(keys.get(r.id, ())), from_micros(r.updated))
            for r in rows}


def delete_articles(conn: Connection, ids: list[str]) -> None:
    for table, column in ((article_tags, article_tags.c.article_id), (relations, relations.c.article_id),
                          (articles, articles.c.id)):
        conn.execute(delete(table).where(among(conn, column, ids)))


def insert_articles(conn: Connection, items: list[tuple[Prepared, datetime]]) -> None:
    """Insert (prepared article, updated) rows with their tags, relations
    and read-also articles. Plain rows go straight to the driver
    (`bulk_insert`): for thousands of rows it is several times faster."""
    if not items:
        return
    article_rows, tag_rows, relation_rows = [], [], []
    embedded: dict[str, ReadAlso] = {}
    for p, updated in items:
        a, published = p.article, to_micros(p.article.published)
        article_rows.append((a.id, a.path, a.title, title_key(a.title), published, to_micros(updated), a.source,
                             p.body, p.tag_lines, p.digest))
        tag_rows += [(a.id, n, t.key, t.name, published) for n, t in enumerate(a.tags)]
        titled = [("read_also", r.title) for r in a.read_also] + [("related", t) for t in a.related_titles]
        relation_rows += [(a.id, n, kind, title, title_key(title)) for n, (kind, title) in enumerate(titled)]
        for r in a.read_also:
            embedded[title_key(r.title)] = r
    bulk_insert(conn, articles, article_rows)
    bulk_insert(conn, article_tags, tag_rows)
    bulk_insert(conn, relations, relation_rows)
    if embedded:
        _upsert_read_also(conn, embedded)


def _upsert_read_also(conn: Connection, embedded: dict[str, ReadAlso]) -> None:
    """Write only the read-also articles that are new or whose text changed:
    most changed articles embed the same read-also articles as before."""
    wanted = {k: (r.title, dumps(r.body)) for k, r in embedded.items()}
    stored_now = {k: (t, b) for k, t, b in conn.execute(
        select(read_also.c.key, read_also.c.title, read_also.c.body).where(among(conn, read_also.c.key, wanted)))}
    stale = [k for k in stored_now if stored_now[k] != wanted[k]]
    if stale:
        conn.execute(delete(read_also).where(among(conn, read_also.c.key, stale)))
    bulk_insert(conn, read_also, [(k, read_also_id(k), *wanted[k]) for k in wanted
                                  if k not in stored_now or k in stale])


def bulk_insert(conn: Connection, table: Table, values: Sequence[tuple[object, ...]]) -> None:
    """Rows in the table's column order. On PostgreSQL they are sent as one
    COPY stream: executemany there is still a statement a row."""
    if not values:
        return
    names = ", ".join(c.name for c in table.columns)
    if conn.dialect.name == "postgresql":
        statement, driver_error = f"COPY {table.name} ({names}) FROM STDIN", conn.dialect.loaded_dbapi.Error
        cursor: Any = conn.connection.cursor()  # psycopg's, in this transaction
        try:
            with cursor, cursor.copy(statement) as copy:
                for row in values:
                    copy.write_row(row)
        except driver_error as exc:  # wrapped as SQLAlchemy wraps it elsewhere: the store makes it a StoreError
            raise DBAPIError.instance(statement, None, exc, driver_error, dialect=conn.dialect) from exc
        return
    marks = ", ".join(["?"] * len(table.columns))
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", values)


def embedded_keys(conn: Connection, article_ids: list[str]) -> set[str]:
    """The read-also articles these articles embed (by key)."""
    return set(conn.execute(select(relations.c.title_key).where(
        among(conn, relations.c.article_id, article_ids), relations.c.kind == "read_also")).scalars())


def drop_orphan_read_also(conn: Connection, candidates: set[str]) -> None:
    """Remove those of `candidates` that no article embeds any more (only
    candidates: a scan that changes a few files must not visit them all).
    Whether one is still embedded stops at the first article that does: a
    read-also article can be embedded in thousands."""
    if not candidates:
        return
    embedding = select(relations.c.article_id).where(relations.c.title_key == read_also.c.key,
                                                     relations.c.kind == "read_also")
    conn.execute(delete(read_also).where(among(conn, read_also.c.key, candidates), ~embedding.exists()))


def scopes_relating_to(conn: Connection, title_keys: Iterable[str]) -> set[str]:
    """Feeds showing an article whose related titles are among `title_keys`:
    their related links change when an article with such a title comes or goes."""
    keys = list(title_keys)
    if not keys:
        return set()
    rows = conn.execute(select(article_tags.c.tag_key).distinct()
                        .join(relations, relations.c.article_id == article_tags.c.article_id)
                        .where(among(conn, relations.c.title_key, keys)))
    return {f"tag:{key}" for (key,) in rows}


def refresh_tags(conn: Connection, keys: Iterable[str]) -> None:
    """Recount the given tags; the display name is the most frequent spelling
    (ties: the spelling that sorts first, so every replica agrees)."""
    keys = list(keys)
    if not keys:
        return
    counts: dict[str, list[tuple[int, str]]] = {}
    rows = conn.execute(select(article_tags.c.tag_key, article_tags.c.name, func.count())
                        .where(among(conn, article_tags.c.tag_key, keys))
                        .group_by(article_tags.c.tag_key, article_tags.c.name))
    for key, name, count in rows:
        counts.setdefault(key, []).append((count, name))
    conn.execute(delete(tags).where(among(conn, tags.c.key, keys)))
    new_rows = [{"key": key, "name": min(spellings, key=lambda s: (-s[0], s[1]))[1],
                 "count": sum(c for c, _ in spellings)} for key, spellings in counts.items()]
    if new_rows:
        conn.execute(insert(tags), new_rows)


def bump_versions(conn: Connection, scopes: set[str], now: datetime) -> None:
    """Move each scope's version on, changed `now` (its feeds' Last-Modified)."""
    if not scopes:
        return
    changed = to_micros(now)
    known = set(conn.execute(select(versions.c.scope).where(among(conn, versions.c.scope, scopes))).scalars())
    if known:
        conn.execute(update(versions).where(among(conn, versions.c.scope, known))
                     .values(version=versions.c.version + 1, changed=changed))
    if scopes - known:
        conn.execute(insert(versions), [{"scope": s, "version": 1, "changed": changed} for s in sorted(scopes - known)])


def article_from_rows(row: Row[tuple[object, ...]], tag_rows: list[Row[tuple[object, ...]]],
                      relation_rows: list[Row[tuple[object, ...]]], bodies: dict[str, str]) -> Article:
    """An Article as stored (read-also bodies come from the deduplicated table)."""
    m = row._mapping
    return Article(
        id=m["id"], path=m["path"], title=m["title"], published=from_micros(m["published"]),
        body=tuple(json.loads(m["body"])), source=m["source"], tag_lines=tuple(json.loads(m["tag_lines"])),
        related_titles=tuple(r.title for r in relation_rows if r.kind == "related"),
        tags=tuple(Tag(t.name, t.tag_key) for t in tag_rows),
        read_also=tuple(ReadAlso(r.title, tuple(json.loads(bodies.get(r.title_key, "[]")))) for r in relation_rows
                        if r.kind == "read_also"),
    )
