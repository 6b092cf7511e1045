"""One line per event on stderr, plain or JSON (FEEDSVC_LOG_FORMAT), and a
progress counter for long runs on a terminal.

Contains no business logic.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from typing import TextIO


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        if record.exc_info:
            event["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(event, ensure_ascii=False)


class _PlainFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", " | ")  # one line per event, always


def configure(log_format: str, level: int = logging.INFO) -> None:
    """Route feedsvc's loggers to stderr in the given format ("plain" or "json")."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if log_format == "json" else _PlainFormatter())
    root = logging.getLogger("feedsvc")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


class Progress:
    """Counts through a long run on one rewritten terminal line, at most a few
    times a second; prints nothing when the stream is not a terminal, so that
    logs and pipes stay one line per event."""

    def __init__(self, stream: TextIO = sys.stderr, interval: float = 0.25) -> None:
        self.stream = stream
        self.shown = stream.isatty()
        self.interval = interval
        self._last = 0.0

    def __call__(self, stage: str, done: int, total: int | None = None) -> None:
        now = time.monotonic()
        if not self.shown or (now - self._last < self.interval and done != total):
            return
        self._last = now
        counted = f"{done:,}/{total:,}" if total is not None else f"{done:,}"
        self.stream.write(f"\r\x1b[K{stage} {counted}")
        self.stream.flush()

    def close(self) -> None:
        """Clear the line, so that what is printed next starts clean."""
        if self.shown and self._last:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
