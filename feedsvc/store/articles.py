"""Articles, their tags and relations: rows <-> model, and batch writes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from feedsvc.arabic import title_key
from feedsvc.model import Article, ReadAlso, Tag
from feedsvc.store.schema import article_tags, articles, read_also, relations, tags, versions


def naive(moment: datetime) -> datetime:
    """Datetimes are stored as naive UTC, the one form both databases keep."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def content_digest(article: Article) -> str:
    """A digest of everything parsed from the file: when it changes, `updated` moves."""
    content = [article.title, article.published.isoformat(), article.body, article.related_titles,
               article.source, [t.name for t in article.tags], [[r.title, r.body] for r in article.read_also]]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def read_also_id(key: str) -> str:
    """The page id of a read-also article that has no file of its own."""
    return "read-also/" + hashlib.sha1(key.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class _Stored:
    digest: str
    updated: datetime
    title_key: str
    tag_keys: frozenset[str]


def stored(conn: Connection, ids: list[str]) -> dict[str, _Stored]:
    rows = conn.execute(select(articles.c.id, articles.c.digest, articles.c.updated, articles.c.title_key)
                        .where(articles.c.id.in_(ids))).all()
    keys: dict[str, set[str]] = {}
    for article_id, key in conn.execute(select(article_tags.c.article_id, article_tags.c.tag_key)
                                        .where(article_tags.c.article_id.in_(ids))):
        keys.setdefault(article_id, set()).add(key)
    return {r.id: _Stored(r.digest, r.updated, r.title_key, frozenset(keys.get(r.id, ()))) for r in rows}


def delete_articles(conn: Connection, ids: list[str]) -> None:
    for table, column in ((article_tags, article_tags.c.article_id), (relations, relations.c.article_id),
                          (articles, articles.c.id)):
        conn.execute(delete(table).where(column.in_(ids)))


def insert_articles(conn: Connection, items: list[tuple[Article, str, datetime]]) -> None:
    """Insert (article, digest, updated) rows with their tags, relations and read-also articles."""
    if not items:
        return
    conn.execute(insert(articles), [{
        "id": a.id, "path": a.path, "title": a.title, "title_key": title_key(a.title),
        "published": naive(a.published), "updated": naive(updated), "source": a.source,
        "body": list(a.body), "tag_lines": list(a.tag_lines), "digest": digest,
    } for a, digest, updated in items])
    tag_rows = [{"article_id": a.id, "position": n, "tag_key": t.key, "name": t.name}
                for a, _, _ in items for n, t in enumerate(a.tags)]
    if tag_rows:
        conn.execute(insert(article_tags), tag_rows)
    relation_rows = []
    embedded: dict[str, ReadAlso] = {}
    for a, _, _ in items:
        titled = [("read_also", r.title) for r in a.read_also] + [("related", t) for t in a.related_titles]
        for n, (kind, title) in enumerate(titled):
            relation_rows.append({"article_id": a.id, "position": n, "kind": kind,
                                  "title": title, "title_key": title_key(title)})
        for r in a.read_also:
            embedded[title_key(r.title)] = r
    if relation_rows:
        conn.execute(insert(relations), relation_rows)
    if embedded:
        conn.execute(delete(read_also).where(read_also.c.key.in_(list(embedded))))
        conn.execute(insert(read_also), [{"key": k, "id": read_also_id(k), "title": r.title, "body": list(r.body)}
                                         for k, r in embedded.items()])


def drop_orphan_read_also(conn: Connection) -> None:
    still_embedded = select(relations.c.title_key).where(relations.c.kind == "read_also")
    conn.execute(delete(read_also).where(read_also.c.key.not_in(still_embedded)))


def scopes_relating_to(conn: Connection, title_keys: Iterable[str]) -> set[str]:
    """Feeds showing an article whose related titles are among `title_keys`:
    their related links change when an article with such a title comes or goes."""
    keys = list(title_keys)
    if not keys:
        return set()
    rows = conn.execute(select(article_tags.c.tag_key).distinct()
                        .join(relations, relations.c.article_id == article_tags.c.article_id)
                        .where(relations.c.title_key.in_(keys)))
    return {f"tag:{key}" for (key,) in rows}


def refresh_tags(conn: Connection, keys: Iterable[str]) -> None:
    """Recount the given tags; the display name is the most frequent spelling
    (ties: the spelling that sorts first, so every replica agrees)."""
    keys = list(keys)
    if not keys:
        return
    counts: dict[str, list[tuple[int, str]]] = {}
    rows = conn.execute(select(article_tags.c.tag_key, article_tags.c.name, func.count())
                        .where(article_tags.c.tag_key.in_(keys))
                        .group_by(article_tags.c.tag_key, article_tags.c.name))
    for key, name, count in rows:
        counts.setdefault(key, []).append((count, name))
    conn.execute(delete(tags).where(tags.c.key.in_(keys)))
    new_rows = [{"key": key, "name": min(spellings, key=lambda s: (-s[0], s[1]))[1],
                 "count": sum(c for c, _ in spellings)} for key, spellings in counts.items()]
    if new_rows:
        conn.execute(insert(tags), new_rows)


def bump_versions(conn: Connection, scopes: set[str]) -> None:
    if not scopes:
        return
    known = set(conn.execute(select(versions.c.scope).where(versions.c.scope.in_(list(scopes)))).scalars())
    if known:
        conn.execute(update(versions).where(versions.c.scope.in_(list(known)))
                     .values(version=versions.c.version + 1))
    if scopes - known:
        conn.execute(insert(versions), [{"scope": s, "version": 1} for s in sorted(scopes - known)])


def article_from_rows(row: Row[tuple[object, ...]], tag_rows: list[Row[tuple[object, ...]]],
                      relation_rows: list[Row[tuple[object, ...]]], bodies: dict[str, list[str]]) -> Article:
    """An Article as stored (read-also bodies come from the deduplicated table)."""
    m = row._mapping
    return Article(
        id=m["id"], path=m["path"], title=m["title"], published=aware(m["published"]),
        body=tuple(m["body"]), source=m["source"], tag_lines=tuple(m["tag_lines"]),
        related_titles=tuple(r.title for r in relation_rows if r.kind == "related"),
        tags=tuple(Tag(t.name, t.tag_key) for t in tag_rows),
        read_also=tuple(ReadAlso(r.title, tuple(bodies.get(r.title_key, ()))) for r in relation_rows
                        if r.kind == "read_also"),
    )
