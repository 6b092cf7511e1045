"""A watch: changes are scanned as the system reports them, with no walk."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.corpus import generate
from feedsvc.parse import ParseRules
from feedsvc.scan import Scanner
from feedsvc.schedule import ScanSchedule
from feedsvc.settings import LEXICON, Settings
from feedsvc.store import Store, open_store
from tests.test_scan import ARTICLE, write
from tests.test_schedule import wait_for

RULES = ParseRules.of(Settings(lexicon=LEXICON))


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[Store, Path]]:
    """A store scanned once, then kept current by its watch alone (the interval is an hour)."""
    source = tmp_path / "articles"
    generate(source, 20, seed=3, noisy=False, with_expected=False)
    store = open_store(f"sqlite:///{tmp_path / 'feedsvc.db'}")
    schedule = ScanSchedule(Scanner(store, source, "*.txt", RULES), 3600, watch=True)
    schedule.start()
    try:
        assert schedule.first_scan_done.wait(30)
        yield store, source
    finally:
        schedule.shutdown()
        store.close()


def stored_ids(store: Store) -> set[str]:
    return {stamp.article_id for stamp in store.file_index().values() if stamp.article_id}


def title_of(store: Store, article_id: str) -> str | None:
    entries = store.entries([article_id])
    return entries[0].article.title if entries else None


def test_an_edit_is_scanned_without_a_walk(watched: tuple[Store, Path]) -> None:
    store, source = watched
    path = sorted(source.rglob("*.txt"))[0]
    article_id = str(path.relative_to(source).with_suffix(""))
    with path.open("r+b") as handle:  # written in place, as an editor without a rename saves
        handle.truncate()
        handle.write(ARTICLE.format(title="عنوان بعد التحرير", body="فقرة.", tags="جدة").encode())
    assert wait_for(lambda: title_of(store, article_id) == "عنوان بعد التحرير", 5)
    report = store.last_report()  # the last full scan's, still the first
    assert report is not None and (report.seen, report.read, report.changed) == (20, 20, 20)


def test_new_files_and_folders_arrive_and_deleted_ones_leave(watched: tuple[Store, Path], tmp_path: Path) -> None:
    store, source = watched
    (source / "new").mkdir()
    write(source / "new" / "one.txt", "خبر جديد")
    outside = tmp_path / "prepared"
    outside.mkdir()
    write(outside / "two.txt", "خبر منقول")
    os.rename(outside, source / "moved-in")  # a folder moved in whole: no event for its files
    assert wait_for(lambda: {"new/one", "moved-in/two"} <= stored_ids(store), 5)

    first = sorted(p for p in source.rglob("*.txt") if p.parent == source)[0]
    first.unlink()
    shutil.move(source / "moved-in", tmp_path / "moved-out")
    gone = {str(first.relative_to(source).with_suffix("")), "moved-in/two"}
    assert wait_for(lambda: not gone & stored_ids(store), 5)
    assert "new/one" in stored_ids(store)


def test_hidden_and_other_files_are_ignored(watched: tuple[Store, Path]) -> None:
    store, source = watched
    before = store.file_index()
    write(source / ".draft.txt", "مسودة")
    write(source / "notes.md", "ملاحظات")
    write(source / "real.txt", "خبر حقيقي")
    assert wait_for(lambda: "real" in stored_ids(store), 5)
    assert set(store.file_index()) - set(before) == {"real.txt"}
