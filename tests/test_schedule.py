"""The scan schedule: first run at start without blocking, one scanner per store."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from bench.corpus import generate
from feedsvc.model import ScanReport
from feedsvc.parse import ParseRules
from feedsvc.scan import Scanner
from feedsvc.schedule import ScanSchedule
from feedsvc.settings import LEXICON, Settings
from feedsvc.store import Store, open_store

RULES = ParseRules.of(Settings(lexicon=LEXICON))


def schedule(store: Store, source: Path, interval: int = 1) -> ScanSchedule:
    return ScanSchedule(Scanner(store, source, "*.txt", RULES), interval)


def wait_for(condition: object, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_the_first_scan_runs_at_start_without_blocking(store_url: str, tmp_path: Path) -> None:
    generate(tmp_path, 1000, seed=8, noisy=False, with_expected=False)
    store = open_store(store_url)
    running = schedule(store, tmp_path, interval=3600)
    try:
        started = time.monotonic()
        running.start()
        assert time.monotonic() - started < 0.5
        assert store.last_report() is None
        assert running.first_scan_done.wait(60)
        report = store.last_report()
        assert report is not None and report.changed == 1000
    finally:
        running.shutdown()
        store.close()


def test_scans_repeat_on_the_interval(store_url: str, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("عنوان\nفقرة.\n", encoding="utf-8")
    store = open_store(store_url)
    running = schedule(store, tmp_path, interval=1)
    try:
        running.start()
        assert running.first_scan_done.wait(30)
        (tmp_path / "b.txt").write_text("عنوان آخر\nفقرة.\n", encoding="utf-8")
        assert wait_for(lambda: len(store.entries(["a", "b"])) == 2, 10)
    finally:
        running.shutdown()
        store.close()


def test_one_schedule_is_the_scanner_until_it_stops(store_url: str, tmp_path: Path) -> None:
    generate(tmp_path, 1500, seed=9, noisy=False, with_expected=False)
    stores = [open_store(store_url), open_store(store_url)]
    schedules = [schedule(s, tmp_path, interval=3600) for s in stores]
    results: list[ScanReport | None] = []
    threads = [threading.Thread(target=lambda s=s: results.append(s.run_once())) for s in schedules]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert sorted(r is None for r in results) == [False, True]
        [scanner] = [s for s in schedules if s.is_scanner]
        [other] = [s for s in schedules if not s.is_scanner]
        assert other.run_once() is None  # the scanner keeps the lock between scans
        assert scanner.run_once() is not None
        scanner.release()  # as when its process dies
        assert other.run_once() is not None
        assert other.is_scanner
    finally:
        for s in schedules:
            s.release()
        for s in stores:
            s.close()


def test_a_rescan_asked_of_any_process_reaches_the_scanner(store_url: str, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("عنوان\nفقرة.\n", encoding="utf-8")
    stores = [open_store(store_url), open_store(store_url)]
    scanner, other = (schedule(s, tmp_path, interval=3600) for s in stores)
    try:
        scanner.start()
        assert scanner.first_scan_done.wait(30) and scanner.is_scanner
        other.start()
        assert other.first_scan_done.wait(30) and not other.is_scanner
        (tmp_path / "b.txt").write_text("عنوان آخر\nفقرة.\n", encoding="utf-8")
        other.request_rescan()
        assert wait_for(lambda: len(stores[0].entries(["a", "b"])) == 2, 10)
    finally:
        scanner.shutdown()
        other.shutdown()
        for s in stores:
            s.close()
