"""Frozen records passed between the stages of the pipeline.

parse produces Draft, Article and Rejected; scan hands them to store;
publish hands what store returns to render.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


def utc_now() -> datetime:
    """The one place that reads the clock."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Tag:
    """A tag as shown (`name`, the first spelling seen) and its identity (`key`)."""

    name: str
    key: str


@dataclass(frozen=True, slots=True)
class ReadAlso:
    """A complete related article embedded in another article's file."""

    title: str
    body: tuple[str, ...]


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
    warnings: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class Rejected:
    """A file that is not an article, and why (`reason` names no path; `SourceError` does)."""

    id: str
    path: str
    reason: str
