"""Exactly one scanner, however the lock is lost: a scanner whose lock is
taken over mid-scan is refused by the database at its next write."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from bench.corpus import generate
from feedsvc.errors import FencedOut
from feedsvc.parse import ParseRules
from feedsvc.scan import Scanner
from feedsvc.schedule import ScanSchedule
from feedsvc.settings import LEXICON, Settings
from feedsvc.store import Store, open_store
from feedsvc.store.lock import lock_key

RULES = ParseRules.of(Settings(lexicon=LEXICON, parse_processes=1))


def lose_the_lock(store: Store) -> None:
    """What takes a scanner's lock from it: on SQLite its lock file removed
    (a cleanup script), on PostgreSQL its lock's connection terminated (a
    failover, an operator, an idle-session timeout)."""
    if store.engine.dialect.name == "sqlite":
        Path(f"{store.engine.url.database}.scan-lock").unlink()
        return
    key = lock_key(f"feedsvc-scan:{store.engine.url.render_as_string()}")
    with store.engine.connect() as conn:
        killed = conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                                   " AND objid = CAST(:k AS bigint)::oid"), {"k": key}).scalars().all()
        conn.commit()
    assert killed == [True]


def test_a_scanner_that_lost_its_lock_mid_scan_writes_no_more(store_url: str, tmp_path: Path) -> None:
    generate(tmp_path / "src", 700, seed=3, noisy=False, with_expected=False)
    first, second = open_store(store_url), open_store(store_url)
    paused, resume = threading.Event(), threading.Event()
    outcome: list[object] = []

    def pause_after_the_first_batch(stage: str, done: int, total: int) -> None:
        if stage == "writing" and not paused.is_set():
            paused.set()
            assert resume.wait(60)

    def scan_first() -> None:
        with first.scanner_lock() as held:
            assert held
            try:
                outcome.append(Scanner(first, tmp_path / "src", "*.txt", RULES, batch_size=300)
                               .scan(pause_after_the_first_batch))
            except FencedOut as exc:
                outcome.append(exc)

    running = threading.Thread(target=scan_first)
    running.start()
    try:
        assert paused.wait(60)
        lose_the_lock(first)
        with second.scanner_lock() as held:
            assert held
            report = Scanner(second, tmp_path / "src", "*.txt", RULES).scan()
            resume.set()
            running.join(60)
        assert isinstance(outcome[0], FencedOut), outcome
        assert report.seen == 700
        assert len(second.newest_ids(None, 1000)) == 700
        assert second.rejected_files() == []
    finally:
        resume.set()
        running.join(60)
        first.close()
        second.close()


def test_the_schedule_lets_a_lost_lock_go_and_one_scanner_goes_on(store_url: str, tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("عنوان\nفقرة.\n", encoding="utf-8")
    stores = [open_store(store_url), open_store(store_url)]
    schedules = [ScanSchedule(Scanner(store, tmp_path / "src", "*.txt", RULES), 3600) for store in stores]
    try:
        assert schedules[0].run_once() is not None and schedules[0].is_scanner
        lose_the_lock(stores[0])
        assert schedules[1].run_once() is not None and schedules[1].is_scanner
        (tmp_path / "src" / "b.txt").write_text("عنوان آخر\nفقرة.\n", encoding="utf-8")
        assert schedules[0].run_once() is None  # notices, lets go, cannot take it again
        assert not schedules[0].is_scanner
        assert "lost the scanner lock" in caplog.text
        assert stores[0].entries(["b"]) == []  # only the scanner writes
        assert schedules[1].run_once() is not None
        assert [e.article.id for e in stores[0].entries(["a", "b"])] == ["a", "b"]
    finally:
        for running in schedules:
            running.shutdown()
        for store in stores:
            store.close()
