"""Scan what the system reports changed, as soon as it reports it.

The interval scan finds every change by walking the whole tree, up to an
interval later. A watch (inotify, through watchdog) hears of each change
within milliseconds and has the scanner look at those paths alone, so an
edit is served well before the next walk. What a watch cannot hear (a
network file system, events the kernel dropped) the interval scan still
finds: the watch only makes changes arrive sooner.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

log = logging.getLogger("feedsvc.watch")

# Events that may change what a scan finds. Opening and reading are left
# out: the scanner's own reads would otherwise wake it again.
CHANGES = [FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileAttribEvent, FileDeletedEvent,
           FileMovedEvent, DirCreatedEvent, DirDeletedEvent, DirMovedEvent]
QUIET = 0.02  # seconds without a new event before the paths heard of are scanned
LONGEST_WAIT = 0.5  # ... however busy the tree: a copy of thousands of files still shows as it goes


class Watch(FileSystemEventHandler):
    """Tells `on_paths` (relative paths, deduplicated) what changed under `root`."""

    def __init__(self, root: Path, on_paths: Callable[[set[str]], object]) -> None:
        self.root = os.path.realpath(root)
        self.on_paths = on_paths
        self._heard: set[str] = set()
        self._lock = threading.Lock()
        self._woken = threading.Event()
        self._stopping = False
        self._observer = Observer()
        self._sender = threading.Thread(target=self._send, name="feedsvc-watch", daemon=True)

    def start(self) -> bool:
        """Start watching; False (and a warning) where the system cannot watch this tree."""
        try:
            self._observer.schedule(self, self.root, recursive=True, event_filter=CHANGES)
            self._observer.start()
        except OSError as exc:
            log.warning("cannot watch %s (%s); changes are found by the interval scan only", self.root, exc)
            return False
        self._sender.start()
        return True

    def stop(self) -> None:
        self._stopping = True
        self._woken.set()
        if self._observer.is_alive():
            self._observer.stop()
            self._observer.join()
        if self._sender.is_alive():
            self._sender.join()

    def on_any_event(self, event: FileSystemEvent) -> None:
        paths = [event.src_path, event.dest_path] if event.dest_path else [event.src_path]
        relative = [os.path.relpath(os.fsdecode(p), self.root) for p in paths]
        with self._lock:
            self._heard.update(p for p in relative if p != "." and not p.startswith(".."))
        self._woken.set()

    def _send(self) -> None:
        while not self._stopping:
            self._woken.wait()
            waited = 0.0
            while waited < LONGEST_WAIT and not self._stopping:  # let a burst of events (one save) end
                self._woken.clear()
                if not self._woken.wait(QUIET):
                    break
                waited += QUIET
            with self._lock:
                heard, self._heard = self._heard, set()
            if heard and not self._stopping:
                try:
                    self.on_paths(heard)
                except Exception:  # a watch outlives any one failed scan
                    log.exception("scan of %d changed paths failed", len(heard))
