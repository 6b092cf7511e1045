"""Keep a store current with a source tree.

A scan walks the tree, decides (without reading) which files may have
changed, reads those, skips the ones whose bytes are unchanged, parses the
rest (tags cut with the word pairs learned so far), updates the corpus tag
statistics by the difference, re-cuts the tags of the articles, fresh or
stored, that the new statistics affect, and writes everything in batches,
one transaction each. Deleted files take their articles with them;
a file that turns bad keeps its last good article and records the error.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import islice, pairwise
from pathlib import Path

from feedsvc.arabic import tag_key
from feedsvc.errors import SourceError
from feedsvc.model import Article, FileStamp, Rejected, ScanReport, utc_now
from feedsvc.parse import ParseRules, SourceFile, TagStats, files_at, finish, read_draft, read_file, retag, walk
from feedsvc.parse.tags import SEPARATORS_RE
from feedsvc.settings import Settings
from feedsvc.store import Applied, Batch, Prepared, Store, prepare

# Each batch rewrites index pages all over the store; fewer, larger batches
# rewrite each page fewer times (a first scan of 100,000 files: five seconds).
BATCH_SIZE = 5000
PARALLEL_FROM = 2000  # files to read before a scan parses them in several processes
CHUNK = 200  # files handed to a parsing process at a time
AHEAD = 4  # chunks started per parsing process before their results are taken
# The most chunks in flight: as the scan goes, more are started ahead, until
# the pool has enough to parse while the writer writes a whole batch.
MOST_AHEAD = BATCH_SIZE // CHUNK
log = logging.getLogger("feedsvc.scan")
UNSETTLED = "tags_unsettled"  # meta: a scan that changes what is stored has started and not yet cut again

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


def decide(found: Iterable[SourceFile], index: dict[str, FileStamp], unlisted: list[str],
           due: frozenset[str] = frozenset()) -> Work:
    """Files whose size or modification time moved are read, and so are the
    files whose article waits for a date now past (`due`); the others are
    not touched; paths no longer found are removed, unless they lie in a
    folder that could not be listed (`unlisted`, as "dir/" prefixes).

    The walk is taken whole before the index is looked at: looking each
    file up between two stat calls makes an unchanged rescan of 100,000
    files a quarter slower (measured; most likely the kernel's work for
    each stat evicts the index from the processor's caches). The paths
    found are distinct: when as many of them are indexed as the index
    holds, nothing is gone.
    """
    found = list(found)
    to_read = []
    known = 0
    for source in found:
        stamp = index.get(source.path)
        known += stamp is not None
        if _moved(source, stamp):
            to_read.append(source)
    if due:
        to_read += [source for source in found if source.path in due and not _moved(source, index[source.path])]
    gone: list[str] = []
    if known < len(index):
        seen = {source.path for source in found}
        gone = sorted(p for p in index.keys() - seen if not p.startswith(tuple(unlisted)))
    return Work(to_read, gone, len(found))


def _moved(source: SourceFile, stamp: FileStamp | None) -> bool:
    """Whether a file may have changed since it was indexed (or is new)."""
    return stamp is None or stamp.size != source.size or stamp.mtime_ns != source.mtime_ns


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Pause the cycle collector. A first scan holds a million small objects
    that form no reference cycles (records, tuples, strings), and each
    collection would walk them all again (at 100,000 files: 4 to 10 s).
    Reference counting still frees everything; collection resumes after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def affected_by(pairs: frozenset[str], tag_lines: tuple[str, ...]) -> bool:
    """Whether a change to the learned `pairs` may cut these tag lines differently."""
    for line in tag_lines:
        if not SEPARATORS_RE.search(line):
            keys = [k for k in map(tag_key, line.split()) if k]
            if any(f"{a} {b}" in pairs for a, b in pairwise(keys)):
                return True
    return False


@dataclass(frozen=True, slots=True)
class Cut:
    """What a scan parses a chunk of files with: the rules, the word pairs
    learned by the time the chunk starts, and the scan's clock for the
    future-date warning."""

    rules: ParseRules
    pairs: frozenset[str]
    now: datetime


Examined = tuple[str, Prepared | Rejected | None]
"""A file's digest, and its article, prepared for the store (None when its
bytes are unchanged)."""


def examine(source: SourceFile, digest_before: str | None, cut: Cut) -> Examined:
    """Read one file: its digest, and its article (prepared for the store)
    unless its bytes are unchanged.

    The article's tags are cut with `cut.pairs`; the scan re-cuts the few
    whose cut the pairs it learns later change (`affected_by`).
    """
    data = read_file(source, cut.rules.max_file_size)
    if isinstance(data, Rejected):
        return "", data
    digest = hashlib.sha256(data).hexdigest()
    if digest == digest_before:
        return digest, None
    draft = read_draft(data, source, cut.rules.max_file_size)
    if isinstance(draft, Rejected):
        return digest, draft
    return digest, prepare(finish(draft, cut.rules.lexicon, cut.pairs, cut.now))


_cut_here: Cut | None = None  # in a parsing process: what its pool was started with


def _start_parsing_process(cut: Cut, scanner: int) -> None:
    global _cut_here
    _cut_here = cut
    gc.disable()  # like a scan (see _without_cycle_collection), it makes no reference cycles
    # A scanner killed outright cannot stop its pool, and the pool's queue
    # never tells its processes (each holds both ends): they watch for it.
    exit_with_parent(scanner)


def exit_with_parent(parent: int) -> None:
    """End this process (at once, as a kill would) when `parent` is no longer
    its parent. The pid is passed in: the parent may have died already."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="feedsvc-parent-watch", daemon=True).start()


