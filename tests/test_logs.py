"""Every log event is one line, in both formats, tracebacks included."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest

PROGRAM = """
import logging, sys
from feedsvc import logs
logs.configure(sys.argv[1])
try:
    raise RuntimeError("first line\\nsecond line")
except RuntimeError:
    logging.getLogger("feedsvc.test").exception("it failed")
    logging.getLogger("apscheduler.executors.default").exception("Job raised")
logging.getLogger("apscheduler.scheduler").warning("not shown: below an error")
"""


@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_a_traceback_is_folded_into_its_line(log_format: str) -> None:
    result = subprocess.run([sys.executable, "-c", PROGRAM, log_format], capture_output=True, text=True, timeout=30)
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    for line, logger in zip(lines, ("feedsvc.test", "apscheduler.executors.default"), strict=True):
        assert "Traceback" in line and "second line" in line and logger in line
        if log_format == "json":
            event = json.loads(line)
            assert event["level"] == "error" and "RuntimeError" in event["error"]


def test_gunicorn_gets_the_same_format() -> None:
    from logging.config import dictConfig

    from feedsvc import logs

    dictConfig(logs.dict_config("json", ("gunicorn.error",)))
    handler = logging.getLogger("gunicorn.error").handlers[0]
    record = logging.LogRecord("gunicorn.error", logging.INFO, __file__, 1, "Booting worker", None, None)
    assert json.loads(handler.format(record))["message"] == "Booting worker"
