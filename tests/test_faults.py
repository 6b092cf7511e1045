"""Real faults against the real server: slow clients, a store outage."""

from __future__ import annotations

import re
import shutil
import socket
import time
from pathlib import Path

from tests.conftest import ROOT, fetch, served, wait_for

TRICKLERS = 200


def test_slow_clients_starve_neither_the_workers_nor_the_scanner(tmp_path: Path) -> None:
    """200 connections trickle their request headers, a byte at a time, for
    longer than gunicorn's worker timeout (lowered to 3 s here): everyone
    else is still answered at once, no worker is killed, and an article
    added meanwhile is scanned and served."""
    source = tmp_path / "articles"
    shutil.copytree(ROOT / "config" / "samples", source)
    with served(tmp_path, {"FEEDSVC_SOURCE_DIR": str(source), "GUNICORN_CMD_ARGS": "--timeout 3"}) as (base, _, log):
        port = int(base.rsplit(":", 1)[1])
        slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(TRICKLERS)]
        try:
            for n, byte in enumerate(b"GET /feed.atom HTTP/1.1\r\n"[:8]):
                for i, connection in enumerate(slow):
                    try:
                        connection.send(bytes([byte]))
                    except OSError:  # the server may hang up on a trickler: it comes back
                        connection.close()
                        slow[i] = socket.create_connection(("127.0.0.1", port))
                if n == 2:
                    (source / "late.txt").write_text("خبر وصل والعملاء بطيئون\nتاريخ النشر: 2023-10-14\nفقرة.\n",
                                                     encoding="utf-8")
                started = time.monotonic()
                for path in ("/healthz", "/feed.rss", "/tags/%D8%BA%D8%B2%D8%A9/feed.atom"):
                    assert fetch(base + path)[0] == 200
                assert time.monotonic() - started < 2
                time.sleep(0.5)
            assert wait_for(lambda: "وصل والعملاء" in fetch(base + "/feed.atom")[2].decode(), 10)
        finally:
            for connection in slow:
                connection.close()
        text = log.read_text()
        assert "WORKER TIMEOUT" not in text and not re.search(r"(?i)traceback", text), text[-3000:]
