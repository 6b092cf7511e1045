"""Shared fixtures: paths, and running the real `feedsvc` command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings

from bench.serve import fetch, free_port  # the benchmarks' own: one HTTP helper for both
from feedsvc.parse import ParseRules
from feedsvc.scan import Scanner
from feedsvc.settings import LEXICON, SAMPLES, Settings
from feedsvc.store import open_store
from feedsvc.web import create_app

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FEEDSVC_SHARED", ROOT.parent / "shared"))
SEED = SHARED / "seeds" / "000_4af9fadfdc09d4ea.txt"
sys.path.insert(0, str(ROOT))  # so that tests can import bench.corpus
hypothesis_settings.register_profile("feedsvc", database=None)  # no .hypothesis/ in the checkout
hypothesis_settings.load_profile("feedsvc")


def elsewhere() -> Path:
    """A fresh folder outside the checkout, to run the command from, as a user would."""
    return Path(tempfile.mkdtemp(prefix="feedsvc-cwd-"))


def run_feedsvc(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
                timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The installed command, as a user runs it, from a folder of its own."""
    return subprocess.run(
        [sys.executable, "-m", "feedsvc", *args], cwd=cwd or elsewhere(), env={**os.environ, **(env or {})},
        capture_output=True, text=True, timeout=timeout,
    )


def run_on_terminal(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """`feedsvc` with its stderr on a pseudo-terminal, as a person at a shell
    sees it: (exit status, stdout, what the terminal showed)."""
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "feedsvc", *args], cwd=elsewhere(), env={**os.environ, **env},
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


@contextmanager
def served(tmp_path: Path, env: dict[str, str], workers: int = 2, name: str = "server"
           ) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    """`feedsvc serve` (gunicorn, its workers and the scanner process) with
    these FEEDSVC_* variables, until it answers /readyz; stopped after.
    Yields its base URL, its process and its log file."""
    port = free_port()
    log = tmp_path / f"{name}.log"
    full_env = {**os.environ, "FEEDSVC_DATA_DIR": str(tmp_path / "data"), "FEEDSVC_SCAN_INTERVAL": "1",
                "FEEDSVC_BASE_URL": f"http://127.0.0.1:{port}/", **env}
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "-m", "feedsvc", "serve", "--port", str(port), "--workers",
                                    str(workers)], cwd=tmp_path, env=full_env, stdout=out, stderr=subprocess.STDOUT,
                                   text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        yield base, process, log
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def wait_for(condition: Callable[[], object], seconds: float = 30) -> bool:
    """Whether `condition()` comes true within `seconds` (asked every 50 ms)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store: a SQLite file, or a schema of its own on the local PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'feedsvc.db'}"
        return

    with postgres_schema() as schema:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A schema of its own on the local PostgreSQL (its name), dropped after."""
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# --- a served corpus: settings, a scan, the app and its test client -----------
BASE = "http://feeds.example.org/"


def make_settings(source: Path, data: Path, **overrides: object) -> Settings:
    chosen: dict[str, object] = {"page_size": 5, **overrides}
    return Settings(source_dir=source, data_dir=data, lexicon=LEXICON, base_url=BASE,
                    **chosen)  # type: ignore[arg-type]


def scan(settings: Settings) -> None:
    store = open_store(settings.store_url)
    Scanner(store, settings.source_dir, settings.file_pattern, ParseRules.of(settings)).scan()
    store.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bench.corpus import generate

    folder = tmp_path_factory.mktemp("feeds") / "articles"
    generate(folder, 60, seed=21, with_expected=False)
    for sample in (SAMPLES).glob("000_*.txt"):
        (folder / sample.name).write_bytes(sample.read_bytes())
    return folder


@pytest.fixture(scope="module")
def app(corpus: Path) -> Iterator[Flask]:
    settings = make_settings(corpus, corpus.parent / "data")
    scan(settings)
    yield create_app(settings, scan=False)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
