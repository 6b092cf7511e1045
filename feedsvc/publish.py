"""What the web serves and export writes: rendered once per change.

The Publisher builds each response's context from the store, renders it,
and keeps the bytes (and their gzip form, compressed once) in a bounded
cache keyed by what the response shows and the store version of it. A poll
of an unchanged feed renders nothing: it costs one version lookup, and
versions are looked up at most ten times a second per process. `everything`
renders every URL once, uncached, for an export.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from feedsvc.arabic import tag_key
from feedsvc.errors import StoreError
from feedsvc.model import Entry, FeedPage, Listing, ReadAlso, Tag, Version
from feedsvc.render import FEEDS, HTML, OPML, PAGE_POLICY, feed, page
from feedsvc.settings import Settings
from feedsvc.store import Store
from feedsvc.urls import Urls

__all__ = ["PAGE_POLICY", "Output", "Publisher", "Rendered"]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
VERSION_TTL = 0.1  # seconds a version lookup is trusted: an edit is served within a scan + 0.1 s
STORE_RETRY = 1.0  # seconds, after the store failed to answer, before it is asked again
TAG_LOOKUPS = 4096
EXPORT_CHUNK = 500  # article pages whose entries are read in one go


class Output(NamedTuple):
    """What a renderer made: the bytes, and their type."""

    body: bytes
    mimetype: str


@dataclass(frozen=True, slots=True)
class Rendered:
    """Bytes ready to send, with what the HTTP headers need, computed once."""

    body: bytes
    gzipped: bytes
    etag: str  # strong, of the body as it is
    etag_gzip: str  # strong, of its gzip form
    last_modified: datetime
    last_modified_header: str  # the same moment as an HTTP date
    mimetype: str

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped)

    @classmethod
    def of(cls, output: Output, last_modified: datetime) -> Rendered:
        """`last_modified`: when what the bytes show last changed (their scope's version)."""
        body, mimetype = output
        digest = hashlib.sha256(body).hexdigest()[:40]
        header = last_modified.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
        return cls(body, gzip.compress(body, compresslevel=6, mtime=0), f'"{digest}"', f'"{digest}-gzip"',
                   last_modified, header, mimetype)


def newest(entries: list[Entry]) -> datetime:
    """What a feed or page shows as last changed: its newest entry's `updated`."""
    return max((e.updated for e in entries), default=EPOCH)


class Publisher:
    def __init__(self, store: Store, settings: Settings, counted: Callable[[bool], None] = lambda hit: None) -> None:
        """`counted` is told of each cache lookup: hit or not (the web counts them)."""
        self.store = store
        self.settings = settings
        self.urls = Urls(settings.base_url)
        self.counted = counted
        self._cache: OrderedDict[tuple[object, ...], Rendered] = OrderedDict()
        self._cached_bytes = 0
        self._most_bytes = settings.render_cache_mb * 1024 * 1024
        self._versions: dict[str, tuple[Version, float]] = {}
        self._store_down_until = 0.0  # monotonic: till then, versions known are served without asking
        self._tags: dict[tuple[str, int], Tag] = {}
        self._lock = threading.Lock()

    # --- what can be asked for -------------------------------------------------
    def feed(self, tag: Tag | None, fmt: str, number: int) -> Rendered | None:
        """One page of a feed; None when the page is past the end."""
        scope = "all" if tag is None else f"tag:{tag.key}"
        return self._cached(("feed", scope, fmt, number), scope, lambda: self.render_feed(tag, fmt, number))

    def home(self) -> Rendered:
        found = self._cached(("home",), "site", self._render_home)
        assert found is not None
        return found

    def tag_page(self, tag: Tag) -> Rendered | None:
        scope = f"tag:{tag.key}"
        return self._cached(("tag", tag.key), scope, lambda: self._render_tag(tag))

    def article_page(self, article_id: str) -> Rendered | None:
        return self._cached(("article", article_id), "site", lambda: self._render_article(article_id))

    def opml(self) -> Rendered:
        found = self._cached(("opml",), "site", self._render_opml)
        assert found is not None
        return found

    def find_tag(self, spelling: str) -> Tag | None:
        """The tag a URL names, in any spelling with the same key (cached
        with the site version: a poll must not cost a query; a spelling that
        names no tag is not remembered)."""
        key = (spelling, self._version("site").number)
        with self._lock:
            if key in self._tags:
                return self._tags[key]
        found = self.store.tag(tag_key(spelling))
        if found is None:
            return None
        with self._lock:
            if len(self._tags) >= TAG_LOOKUPS:
                self._tags.clear()
            self._tags[key] = found[0]
        return found[0]

    def tags(self) -> list[tuple[Tag, int]]:
        return self.store.tags()

    def last_page(self, tag: Tag | None) -> int:
        count = self.store.count(None if tag is None else tag.key)
        return max(1, -(-count // self.settings.page_size))

    def everything(self) -> Iterator[tuple[str, Output]]:
        """Every URL the service answers with content and its bytes, rendered
        now without the cache: every HTML page, the OPML, and each page of
        each feed in each format. What export writes.

        Each article is read once and its entry rendered once per format,
        into a scratch file; a feed page is then its head around its
        entries' bytes read back from there (an article shows in a feed per
        tag: this renders it once, not once per feed, in bounded memory)."""
        urls, site_title, hub = self.urls, self.settings.site_title, self.settings.websub_hub or None
        yield urls.home(), self._render_home()
        yield urls.opml(), self._render_opml()
        with tempfile.TemporaryFile() as scratch:
            placed: dict[tuple[str, str], tuple[int, int]] = {}  # (format, id) -> (length, offset)
            updated: dict[str, datetime] = {}
            listed: dict[str, Listing] = {}  # what tag pages show of each article

            def newest_of(ids: list[str]) -> datetime:
                return max((updated[i] for i in ids), default=EPOCH)

            ids = self.store.newest_ids(None, self.store.count(None))
            for start in range(0, len(ids), EXPORT_CHUNK):
                for entry in self.store.entries(ids[start:start + EXPORT_CHUNK]):
                    yield urls.article(entry.article.id), self._article(entry)
                    updated[entry.article.id] = entry.updated
                    listed[entry.article.id] = Listing.of(entry.article)
                    for fmt, found in FEEDS.items():
                        # past the serving cache: each entry is made once here, and it would only evict
                        body = found.entry.__wrapped__(entry, site_title, urls)  # type: ignore[attr-defined]
                        placed[fmt, entry.article.id] = (len(body), scratch.tell())
                        scratch.write(body)
            for page_id, embedded in self.store.read_also_pages():
                yield urls.article(page_id), self._read_also(embedded)
            scratch.flush()
            descriptor, size = scratch.fileno(), self.settings.page_size
            feeds: list[tuple[Tag | None, int]] = [(None, 0), *self.store.tags()]
            for tag, count in feeds:
                key = None if tag is None else tag.key
                ids = [i for i in self.store.newest_ids(key, self.store.count(key)) if i in updated]
                if tag is not None:
                    first = ids[:size]
                    yield urls.tag(tag.name), self._tag_page(tag, count, [listed[i] for i in first])
                last = max(1, -(-len(ids) // size))
                for number in range(1, last + 1):
                    shown = ids[(number - 1) * size:number * size]
                    feed_page = FeedPage(site_title, tag, (), number, last, newest_of(shown), hub)
                    for fmt, found in FEEDS.items():
                        entries = [os.pread(descriptor, *placed[fmt, i]) for i in shown]
                        url = urls.feed(None if tag is None else tag.name, fmt, number)
                        yield url, Output(found.around(feed_page, urls, entries), found.mimetype)

    # --- the cache ----------------------------------------------------------------
    def _cached(self, key: tuple[object, ...], scope: str, render: Callable[[], Output | None]
                ) -> Rendered | None:
        """What `render` makes, from the cache while the scope's version holds.
        Nothing is remembered of what is not there (None): its keys come from
        request URLs, without bound."""
        version = self._version(scope)
        full_key = (*key, version.number)
        with self._lock:
            found = self._cache.get(full_key)
            if found is not None:
                self._cache.move_to_end(full_key)
        self.counted(found is not None)
        if found is not None:
            return found
        output = render()
        if output is None:
            return None
        rendered = Rendered.of(output, version.changed)
        with self._lock:
            if full_key not in self._cache:
                self._cache[full_key] = rendered
                self._cached_bytes += rendered.size
            while self._cached_bytes > self._most_bytes and len(self._cache) > 1:
                _, evicted = self._cache.popitem(last=False)  # least recently used; stale versions go first
                self._cached_bytes -= evicted.size
        return rendered

    def _version(self, scope: str) -> Version:
        """The scope's version, asked of the store at most every VERSION_TTL.
        While the store cannot be reached, the version last known is used
        (and the store asked again only after STORE_RETRY): what was
        rendered before the outage goes on being served."""
        now = time.monotonic()
        known = self._versions.get(scope)
        if known is not None and (now - known[1] < VERSION_TTL or now < self._store_down_until):
            return known[0]
        try:
            version = self.store.versions([scope])[scope]
        except StoreError:
            self._store_down_until = now + STORE_RETRY
            if known is None:
                raise
            return known[0]
        self._versions[scope] = (version, now)
        return version

    # --- rendering ---------------------------------------------------------------
    def _entries(self, tag: Tag | None, number: int) -> list[Entry]:
        size = self.settings.page_size
        ids = self.store.newest_ids(None if tag is None else tag.key, size, (number - 1) * size)
        return self.store.entries(ids)

    def render_feed(self, tag: Tag | None, fmt: str, number: int) -> Output | None:
        """One feed page rendered now, bypassing the cache; None past the last page."""
        last = self.last_page(tag)
        if number > last:
            return None
        entries = self._entries(tag, number)
        feed_page = FeedPage(self.settings.site_title, tag, tuple(entries), number, last, newest(entries),
                             self.settings.websub_hub or None)
        return Output(feed(fmt, feed_page, self.urls), FEEDS[fmt].mimetype)

    def _html(self, template: str, **context: object) -> Output:
        return Output(page(template, self.urls, self.settings.site_title, **context), HTML)

    def _render_home(self) -> Output:
        entries = self._entries(None, 1)
        return self._html("home.html", listings=[Listing.of(e.article) for e in entries],
                          tags=self.store.tags(), feed_tag=None, feed_title=self.settings.site_title)

    def _render_tag(self, tag: Tag) -> Output | None:
        found = self.store.tag(tag.key)
        if found is None:
            return None
        entries = self._entries(tag, 1)
        return self._tag_page(found[0], found[1], [Listing.of(e.article) for e in entries])

    def _tag_page(self, tag: Tag, count: int, listings: list[Listing]) -> Output:
        return self._html("tag.html", tag=tag, count=count, listings=listings, feed_tag=tag.name,
                          feed_title=tag.name)

    def _render_article(self, article_id: str) -> Output | None:
        found = self.store.entries([article_id])
        if found:
            return self._article(found[0])
        embedded = self.store.read_also_page(article_id)
        return self._read_also(embedded) if embedded is not None else None

    def _read_also(self, embedded: ReadAlso) -> Output:
        return self._html("article.html", article=_ReadAlsoView(embedded.title, embedded.body),
                          published=None, related=(), feed_tag=None, feed_title=self.settings.site_title)

    def _article(self, entry: Entry) -> Output:
        return self._html("article.html", article=entry.article, published=entry.article.published,
                          related=entry.related, feed_tag=None, feed_title=self.settings.site_title)

    def _render_opml(self) -> Output:
        """Its dates are the site feed's `updated`: the same store, the same bytes
        (what feedsvc knows of the archive's creation is no more than that)."""
        body = page("opml.xml", self.urls, self.settings.site_title, tags=self.store.tags(),
                    updated=newest(self._entries(None, 1)))
        return Output(body, OPML)


@dataclass(frozen=True, slots=True)
class _ReadAlsoView:
    """A read-also article shown on its own page, with what an article page asks for."""

    title: str
    body: tuple[str, ...]
    source: None = None
    tags: tuple[Tag, ...] = ()
