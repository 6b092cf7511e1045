"""The store: the only code that speaks SQL.

`open_store(url)` connects (SQLite in WAL mode, or PostgreSQL), creates or
upgrades the schema, and returns a Store. Driver errors leave it as
StoreError.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, delete, event, func, insert, select, update
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from feedsvc.arabic import title_key
from feedsvc.errors import FencedOut, Refused, StoreError
from feedsvc.model import Entry, FileStamp, ReadAlso, Related, ScanReport, Tag, Version
from feedsvc.store import articles as rows
from feedsvc.store.among import among
from feedsvc.store.articles import Prepared, prepare
from feedsvc.store.lock import Alive, advisory_lock, file_lock
from feedsvc.store.schema import SCANNER, article_tags, create_or_upgrade, fence, files, meta, relations, versions
from feedsvc.store.schema import articles as articles_table
from feedsvc.store.schema import read_also as read_also_table
from feedsvc.store.schema import tags as tags_table

__all__ = ["NEVER", "Applied", "Batch", "Prepared", "Store", "open_store", "prepare"]
NEVER = Version(0, rows.from_micros(0))  # the version of a scope never written


@dataclass
class Batch:
    """One scan batch, written in one transaction.

    `articles` pairs each prepared article with its file's stamp (None for
    an article re-tagged without its file changing: it keeps its `updated`).
    """

    articles: list[tuple[Prepared, FileStamp | None]] = field(default_factory=list)
    rejected: list[FileStamp] = field(default_factory=list)
    touched: list[FileStamp] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # files whose article (stamp.article_id) waits for its date: written as
    # stamps, and the article withdrawn if it was published before
    waiting: list[FileStamp] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.articles or self.rejected or self.touched or self.removed or self.waiting)

    def halves(self) -> tuple[Batch, Batch] | None:
        """Two batches that write together what this one writes; None when
        it writes one thing only."""
        items: list[tuple[str, Any]] = [*(("articles", a) for a in self.articles),
                                        *(("rejected", s) for s in self.rejected),
                                        *(("touched", s) for s in self.touched),
                                        *(("removed", p) for p in self.removed),
                                        *(("waiting", s) for s in self.waiting)]
        if len(items) < 2:
            return None
        half = len(items) // 2
        return _batch_of(items[:half]), _batch_of(items[half:])


def _batch_of(items: list[tuple[str, Any]]) -> Batch:
    batch = Batch()
    for part, item in items:
        getattr(batch, part).append(item)
    return batch


@dataclass(frozen=True, slots=True)
class Applied:
    changed: frozenset[str]  # ids of the articles whose stored content changed, new ones included
    removed: int
    refused: tuple[FileStamp, ...] = ()  # stamps written, with the database's reason, instead of an article

    def __add__(self, other: Applied) -> Applied:
        return Applied(self.changed | other.changed, self.removed + other.removed, self.refused + other.refused)


log = logging.getLogger("feedsvc.store")
# What a database says when it refuses a value rather than fails to answer
# (the drivers' own encoders refuse a lone surrogate before it sees the row).
_REFUSALS = (IntegrityError, DataError, UnicodeEncodeError)


def open_store(url: str) -> Store:
    try:
        # connect_timeout: an unreachable server is an error within seconds, not minutes
        options: dict[str, Any] = {"connect_args": {"connect_timeout": 5}} if url.startswith("postgresql") else {}
        engine = create_engine(url, pool_pre_ping=True, **options)
        if engine.dialect.name == "sqlite":
            if engine.url.database:
                Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            event.listen(engine, "connect", _postgresql_lz4)
        create_or_upgrade(engine)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the store: {exc}") from exc
    return Store(engine)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # 64 MiB of page cache (the default is 2 MiB): a scan writing into a store
    # of 100,000 articles touches index pages all over the file
    cursor.execute("PRAGMA cache_size=-65536")
    # checkpoint the WAL into the database every 64 MiB rather than every
    # 4 MiB: a scan's batches then pay for one checkpoint (and fsync) in ten
    cursor.execute("PRAGMA wal_autocheckpoint=16384")
    cursor.close()


def _postgresql_lz4(dbapi_connection: Any, _record: Any) -> None:
    """Compress what this connection writes with lz4 where the server has it
    (most do): an article's body is kilobytes, and the default, pglz, takes
    three times as long (a first scan of 20,000 files writes its articles in
    2.7-3.0 s instead of 3.6-3.7 s)."""
    dbapi_connection.autocommit = True  # a setting made in a transaction goes with it
    dbapi_connection.execute("SELECT set_config('default_toast_compression', 'lz4', false) FROM pg_settings"
                             " WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)")
    dbapi_connection.autocommit = False


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._fence: int | None = None  # the fencing token, while this store holds the scanner lock
        self._lock_alive: Alive | None = None

    @contextmanager
    def _begin(self, fenced: bool = False) -> Iterator[Connection]:
        """A transaction; `fenced`: one that writes for the scanner, refused
        (FencedOut) unless the fence still holds this store's token. The check
        is an UPDATE of the fence's row: it holds the row until the
        transaction ends, so a new scanner's take waits for this write."""
        try:
            with self.engine.begin() as conn:
                if fenced and self._fence is not None:
                    checked = conn.execute(update(fence).where(fence.c.name == SCANNER, fence.c.token == self._fence)
                                           .values(token=fence.c.token))
                    if checked.rowcount != 1:
                        raise FencedOut("another process has taken the scanner lock: this one writes no more")
                yield conn
        except _REFUSALS as exc:
            raise Refused(str(exc).splitlines()[0]) from exc
        except SQLAlchemyError as exc:
            raise StoreError(str(exc)) from exc

    def close(self) -> None:
        self.engine.dispose()

    # --- the readers' side ---------------------------------------------------
    def tags(self) -> list[tuple[Tag, int]]:
        """Every tag with its article count, most used first."""
        with self._begin() as conn:
            found = conn.execute(select(tags_table.c.name, tags_table.c.key, tags_table.c.count)
                                 .order_by(tags_table.c.count.desc(), tags_table.c.name))
            return [(Tag(name, key), count) for name, key, count in found]

    def tag(self, key: str) -> tuple[Tag, int] | None:
        with self._begin() as conn:
            r = conn.execute(select(tags_table.c.name, tags_table.c.count).where(tags_table.c.key == key)).first()
        return (Tag(r[0], key), r[1]) if r is not None else None

    def newest_ids(self, tag_key: str | None, limit: int, offset: int = 0) -> list[str]:
        """Article ids newest first (by publication, then id), of one tag or all."""
        if tag_key is None:
            query = select(articles_table.c.id).order_by(articles_table.c.published.desc(),
                                                         articles_table.c.id.desc())
        else:
            query = (select(article_tags.c.article_id).where(article_tags.c.tag_key == tag_key)
                     .order_by(article_tags.c.published.desc(), article_tags.c.article_id.desc()))
        with self._begin() as conn:
            return list(conn.execute(query.limit(limit).offset(offset)).scalars())

    def count(self, tag_key: str | None) -> int:
        with self._begin() as conn:
            if tag_key is None:
                return conn.execute(select(func.count()).select_from(articles_table)).scalar() or 0
            return conn.execute(select(tags_table.c.count).where(tags_table.c.key == tag_key)).scalar() or 0

    def read_also_pages(self) -> list[tuple[str, ReadAlso]]:
        """Every read-also article that has no file of its own, with its page id."""
        with self._begin() as conn:
            return [(r.id, ReadAlso(r.title, tuple(json.loads(r.body))))
                    for r in conn.execute(select(read_also_table).order_by(read_also_table.c.id))]

    def read_also_page(self, page_id: str) -> ReadAlso | None:
        """A read-also article that has no file of its own, by its page id."""
        with self._begin() as conn:
            r = conn.execute(select(read_also_table).where(read_also_table.c.id == page_id)).first()
        return ReadAlso(r.title, tuple(json.loads(r.body))) if r is not None else None

    def versions(self, scopes: list[str]) -> dict[str, Version]:
        """The version of each scope ("all", "site", "tag:<key>"): 0, at the
        epoch, if never written."""
        with self._begin() as conn:
            found = {scope: Version(number, rows.from_micros(changed)) for scope, number, changed in conn.execute(
                select(versions.c.scope, versions.c.version, versions.c.changed)
                .where(among(conn, versions.c.scope, scopes)))}
        return {scope: found.get(scope, NEVER) for scope in scopes}

    def ping(self) -> None:
        """Raises StoreError unless the store answers."""
        with self._begin() as conn:
            conn.execute(select(1))

    # --- the scanner's side -------------------------------------------------
    @contextmanager
    def scanner_lock(self) -> Iterator[bool]:
        """Held by the one process that scans this store; yields whether this
        one took it. Taking it moves the fence on, so that a scanner that
        held it before and lost it (its connection killed, its lock file
        removed) is refused at its next write."""
        with self._lock() as alive:
            if alive is None:
                yield False
                return
            with self._begin() as conn:
                conn.execute(update(fence).where(fence.c.name == SCANNER).values(token=fence.c.token + 1))
                self._fence = conn.execute(select(fence.c.token).where(fence.c.name == SCANNER)).scalar_one()
            self._lock_alive = alive
            try:
                yield True
            finally:
                self._fence = self._lock_alive = None

    def _lock(self) -> AbstractContextManager[Alive | None]:
        if self.engine.dialect.name == "sqlite":
            database = self.engine.url.database or ""
            return file_lock(Path(database + ".scan-lock"))
        return advisory_lock(self.engine, f"feedsvc-scan:{self.engine.url.render_as_string()}")

    def still_scanner(self) -> bool:
        """Whether this store still holds the scanner lock, and the fence is
        still its own (False once either was lost)."""
        if self._fence is None or self._lock_alive is None or not self._lock_alive():
            return False
        with self._begin() as conn:
            return conn.execute(select(fence.c.token).where(fence.c.name == SCANNER)).scalar() == self._fence

    def file_index(self) -> dict[str, FileStamp]:
        with self._begin() as conn:
            return {r.path: FileStamp(r.path, r.size, r.mtime_ns, r.digest, r.article_id, r.error,
                                      None if r.waiting_until is None else rows.from_micros(r.waiting_until))
                    for r in conn.execute(select(files))}

    def tag_lines(self) -> dict[str, tuple[str, ...]]:
        """Every article's tag lines, for the corpus statistics."""
        with self._begin() as conn:
            return {r.id: tuple(json.loads(r.tag_lines))
                    for r in conn.execute(select(articles_table.c.id, articles_table.c.tag_lines))}

    def entries(self, ids: list[str]) -> list[Entry]:
        """Stored articles by id (those that exist), in the order asked."""
        with self._begin() as conn:
            found = {r.id: r for r in conn.execute(select(articles_table).where(among(conn, articles_table.c.id, ids)))}
            tag_rows = conn.execute(select(article_tags).where(among(conn, article_tags.c.article_id, ids))
                                    .order_by(article_tags.c.position)).all()
            relation_rows = self._relations(conn, ids)
            keys = [r.title_key for r in relation_rows if r.kind == "read_also"]
            bodies = {r.key: r.body for r in conn.execute(select(read_also_table)
                                                          .where(among(conn, read_also_table.c.key, keys)))}
        tags_of: dict[str, list[Any]] = {}
        relations_of: dict[str, list[Any]] = {}
        for t in tag_rows:
            tags_of.setdefault(t.article_id, []).append(t)
        for r in relation_rows:
            relations_of.setdefault(r.article_id, []).append(r)
        return [Entry(rows.article_from_rows(found[i], tags_of.get(i, []), relations_of.get(i, []), bodies),
                      rows.from_micros(found[i].updated),
                      tuple(Related(r.title, r.target or r.embedded, r.kind) for r in relations_of.get(i, [])))
                for i in ids if i in found]

    def related(self, article_ids: list[str]) -> dict[str, list[Related]]:
        """Each article's related articles, in order, linked where a page exists."""
        return {e.article.id: list(e.related) for e in self.entries(article_ids)}

    @staticmethod
    def _relations(conn: Connection, article_ids: list[str]) -> list[Any]:
        """The relations of these articles in order, each with the page it links
        to: `target`, an article whose title folds the same (the smallest id
        if several), else `embedded`, a read-also article's own page."""
        return list(conn.execute(
            select(relations.c.article_id, relations.c.position, relations.c.kind, relations.c.title,
                   relations.c.title_key,
                   select(func.min(articles_table.c.id)).where(articles_table.c.title_key == relations.c.title_key)
                   .scalar_subquery().label("target"),
                   read_also_table.c.id.label("embedded"))
            .outerjoin(read_also_table, (read_also_table.c.key == relations.c.title_key)
                       & (relations.c.kind == "read_also"))
            .where(among(conn, relations.c.article_id, article_ids))
            .order_by(relations.c.article_id, relations.c.position)).all())

    def apply(self, batch: Batch, now: datetime) -> Applied:
        """Write one batch atomically and move the versions of what it changes.

        A batch the database refuses is written in halves, down to what it
        refuses: an article refused is written as its file's stamp with the
        database's reason (listed as rejected; what was stored for the file
        before stays), anything else refused is left out and logged. The
        rest of the batch is written."""
        try:
            with self._begin(fenced=True) as conn:
                return self._apply(conn, batch, now)
        except Refused as exc:
            halves = batch.halves()
            if halves is not None:
                return self.apply(halves[0], now) + self.apply(halves[1], now)
            return self._refused(batch, exc, now)

    def _refused(self, batch: Batch, refusal: Refused, now: datetime) -> Applied:
        """A batch of one thing that the database refused."""
        stamp = batch.articles[0][1] if batch.articles else None
        if stamp is None:
            log.error("the store refused to write %s: %s", batch, refusal)
            return Applied(frozenset(), 0)
        rejected = replace(stamp, article_id=None, error=f"the store refused its article: {refusal}")
        log.warning("rejected %s: %s", stamp.path, rejected.error)
        try:
            with self._begin(fenced=True) as conn:
                self._write_stamps(conn, [rejected])
        except Refused as again:
            log.error("the store refused even the stamp of %s: %s", stamp.path, again)
            return Applied(frozenset(), 0)
        return Applied(frozenset(), 0, (rejected,))

    def _apply(self, conn: Connection, batch: Batch, now: datetime) -> Applied:
        scopes: set[str] = set()
        titles: set[str] = set()
        old = rows.stored(conn, [p.article.id for p, _ in batch.articles]) if batch.articles else {}
        changed: list[tuple[Prepared, datetime]] = []
        replaced: list[str] = []  # ids of the changed articles that were stored before
        for prepared, stamp in batch.articles:
            article = prepared.article
            before = old.get(article.id)
            if before is None:
                updated = article.published
            elif before.digest == prepared.digest:
                continue
            else:  # a re-cut changes the tags the corpus gives an article, not what its file says
                updated = before.updated if stamp is None else now
            changed.append((prepared, updated))
            scopes |= {f"tag:{t.key}" for t in article.tags}
            titles.add(title_key(article.title))
            if before is not None:
                replaced.append(article.id)
                scopes |= {f"tag:{k}" for k in before.tag_keys}
                titles.add(before.title_key)
        removed_ids: list[str] = []
        if batch.removed:
            found = conn.execute(select(files.c.article_id).where(among(conn, files.c.path, batch.removed)))
            removed_ids = [i for i in found.scalars() if i is not None]
        # the articles of removed files, and those published before whose date is later now (withdrawn till then)
        waiting_ids = [s.article_id for s in batch.waiting if s.article_id is not None]
        leaving = rows.stored(conn, [*removed_ids, *waiting_ids]) if removed_ids or waiting_ids else {}
        for was in leaving.values():
            scopes |= {f"tag:{k}" for k in was.tag_keys}
            titles.add(was.title_key)
        gone = [*leaving, *replaced]
        maybe_orphaned = rows.embedded_keys(conn, gone) if gone else set()
        rows.delete_articles(conn, gone)
        if batch.removed:
            conn.execute(delete(files).where(among(conn, files.c.path, batch.removed)))
        rows.insert_articles(conn, changed)
        rows.drop_orphan_read_also(conn, maybe_orphaned)
        self._write_stamps(conn, [s for _, s in batch.articles if s is not None] + batch.touched + batch.rejected
                           + batch.waiting)
        if changed or removed_ids or leaving:
            scopes |= rows.scopes_relating_to(conn, titles) | {"all", "site"}
            rows.refresh_tags(conn, [s[4:] for s in scopes if s.startswith("tag:")])
            rows.bump_versions(conn, scopes, now)
        return Applied(frozenset(p.article.id for p, _ in changed), len(removed_ids))

    def _write_stamps(self, conn: Connection, stamps: list[FileStamp]) -> None:
        if not stamps:
            return
        paths = [s.path for s in stamps]
        kept: dict[str, str | None] = {}  # the article of each file whose stamp does not name one
        if without_article := [s.path for s in stamps if s.article_id is None]:
            found = conn.execute(select(files.c.path, files.c.article_id)
                                 .where(among(conn, files.c.path, without_article)))
            kept = {path: article_id for path, article_id in found}
        conn.execute(delete(files).where(among(conn, files.c.path, paths)))
        rows.bulk_insert(conn, files, [
            (s.path, s.article_id if s.article_id is not None else kept.get(s.path), s.size, s.mtime_ns, s.digest,
             s.error, None if s.waiting_until is None else rows.to_micros(s.waiting_until)) for s in stamps])

    def get_meta(self, key: str) -> Any:
        with self._begin() as conn:
            return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()

    def set_meta(self, key: str, value: Any, *, fenced: bool = False) -> None:
        """`fenced`: written for the scanner (see _begin)."""
        with self._begin(fenced) as conn:
            conn.execute(delete(meta).where(meta.c.key == key))
            conn.execute(insert(meta).values(key=key, value=value))

    def save_report(self, report: ScanReport) -> None:
        self.set_meta("last_scan", fenced=True, value={
            "started": report.started.isoformat(), "finished": report.finished.isoformat(),
            "seen": report.seen, "read": report.read, "parsed": report.parsed, "changed": report.changed,
            "removed": report.removed, "rejected": report.rejected,
        })

    def last_report(self) -> ScanReport | None:
        found = self.get_meta("last_scan")
        if found is None:
            return None
        return ScanReport(**{**found, "started": datetime.fromisoformat(found["started"]),
                             "finished": datetime.fromisoformat(found["finished"])})

    def file_counts(self) -> dict[str, int]:
        """Source files by state: "ok" or "rejected"."""
        with self._begin() as conn:
            total, rejected = conn.execute(select(func.count(), func.count(files.c.error))).one()
        return {"ok": total - rejected, "rejected": rejected}

    def waiting_files(self) -> list[tuple[str, str, datetime]]:
        """The files whose article waits for its date: path, article id, date."""
        with self._begin() as conn:
            return [(r.path, r.article_id, rows.from_micros(r.waiting_until)) for r in conn.execute(
                select(files.c.path, files.c.article_id, files.c.waiting_until)
                .where(files.c.waiting_until.is_not(None)).order_by(files.c.waiting_until, files.c.path))]

    def rejected_files(self) -> list[tuple[str, str]]:
        with self._begin() as conn:
            return [(r.path, r.error) for r in conn.execute(select(files.c.path, files.c.error)
                                                           .where(files.c.error.is_not(None)).order_by(files.c.path))]

    def version(self, scope: str) -> int:
        return self.versions([scope])[scope].number
