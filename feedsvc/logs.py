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
            event["error"] = self.formatException(record.exc_info)  # the whole traceback, escaped into the line
        return json.dumps(event, ensure_ascii=False)


class _PlainFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", " | ")  # one line per event, always


# Others' loggers whose errors feedsvc shows: APScheduler reports a job that
# raised with a traceback of its own. (Its warnings are not shown: that a
# run was skipped while a long scan goes on is the schedule working.)
THIRD_PARTY = ("apscheduler",)


def formatter(log_format: str) -> logging.Formatter:
    """One line per event: "plain" or "json"."""
    return _JsonFormatter() if log_format == "json" else _PlainFormatter()


def configure(log_format: str, level: int = logging.INFO) -> None:
    """Route feedsvc's loggers (and THIRD_PARTY's errors) to stderr in the
    given format ("plain" or "json")."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    for name, its_level in [("feedsvc", level), *((other, logging.ERROR) for other in THIRD_PARTY)]:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(its_level)
        logger.propagate = False


def dict_config(log_format: str, loggers: tuple[str, ...]) -> dict[str, object]:
    """A `logging.config.dictConfig` that gives these loggers feedsvc's format
    on stderr (gunicorn's `logconfig_dict`)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"feedsvc": {"()": "feedsvc.logs.formatter", "log_format": log_format}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "feedsvc", "stream": "ext://sys.stderr"}},
        "root": {"level": "WARNING", "handlers": ["stderr"]},
        "loggers": {name: {"level": "INFO", "handlers": ["stderr"], "propagate": False} for name in loggers},
    }


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