def _examine_chunk(jobs: list[tuple[SourceFile, str | None]], pairs: frozenset[str]) -> list[Examined]:
    assert _cut_here is not None
    cut = replace(_cut_here, pairs=pairs)
    return [examine(source, digest, cut) for source, digest in jobs]


def examine_many(jobs: list[tuple[SourceFile, str | None]], cut: Cut, pairs_now: Callable[[], frozenset[str]]
                 ) -> Iterator[tuple[Examined, frozenset[str]]]:
    """`examine` each (file, digest before), in order, in chunks: each chunk
    is cut with the pairs learned by the time it starts (`pairs_now()`),
    yielded beside each of its results. Many files (a first scan) are read
    and parsed by a pool of processes, chunks ahead of the caller (a few at
    first, more as the scan goes: MOST_AHEAD); a few files are done here,
    sooner than a pool would start. The pool's processes are spawned, not
    forked: the scanner runs beside threads (the scheduler's, the web
    server's) that a fork would copy mid-step."""
    chunks = [jobs[start:start + CHUNK] for start in range(0, len(jobs), CHUNK)]
    if cut.rules.processes < 2 or len(jobs) < PARALLEL_FROM:
        for chunk in chunks:
            pairs = pairs_now()
            here = replace(cut, pairs=pairs)
            yield from ((examine(source, digest, here), pairs) for source, digest in chunk)
        return
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(cut.rules.processes, mp_context=spawn,
                             initializer=_start_parsing_process, initargs=(cut, os.getpid())) as pool:
        waiting = iter(chunks)
        started: deque[tuple[frozenset[str], Future[list[Examined]]]] = deque()

        def start(count: int) -> None:
            for chunk in islice(waiting, count):
                pairs = pairs_now()
                started.append((pairs, pool.submit(_examine_chunk, chunk, pairs)))

        start(AHEAD * cut.rules.processes)
        while started:
            pairs, future = started.popleft()
            start(2 if len(started) < MOST_AHEAD else 1)
            yield from ((result, pairs) for result in future.result())


