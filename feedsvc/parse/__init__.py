"""Source files to articles, in two passes.

`read_draft` lays out one file (bytes in, Draft or Rejected out). Once the
drafts of a whole corpus are known, `learn_pairs` learns which tag words go
together and `finish` settles each draft's date and tags.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from feedsvc.errors import SourceError
from feedsvc.model import Article, Draft, Rejected, Tag, utc_now
from feedsvc.parse.dates import parse_date
from feedsvc.parse.decode import decode, too_large
from feedsvc.parse.files import SourceFile, article_id, files_at, walk
from feedsvc.parse.layout import lay_out, split_lines
from feedsvc.parse.tags import Lexicon, TagStats, split_tags
from feedsvc.parse.tags import learn_pairs as _learn_pairs
from feedsvc.settings import Settings

__all__ = [
    "Lexicon",
    "ParseRules",
    "SourceFile",
    "TagStats",
    "article_id",
    "files_at",
    "finish",
    "learn_pairs",
    "parse_files",
    "read_draft",
    "read_file",
    "retag",
    "walk",
]

FUTURE_TOLERANCE = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ParseRules:
    """What parsing needs from the settings."""

    max_file_size: int
    lexicon: Lexicon
    processes: int = 1  # how many may parse at once

    @classmethod
    def of(cls, settings: Settings) -> ParseRules:
        processes = settings.parse_processes or _usable_cpus()
        return cls(settings.max_file_size, Lexicon.load(settings.lexicon), processes)


def _usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):  # the CPUs this process may run on, not all the machine's
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def read_file(source: SourceFile, max_file_size: int) -> bytes | Rejected:
    """A file's bytes, unless it is too large, is not a regular file, or
    cannot be read. Opened without blocking and looked at before it is
    read: a FIFO, socket or device (named on a command line, or put where a
    file was since the walk) is never read, and never hangs the reader. A
    file that grows while it is read is read only to the limit."""
    if source.size > max_file_size:
        return Rejected(source.id, source.path, too_large(source.size, max_file_size))
    try:
        if not stat.S_ISREG(kind := os.stat(source.full_path).st_mode):  # a socket cannot even be opened
            return _not_regular(source, kind)
        fd = os.open(source.full_path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        return Rejected(source.id, source.path, f"cannot read: {exc.strerror}")
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(kind := os.fstat(fd).st_mode):  # put there since
            return _not_regular(source, kind)
        try:
            data = handle.read(max_file_size + 1)
        except OSError as exc:
            return Rejected(source.id, source.path, f"cannot read: {exc.strerror}")
    if len(data) > max_file_size:
        return Rejected(source.id, source.path, too_large(len(data), max_file_size))
    return data


_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFDIR: "a directory"}


def _not_regular(source: SourceFile, mode: int) -> Rejected:
    return Rejected(source.id, source.path, f"not a regular file ({_KINDS.get(stat.S_IFMT(mode), 'special')})")


def read_draft(data: bytes, source: SourceFile, max_file_size: int) -> Draft | Rejected:
    """First pass: decode and lay out one file."""
    try:
        text, warnings = decode(data, source.path, max_file_size)
        lines = split_lines(text)
        if not lines:
            raise SourceError(source.path, "blank file (nothing but white space)")
        layout = lay_out(lines, source.path)
    except SourceError as exc:
        return Rejected(source.id, source.path, exc.reason)
    mtime = datetime.fromtimestamp(source.mtime_ns // 1_000_000_000, UTC)
    return Draft(
        id=source.id,
        path=source.path,
        title=layout.title,
        date_text=layout.date_text,
        body=tuple(layout.body),
        related_titles=tuple(layout.related_titles),
        source=layout.source,
        tag_lines=tuple(layout.tag_lines),
        read_also=tuple(layout.read_also),
        mtime=mtime,
        warnings=tuple(warnings + layout.warnings),
    )


def learn_pairs(drafts: Iterable[Draft]) -> frozenset[str]:
    """The corpus statistics for tag segmentation, over all drafts together."""
    return _learn_pairs(line for draft in drafts for line in draft.tag_lines)


def finish(draft: Draft, lexicon: Lexicon, pairs: frozenset[str], now: datetime) -> Article:
    """Second pass: the publication date and the tags."""
    warnings = list(draft.warnings)
    published = parse_date(draft.date_text) if draft.date_text is not None else None
    if published is None:
        why = "no date line" if draft.date_text is None else f"unreadable date {draft.date_text!r}"
        warnings.append(f"{why}; using the file's modification time")
        published = draft.mtime
    elif published > now + FUTURE_TOLERANCE:
        warnings.append(f"publication date {published.isoformat()} is in the future")
    tags: tuple[Tag, ...] = ()
    if draft.tag_lines:
        tags = split_tags(draft.tag_lines, draft.title, draft.body, lexicon, pairs)
    return Article(
        id=draft.id,
        path=draft.path,
        title=draft.title,
        published=published,
        body=draft.body,
        related_titles=draft.related_titles,
        source=draft.source,
        tags=tags,
        read_also=draft.read_also,
        tag_lines=draft.tag_lines,
        warnings=tuple(warnings),
    )


def retag(article: Article, tag_lines: tuple[str, ...], lexicon: Lexicon, pairs: frozenset[str]) -> Article:
    """The article with its tags cut again, after the corpus statistics changed."""
    tags = split_tags(tag_lines, article.title, article.body, lexicon, pairs)
    return replace(article, tags=tags)


def parse_files(files: Iterable[SourceFile], rules: ParseRules, now: datetime | None = None
                ) -> list[Article | Rejected]:
    """Parse files as one corpus, in the order given (what `feedsvc check` does)."""
    now = now or utc_now()
    drafts: list[Draft | Rejected] = []
    for source in files:
        data = read_file(source, rules.max_file_size)
        drafts.append(data if isinstance(data, Rejected) else read_draft(data, source, rules.max_file_size))
    pairs = learn_pairs(d for d in drafts if isinstance(d, Draft))
    return [finish(d, rules.lexicon, pairs, now) if isinstance(d, Draft) else d for d in drafts]
