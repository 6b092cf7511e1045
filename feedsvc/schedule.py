"""Scans on a schedule: APScheduler 3 in the background of a serving process.

One interval job, never two at once, missed runs coalesced, the first run
right after start-up without blocking it. Every process over one store
runs a schedule, and the first to take the store's scanner lock keeps it
for as long as it lives: it is the one scanner. The others try again at
each run and take over when the holder dies (the operating system or
PostgreSQL releases the lock with the process). Start schedules after
gunicorn forks (in each worker), never before.

A rescan asked of any process is written to the store; the scanner looks
for such requests every few seconds. With `watch`, the scanner also scans
each change the system reports, as it reports it (see feedsvc.watch).
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from feedsvc.errors import FeedsvcError, FencedOut
from feedsvc.model import ScanReport
from feedsvc.scan import Scanner
from feedsvc.watch import Watch

log = logging.getLogger("feedsvc.schedule")
JOB_ID = "scan"
REQUESTS_EVERY = 2  # seconds between the scanner's looks for rescan requests


class ScanSchedule:
    def __init__(self, scanner: Scanner, interval: int, watch: bool = False) -> None:
        self.scanner = scanner
        self.interval = interval
        self.watch = watch
        self.first_scan_done = threading.Event()
        self._held: ExitStack | None = None
        self._handled_request = 0.0
        self._scheduler = BackgroundScheduler(
            timezone=UTC, job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None})

    @property
    def is_scanner(self) -> bool:
        return self._held is not None

    def start(self) -> None:
        self._scheduler.add_job(self.run_once, "interval", seconds=self.interval, id=JOB_ID,
                                next_run_time=datetime.now(UTC))
        self._scheduler.add_job(self._look_for_requests, "interval", seconds=REQUESTS_EVERY, id="requests")
        self._scheduler.start()

    def request_rescan(self) -> None:
        """Ask for a scan now, whichever process the scanner is."""
        self.scanner.store.set_meta("rescan_requested", time.time())
        if self.is_scanner:
            self.trigger()

    def trigger(self) -> None:
        """Run the scan job now (coalesced with one already due)."""
        self._scheduler.modify_job(JOB_ID, next_run_time=datetime.now(UTC))

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        self.release()

    def release(self) -> None:
        if self._held is not None:
            self._held.close()
            self._held = None

    def run_once(self) -> ScanReport | None:
        """One scheduled run: scan if this process is (or becomes) the scanner."""
        try:
            if not self._lead():
                log.debug("scan skipped: another process is the scanner")
                return None
            report = self.scanner.scan()
            self._plan_release()
        except FencedOut as exc:
            log.warning("scan stopped: %s", exc)
            self.release()
            return None
        except FeedsvcError as exc:
            log.error("scan failed: %s", exc)
            return None
        except Exception:  # a bug: said in one line, and the next run tries again
            log.exception("scan failed")
            return None
        finally:
            self.first_scan_done.set()
        log.info("scan %s", report.line())
        return report

    def _lead(self) -> bool:
        """Whether this process is the scanner, taking the lock if it is free.
        A lock lost (its connection killed, its file removed, the fence taken
        by another) is let go first, and taken again if it can be."""
        if self._held is not None and not self.scanner.store.still_scanner():
            log.warning("this process lost the scanner lock; it scans only if it can take it again")
            self.release()
        if self._held is None:
            stack = ExitStack()
            if stack.enter_context(self.scanner.store.scanner_lock()):
                self._held = stack
                log.info("this process is now the scanner")
                if self.watch:
                    self._start_watch(stack)
            else:
                stack.close()
        return self._held is not None

    def _start_watch(self, stack: ExitStack) -> None:
        """Watch for as long as this process holds the lock (before its first
        scan: what changes during that scan is scanned right after)."""
        watch = Watch(self.scanner.root, self._scan_paths)
        if watch.start():
            stack.callback(watch.stop)

    def _plan_release(self) -> None:
        """Have the next waiting article published when its date comes (a
        run of its own then, not the next walk of the tree)."""
        when = self.scanner.next_release()
        if when is not None:
            self._scheduler.add_job(self._release, "date", run_date=when, id="release", replace_existing=True,
                                    misfire_grace_time=None, coalesce=True)

    def _release(self) -> None:
        if not self.is_scanner:
            return
        try:
            report = self.scanner.release_due()
            self._plan_release()
        except FeedsvcError as exc:
            log.error("publishing what waited for its date failed: %s", exc)
            return
        log.info("published what waited for its date: scan %s", report.line())

    def _scan_paths(self, paths: set[str]) -> None:
        try:
            report = self.scanner.scan_paths(paths)
            self._plan_release()
        except FeedsvcError as exc:
            log.error("scan of %d changed paths failed: %s", len(paths), exc)
            return
        log.log(logging.INFO if report.read or report.removed else logging.DEBUG, "watched change: scan %s",
                report.line())

    def _look_for_requests(self) -> None:
        if not self.is_scanner:
            return
        try:
            requested = float(self.scanner.store.get_meta("rescan_requested") or 0)
        except FeedsvcError:
            return
        if requested > self._handled_request:
            self._handled_request = requested
            self.trigger()
