"""Two `feedsvc serve` processes over one PostgreSQL store and one tree:
one scans, both serve the same bytes, and the other takes over when the
scanner is killed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from feedsvc.settings import SAMPLES
from tests.conftest import POSTGRES, fetch, free_port, wait_ready

SCANNER = "this process is now the scanner"


def test_one_scanner_and_a_takeover(tmp_path: Path) -> None:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    source = tmp_path / "articles"
    shutil.copytree(SAMPLES, source)
    env = {**os.environ, "FEEDSVC_DATABASE_URL": f"{POSTGRES}?options=-csearch_path%3D{schema}",
           "FEEDSVC_SOURCE_DIR": str(source), "FEEDSVC_SCAN_INTERVAL": "1",
           "FEEDSVC_BASE_URL": "http://feeds.example.org/"}
    servers = {}
    try:
        for name in ("a", "b"):
            port = free_port()
            log = tmp_path / f"{name}.log"
            with open(log, "w") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "feedsvc", "serve", "--port", str(port), "--workers", "1"],
                    cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            servers[name] = (port, log, process)
        for port, _, _ in servers.values():
            wait_ready(f"http://127.0.0.1:{port}")
        time.sleep(2.5)
        scanners = [name for name, (_, log, _) in servers.items() if SCANNER in log.read_text()]
        assert len(scanners) == 1, scanners
        leader, follower = scanners[0], ("b" if scanners[0] == "a" else "a")
        feeds = {name: fetch(f"http://127.0.0.1:{port}/feed.atom")[2] for name, (port, _, _) in servers.items()}
        assert feeds["a"] == feeds["b"]

        os.killpg(servers[leader][2].pid, signal.SIGKILL)
        servers[leader][2].wait(10)
        (source / "new.txt").write_text("خبر جديد بعد سقوط الماسح\nتاريخ النشر: 2023-10-20\nفقرة.\n", encoding="utf-8")
        port, log, _ = servers[follower]
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and b"new" not in fetch(f"http://127.0.0.1:{port}/feed.atom")[2]:
            time.sleep(0.5)
        assert SCANNER in log.read_text()
        assert "خبر جديد بعد سقوط الماسح" in fetch(f"http://127.0.0.1:{port}/feed.atom")[2].decode()
    finally:
        for _, _, process in servers.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(30)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
