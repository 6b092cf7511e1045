"""Keep a store current with a source tree.

A scan walks the tree, decides (without reading) which files may have
changed, reads those, skips the ones whose bytes are unchanged, parses the
rest, updates the corpus tag statistics by the difference, re-cuts the tags
of stored articles that the new statistics affect, and writes everything in
batches, one transaction each. Deleted files take their articles with them;
a file that turns bad keeps its last good article and records the error.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path

from feedsvc.arabic import tag_key
from feedsvc.errors import SourceError
from feedsvc.model import Article, Draft, FileStamp, Rejected, ScanReport, utc_now
from feedsvc.parse import ParseRules, SourceFile, TagStats, finish, read_draft, read_file, retag, walk
from feedsvc.parse.tags import SEPARATORS_RE
from feedsvc.store import Batch, Store

BATCH_SIZE = 1000
log = logging.getLogger("feedsvc.scan")

OnProgress = Callable[[str, int, int], None]
"""Told (stage, done, total) as a scan goes; `feedsvc scan` shows it on a terminal."""


def _quiet(stage: str, done: int, total: int) -> None:
    pass


@dataclass(frozen=True, slots=True)
class Work:
    """What a scan has to do, decided from the walk and the file index alone."""

    to_read: list[SourceFile]
    removed: list[str]
    seen: int


def decide(found: Iterable[SourceFile], index: dict[str, FileStamp], unlisted: list[str]) -> Work:
    """Files whose size or modification time moved are read; the others are
    not touched; paths no longer found are removed, unless they lie in a
    folder that could not be listed (`unlisted`, as "dir/" prefixes)."""
    to_read = []
    seen = set()
    for source in found:
        seen.add(source.path)
        stamp = index.get(source.path)
        if stamp is None or stamp.size != source.size or stamp.mtime_ns != source.mtime_ns:
            to_read.append(source)
    gone = [p for p in set(index) - seen if not p.startswith(tuple(unlisted))]
    return Work(to_read, sorted(gone), len(seen))


def affected_by(pairs: frozenset[str], tag_lines: tuple[str, ...]) -> bool:
    """Whether a change to the learned `pairs` may cut these tag lines differently."""
    for line in tag_lines:
        if not SEPARATORS_RE.search(line):
            keys = [k for k in map(tag_key, line.split()) if k]
            if any(f"{a} {b}" in pairs for a, b in pairwise(keys)):
                return True
    return False


def examine(source: SourceFile, digest_before: str | None, max_file_size: int
            ) -> tuple[str, Draft | Rejected | None]:
    """Read one file: its digest, and its draft (None when its bytes are unchanged)."""
    data = read_file(source, max_file_size)
    if isinstance(data, Rejected):
        return "", data
    digest = hashlib.sha256(data).hexdigest()
    if digest == digest_before:
        return digest, None
    return digest, read_draft(data, source, max_file_size)


class Scanner:
    """Scans one source tree into one store.

    Keeps the file index and the corpus tag statistics in memory between
    scans, so that an unchanged rescan costs a directory walk; both are
    reloaded when the store's scan generation shows another process wrote.
    """

    def __init__(self, store: Store, root: Path, pattern: str, rules: ParseRules) -> None:
        self.store = store
        self.root = root
        self.pattern = pattern
        self.rules = rules
        self._generation = -1
        self._index: dict[str, FileStamp] = {}
        self._stats: TagStats | None = None
        self._pairs: frozenset[str] = frozenset()  # learned from self._stats by the last scan
        self._lines: dict[str, tuple[str, ...]] = {}

    def scan(self, progress: OnProgress = _quiet) -> ScanReport:
        started = utc_now()
        if not self.root.is_dir():
            raise SourceError(str(self.root), "the source directory is missing; nothing was changed")
        self._sync()
        self._load_stats()  # now, not at the first edit: an edit should be served as soon as it is read
        unlisted: list[str] = []
        work = decide(walk(self.root, self.pattern, unlisted), self._index, unlisted)
        batch, drafts = self._examine_all(work, progress)
        changed = removed = 0
        items: list[tuple[Article, FileStamp | None]] = []
        if drafts or work.removed:
            items = self._settle(drafts, [self._index[p].article_id for p in work.removed])
        if batch or items:
            for start in range(0, max(len(items), 1), BATCH_SIZE):
                part = Batch(articles=items[start:start + BATCH_SIZE])
                if start == 0:
                    part.rejected, part.touched, part.removed = batch.rejected, batch.touched, batch.removed
                applied = self.store.apply(part, utc_now())
                changed += applied.changed
                removed += applied.removed
                self._remember(part)
                progress("writing", min(start + BATCH_SIZE, len(items)), len(items))
            # tells a scanner in another process that what it holds is stale
            self._generation = (self.store.get_meta("scan_generation") or 0) + 1
            self.store.set_meta("scan_generation", self._generation)
        rejected = sum(stamp.error is not None for stamp in self._index.values())
        report = ScanReport(started, utc_now(), work.seen, len(work.to_read), len(drafts) + len(batch.rejected),
                            changed, removed, rejected)
        self.store.save_report(report)
        return report

    def _examine_all(self, work: Work, progress: OnProgress) -> tuple[Batch, list[tuple[Draft, FileStamp]]]:
        batch = Batch(removed=work.removed)
        drafts: list[tuple[Draft, FileStamp]] = []
        for done, source in enumerate(work.to_read, 1):
            progress("reading", done, len(work.to_read))
            before = self._index.get(source.path)
            digest, found = examine(source, before.digest if before else None, self.rules.max_file_size)
            stamp = FileStamp(source.path, source.size, source.mtime_ns, digest)
            if found is None:
                batch.touched.append(replace(stamp, error=before.error if before else None))
            elif isinstance(found, Rejected):
                log.warning("rejected %s: %s", source.path, found.reason)
                batch.rejected.append(replace(stamp, error=found.reason))
            else:
                drafts.append((found, replace(stamp, article_id=found.id)))
        return batch, drafts

    def _sync(self) -> None:
        generation = self.store.get_meta("scan_generation") or 0
        if generation != self._generation:
            self._index = self.store.file_index()
            self._stats = None
            self._generation = generation

    def _remember(self, batch: Batch) -> None:
        for path in batch.removed:
            del self._index[path]
        for stamp in [s for _, s in batch.articles if s is not None] + batch.touched + batch.rejected:
            before = self._index.get(stamp.path)
            if stamp.article_id is None and before is not None:
                stamp = replace(stamp, article_id=before.article_id)
            self._index[stamp.path] = stamp

    def _settle(self, drafts: list[tuple[Draft, FileStamp]], removed_ids: list[str | None]
                ) -> list[tuple[Article, FileStamp | None]]:
        """Update the tag statistics, finish the drafts, and re-cut the tags
        of stored articles whose cut the new statistics change."""
        stats = self._load_stats()
        before = self._pairs
        for article_id in [*removed_ids, *(d.id for d, _ in drafts)]:
            if article_id is not None and article_id in self._lines:
                stats.remove(self._lines.pop(article_id))
        for draft, _ in drafts:
            stats.add(draft.tag_lines)
            self._lines[draft.id] = draft.tag_lines
        pairs = self._pairs = stats.learned()
        moment = utc_now()
        items: list[tuple[Article, FileStamp | None]] = [
            (finish(d, self.rules.lexicon, pairs, moment), s) for d, s in drafts]
        difference = pairs ^ before
        if difference:
            fresh = {d.id for d, _ in drafts}
            candidates = [i for i, lines in self._lines.items() if i not in fresh and affected_by(difference, lines)]
            for entry in self.store.entries(candidates):
                again = retag(entry.article, entry.article.tag_lines, self.rules.lexicon, pairs)
                if again.tags != entry.article.tags:
                    items.append((again, None))
        return items

    def _load_stats(self) -> TagStats:
        if self._stats is None:
            self._lines = self.store.tag_lines()
            self._stats = TagStats()
            for lines in self._lines.values():
                self._stats.add(lines)
            self._pairs = self._stats.learned()
        return self._stats
