"""Shared fixtures: paths, and running the real `feedsvc` command line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FEEDSVC_SHARED", ROOT.parent / "shared"))
SEED = SHARED / "seeds" / "000_4af9fadfdc09d4ea.txt"
sys.path.insert(0, str(ROOT))  # so that tests can import bench.corpus


def run_feedsvc(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT,
                timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The installed command, as a user runs it, from the project directory."""
    return subprocess.run(
        [sys.executable, "-m", "feedsvc", *args], cwd=cwd, env={**os.environ, **(env or {})},
        capture_output=True, text=True, timeout=timeout,
    )


def run_on_terminal(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """`feedsvc` with its stderr on a pseudo-terminal, as a person at a shell
    sees it: (exit status, stdout, what the terminal showed)."""
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "feedsvc", *args], cwd=ROOT, env={**os.environ, **env},
                               stdout=subprocess.PIPE, stderr=follower, text=True)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process has gone
            break
        if not chunk:
            break
        shown += chunk
    stdout = process.communicate(timeout=120)[0]
    os.close(leader)
    return process.returncode, stdout, shown.decode()


def check_json(*paths: Path, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    result = run_feedsvc("check", "--json", *map(str, paths), env=env)
    assert result.returncode in (0, 1), result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def check() -> Callable[..., list[dict[str, Any]]]:
    return check_json


POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """A real HTTP request: status, headers and body, errors included."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_ready(base: str, seconds: float = 60) -> None:
    """Until GET base/readyz answers 200 (the server is up and has scanned)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if fetch(base + "/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base} never became ready")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store: a SQLite file, or a schema of its own on the local PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'feedsvc.db'}"
        return
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
