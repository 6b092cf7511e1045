"""Frozen records passed between the stages of the pipeline.

parse produces Draft, Article and Rejected; scan hands them to store;
publish hands what store returns to render.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple


def utc_now() -> datetime:
    """The one place that reads the clock."""
    return datetime.now(UTC)


def pickled_as_call(record: Any) -> tuple[type, tuple[Any, ...]]:
    """`__reduce__` for the records a scan's parsing processes send back:
    pickled as a constructor call, three times cheaper than the frozen
    dataclass default (a Python-level __getstate__ and __setstate__)."""
    return type(record), tuple(getattr(record, name) for name in record.__slots__)


@dataclass(frozen=True, slots=True)
class Tag:
    """A tag as shown (`name`, the first spelling seen) and its identity (`key`)."""

    name: str
    key: str

    __reduce__ = pickled_as_call


@dataclass(frozen=True, slots=True)
class ReadAlso:
    """A complete related article embedded in another article's file."""

    title: str
    body: tuple[str, ...]

    __reduce__ = pickled_as_call


@dataclass(frozen=True, slots=True)
class Draft:
    """A file's layout, read in the first pass of a parse.

    Dates and tags are settled in the second pass (`parse.finish`), once the
    tag lines of every file have been seen for the corpus statistics.
    """

    id: str
    path: str
    title: str
    date_text: str | None
    body: tuple[str, ...]
    related_titles: tuple[str, ...]
    source: str | None
    tag_lines: tuple[str, ...]
    read_also: tuple[ReadAlso, ...]
    mtime: datetime
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Article:
    """A parsed article, ready to store and publish."""

    id: str
    path: str
    title: str
    published: datetime
    body: tuple[str, ...]
    related_titles: tuple[str, ...]
    source: str | None
    tags: tuple[Tag, ...]
    read_also: tuple[ReadAlso, ...]
    tag_lines: tuple[str, ...] = ()  # as written: the corpus statistics are learned from them
    warnings: tuple[str, ...] = field(default=(), compare=False)

    __reduce__ = pickled_as_call


@dataclass(frozen=True, slots=True)
class Rejected:
    """A file that is not an article, and why (`reason` names no path; `SourceError` does)."""

    id: str
    path: str
    reason: str

    __reduce__ = pickled_as_call


@dataclass(frozen=True, slots=True)
class Related:
    """A related article as an entry shows it: `id` is the page it links to,
    None for a related-news title that matches no article."""

    title: str
    id: str | None
    kind: str  # "read_also" or "related"


@dataclass(frozen=True, slots=True)
class Listing:
    """An article as a list of articles shows it (home and tag pages)."""

    id: str
    title: str
    published: datetime
    source: str | None

    @classmethod
    def of(cls, article: Article) -> Listing:
        return cls(article.id, article.title, article.published, article.source)


@dataclass(frozen=True, slots=True)
class Entry:
    """A stored article as feeds and pages show it: the store produces it,
    render consumes it. `updated` is `published` until the parsed content
    changes, then the time the change was seen."""

    article: Article
    updated: datetime
    related: tuple[Related, ...]


@dataclass(frozen=True, slots=True)
class FeedPage:
    """Everything one page of one feed shows: publish builds it from the
    store, render turns it into bytes in each format.

    `tag` is None for the feed of all articles. `updated` is the newest
    entry's `updated` (the epoch for an empty feed), never the time of
    rendering, so that one store state always gives the same bytes.
    """

    site_title: str
    tag: Tag | None
    entries: tuple[Entry, ...]
    page: int
    last_page: int
    updated: datetime
    hub: str | None = None

    @property
    def scope(self) -> str:
        return "all" if self.tag is None else f"tag:{self.tag.key}"

    @property
    def title(self) -> str:
        return self.site_title if self.tag is None else f"{self.tag.name} | {self.site_title}"


class Version(NamedTuple):
    """How many times what a scope shows has changed, and when it last did."""

    number: int
    changed: datetime


@dataclass(frozen=True, slots=True)
class FileStamp:
    """What the store remembers of a source file, to skip it when unchanged."""

    path: str
    size: int
    mtime_ns: int
    digest: str  # of the file's bytes
    article_id: str | None = None
    error: str | None = None
    waiting_until: datetime | None = None  # its article is dated later: it waits till then, unpublished


@dataclass(frozen=True, slots=True)
class ScanReport:
    """What one scan did: scan produces it, the store keeps the last one."""

    started: datetime
    finished: datetime
    seen: int  # matching files found
    read: int  # files whose bytes were read
    parsed: int  # files parsed
    changed: int  # articles whose stored content changed, new ones included
    removed: int  # articles removed with their files
    rejected: int  # files in error after the scan

    @property
    def seconds(self) -> float:
        return (self.finished - self.started).total_seconds()

    def line(self) -> str:
        return (f"seen={self.seen} read={self.read} parsed={self.parsed} changed={self.changed} "
                f"removed={self.removed} rejected={self.rejected} seconds={self.seconds:.3f}")
