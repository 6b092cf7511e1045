"""Scans on a schedule: APScheduler 3 in the background of a serving process.

One interval job, never two at once, missed runs coalesced, the first run
right after start-up without blocking it. Every process over one store may
run a schedule: each run first tries the store's scanner lock, and a
process that does not get it skips that run, so exactly one scans.
Start it after gunicorn forks (in each worker), never before.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from feedsvc.errors import FeedsvcError
from feedsvc.model import ScanReport
from feedsvc.scan import Scanner

log = logging.getLogger("feedsvc.schedule")
JOB_ID = "scan"


class ScanSchedule:
    def __init__(self, scanner: Scanner, interval: int) -> None:
        self.scanner = scanner
        self.interval = interval
        self.first_scan_done = threading.Event()
        self._scheduler = BackgroundScheduler(
            timezone=UTC, job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None})

    def start(self) -> None:
        self._scheduler.add_job(self.run_once, "interval", seconds=self.interval, id=JOB_ID,
                                next_run_time=datetime.now(UTC))
        self._scheduler.start()

    def trigger(self) -> None:
        """Run the scan now (coalesced with one already due)."""
        self._scheduler.modify_job(JOB_ID, next_run_time=datetime.now(UTC))

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)

    def run_once(self) -> ScanReport | None:
        """One scheduled run: scan if this process gets the lock."""
        try:
            with self.scanner.store.scanner_lock() as held:
                if not held:
                    log.debug("scan skipped: another process holds the scanner lock")
                    return None
                report = self.scanner.scan()
        except FeedsvcError as exc:
            log.error("scan failed: %s", exc)
            return None
        finally:
            self.first_scan_done.set()
        log.info("scan %s", report.line())
        return report