class Scanner:
    """Scans one source tree into one store.

    An article dated after the scan that reads it waits: its file is
    indexed with the date, nothing of it is published, and it is read again
    once the date has passed (`release_due`, which the schedule runs then).

    Keeps the file index and the corpus tag statistics in memory between
    scans, so that an unchanged rescan costs a directory walk; both are
    reloaded when the store's scan generation shows another process wrote.
    """

    def __init__(self, store: Store, root: Path, pattern: str, rules: ParseRules, batch_size: int = BATCH_SIZE,
                 publish_future: bool = False) -> None:
        self.store = store
        self.root = root
        self.pattern = pattern
        self.rules = rules
        self.batch_size = batch_size
        self.publish_future = publish_future  # else an article dated later waits for its date, unpublished
        self._generation = -1
        self._index: dict[str, FileStamp] = {}
        self._waiting: dict[str, datetime] = {}  # from the index: the files whose article waits, till when
        self._stats: TagStats | None = None
        self._pairs: frozenset[str] = frozenset()  # learned from self._stats by the last scan
        self._lines: dict[str, tuple[str, ...]] = {}
        # Tags may be cut with statistics that were still being learned: a
        # scan that stopped before it cut them again at its end (killed, or
        # failed) leaves the store so, and says so (meta "tags_unsettled").
        # The next scan then cuts again every stored article whose cut
        # depends on the statistics, not only those its own learning changes.
        self._unsettled = False  # what the store says
        self._recut_all = False  # what the next cut-again does
        self._running = threading.Lock()  # one scan at a time: the schedule's and a watch's

    @classmethod
    def of(cls, store: Store, settings: Settings) -> Scanner:
        """The scanner the settings describe."""
        return cls(store, settings.sources(), settings.file_pattern, ParseRules.of(settings),
                   publish_future=settings.publish_future)

    def scan(self, progress: OnProgress = _quiet) -> ScanReport:
        """Walk the whole tree."""
        with self._running, _without_cycle_collection():
            started = self._start()
            unlisted: list[str] = []
            work = decide(walk(self.root, self.pattern, unlisted), self._index, unlisted, self._due(started))
            report = self._carry_out(work, started, progress)
            self.store.save_report(report)  # the last full scan's: what /status and /metrics show
            return report

    def scan_paths(self, paths: Iterable[str]) -> ScanReport:
        """Look only at these paths (relative to the root: files, or folders
        and all they hold), as a watch reports them changed, created, moved
        or deleted."""
        paths = set(paths)  # taken twice below, and deduplicated
        with self._running, _without_cycle_collection():
            started = self._start()
            found: dict[str, SourceFile] = {}  # by path: a folder and a file in it may both be named
            maybe_folders = []
            for relative in paths:
                here = files_at(self.root, self.pattern, relative)
                found.update((source.path, source) for source in here)
                if here != [] and here[0].path == relative:
                    continue  # a file (and the only one there)
                maybe_folders.append(relative + "/")
            gone = [path for path in paths if path in self._index and path not in found]
            if maybe_folders:
                gone += [path for path in self._index if path.startswith(tuple(maybe_folders)) and path not in found]
            due = self._due(started)
            to_read = [source for source in found.values()
                       if _moved(source, self._index.get(source.path)) or source.path in due]
            return self._carry_out(Work(to_read, sorted(set(gone)), len(found)), started, _quiet)

    def release_due(self) -> ScanReport:
        """Read again the files whose article's date has come: they are
        published now, without a walk of the tree."""
        with self._running:  # a scan (the watch's) may be changing what waits
            due = self._due(utc_now())
        return self.scan_paths(due)

    def next_release(self) -> datetime | None:
        """When the next waiting article's date comes, if one waits."""
        with self._running:
            return min(self._waiting.values(), default=None)

    def _due(self, now: datetime) -> frozenset[str]:
        return frozenset(path for path, until in self._waiting.items() if until <= now)

    def _start(self) -> datetime:
        started = utc_now()
        if not self.root.is_dir():
            raise SourceError(str(self.root), "the source directory is missing; nothing was changed")
        self._sync()
        self._load_stats()  # now, not at the first edit: an edit should be served as soon as it is read
        return started

    def _carry_out(self, work: Work, started: datetime, progress: OnProgress) -> ScanReport:
        """Read, parse and write what `work` says, a batch at a time, each
        batch written (by a writer thread) while the next is being parsed and
        cut. Each batch teaches the tag statistics its tag lines and is cut
        with all they know by then; the articles whose cut what was learned
        after them changes (written earlier in this scan, or stored before
        it) are cut again at the end."""
        before = self._pairs
        if (work.to_read or work.removed) and not self._unsettled:
            self.store.set_meta(UNSETTLED, True, fenced=True)
            self._unsettled = True
        try:
            return self._read_learn_cut_write(work, started, progress, before)
        except BaseException:
            self._recut_all = True  # some of what was learned may be written, some not
            raise

    def _read_learn_cut_write(self, work: Work, started: datetime, progress: OnProgress, before: frozenset[str]
                              ) -> ScanReport:
        removed_ids = [self._index[p].article_id for p in work.removed]
        written: list[tuple[frozenset[str], list[str]]] = []  # each batch's pairs, and its article ids
        changed: set[str] = set()
        removed = parsed = 0

        def account(writing: Future[Applied]) -> None:
            nonlocal removed
            applied = writing.result()
            changed.update(applied.changed)
            removed += applied.removed

        # The writer spends most of its time in SQLite, which lets go of the
        # interpreter: this thread meanwhile takes in and cuts the next batch.
        with ThreadPoolExecutor(1, thread_name_prefix="feedsvc-writer") as writer:
            writing: Future[Applied] | None = None
            for part, cut_with in self._read_in_batches(work, progress):
                parsed += len(part.articles) + len(part.rejected)
                pairs = self._learn([p.article for p, _ in part.articles], removed_ids if part.removed else [])
                differences = {used: pairs ^ used for used in set(cut_with)}
                for n, ((prepared, stamp), used) in enumerate(zip(part.articles, cut_with, strict=True)):
                    if (differences[used] and affected_by(differences[used], prepared.article.tag_lines)
                            and (recut := self._recut(prepared.article)) is not None):
                        part.articles[n] = (recut, stamp)
                if writing is not None:
                    account(writing)  # one batch in writing at a time, in order
                writing = writer.submit(self._write, part)
                written.append((pairs, [p.article.id for p, _ in part.articles]))
                progress("writing", parsed, len(work.to_read))
            if writing is not None:
                account(writing)
        for again in self._cut_again(written, before):
            changed |= self._write(Batch(articles=again)).changed
        if self._unsettled:
            self.store.set_meta(UNSETTLED, False, fenced=True)
            self._unsettled = self._recut_all = False
        if written:
            # tells a scanner in another process that what it holds is stale
            self._generation = (self.store.get_meta("scan_generation") or 0) + 1
            self.store.set_meta("scan_generation", self._generation, fenced=True)
        rejected = sum(stamp.error is not None for stamp in self._index.values())
        return ScanReport(started, utc_now(), work.seen, len(work.to_read), parsed, len(changed), removed, rejected)

    def _read_in_batches(self, work: Work, progress: OnProgress) -> Iterator[tuple[Batch, list[frozenset[str]]]]:
        """The files to read, parsed, in batches of up to `batch_size` articles
        (the first also removes what `work` says is gone), each article with
        the pairs it was cut with. The first batches are small, doubling: the
        pairs a batch teaches are used for the files started after it, and
        the sooner they are known, the fewer articles need cutting again."""
        batch, cut_with, size = Batch(removed=work.removed), [], min(CHUNK, self.batch_size)
        befores = [self._index.get(source.path) for source in work.to_read]
        # a waiting file is parsed again whatever its bytes: its article may be due
        jobs = [(source, before.digest if before and before.waiting_until is None else None)
                for source, before in zip(work.to_read, befores, strict=True)]
        now = utc_now()
        examined = examine_many(jobs, Cut(self.rules, self._pairs, now), lambda: self._pairs)
        for done, (source, before, ((digest, found), pairs)) in enumerate(
                zip(work.to_read, befores, examined, strict=True), 1):
            progress("reading", done, len(work.to_read))
            stamp = FileStamp(source.path, source.size, source.mtime_ns, digest)
            if found is None:  # (a waiting file is always parsed: it is not here)
                batch.touched.append(replace(stamp, error=before.error if before else None))
            elif isinstance(found, Rejected):
                log.warning("rejected %s: %s", source.path, found.reason)
                batch.rejected.append(replace(stamp, error=found.reason))
            elif not self.publish_future and found.article.published > now:
                batch.waiting.append(replace(stamp, article_id=found.article.id,
                                             waiting_until=found.article.published))
            else:
                batch.articles.append((found, replace(stamp, article_id=found.article.id)))
                cut_with.append(pairs)
                if len(batch.articles) == size:
                    yield batch, cut_with
                    batch, cut_with, size = Batch(), [], min(2 * size, self.batch_size)
        if batch:
            yield batch, cut_with

    def _write(self, batch: Batch) -> Applied:
        applied = self.store.apply(batch, utc_now())
        self._remember(batch, applied.refused)
        return applied

    def _sync(self) -> None:
        generation = self.store.get_meta("scan_generation") or 0
        if generation != self._generation:
            self._index = self.store.file_index()
            self._waiting = {path: stamp.waiting_until for path, stamp in self._index.items()
                             if stamp.waiting_until is not None}
            self._stats = None
            self._generation = generation

    def _remember(self, batch: Batch, refused: tuple[FileStamp, ...]) -> None:
        """What the store now holds of these files (`refused`: the stamps it
        wrote instead of articles it refused)."""
        for path in batch.removed:
            del self._index[path]
            self._waiting.pop(path, None)
        for stamp in [s for _, s in batch.articles if s is not None] + batch.touched + batch.rejected + [*refused]:
            before = self._index.get(stamp.path)
            if stamp.article_id is None and before is not None:
                stamp = replace(stamp, article_id=before.article_id)
            self._index[stamp.path] = stamp
            if stamp.waiting_until is None:
                self._waiting.pop(stamp.path, None)
        for stamp in batch.waiting:
            self._index[stamp.path] = stamp
            if stamp.waiting_until is not None:  # (always, for a waiting stamp)
                self._waiting[stamp.path] = stamp.waiting_until

    def _learn(self, fresh: list[Article], removed_ids: list[str | None]) -> frozenset[str]:
        """Update the tag statistics by the difference; the pairs they teach now."""
        if not fresh and not removed_ids:
            return self._pairs
        stats = self._load_stats()
        for article_id in [*removed_ids, *(a.id for a in fresh)]:
            if article_id is not None and article_id in self._lines:
                stats.remove(self._lines.pop(article_id))
        for article in fresh:
            stats.add(article.tag_lines)
            self._lines[article.id] = article.tag_lines
        self._pairs = stats.learned()
        return self._pairs

    def _recut(self, article: Article) -> Prepared | None:
        """The article cut with the pairs known now, prepared for the store;
        None when its tags come out the same (what is stored still holds)."""
        recut = retag(article, article.tag_lines, self.rules.lexicon, self._pairs)
        return prepare(recut) if recut.tags != article.tags else None

    def _cut_again(self, written: list[tuple[frozenset[str], list[str]]], before: frozenset[str]
                   ) -> Iterator[list[tuple[Prepared, FileStamp | None]]]:
        """The articles whose tags the pairs learned by now cut differently
        than the pairs they were cut with, a batch at a time: this scan's,
        batch by batch, and the stored ones, cut with the pairs known
        `before` this scan. All are read back from the store: a scan does
        not hold on to what it has written (100,000 articles are gigabytes)."""
        now = self._pairs
        ids: list[str] = []
        for pairs, written_ids in written:
            if difference := now ^ pairs:
                ids += [i for i in written_ids if affected_by(difference, self._lines[i])]
        if self._recut_all:  # cut with whatever a stopped scan had learned: all that the pairs can change
            difference = frozenset(self._stats.pairs) if self._stats is not None else frozenset()
        else:
            difference = now ^ before
        if difference:
            fresh = {i for _, written_ids in written for i in written_ids}
            ids += [i for i, lines in self._lines.items() if i not in fresh and affected_by(difference, lines)]
        for start in range(0, len(ids), self.batch_size):
            recut = (self._recut(entry.article) for entry in self.store.entries(ids[start:start + self.batch_size]))
            yield [(prepared, None) for prepared in recut if prepared is not None]

    def _load_stats(self) -> TagStats:
        if self._stats is None:
            self._unsettled = self._recut_all = bool(self.store.get_meta(UNSETTLED))
            self._lines = self.store.tag_lines()
            self._stats = TagStats()
            for lines in self._lines.values():
                self._stats.add(lines)
            self._pairs = self._stats.learned()
        return self._stats
