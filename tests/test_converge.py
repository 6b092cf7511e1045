"""Tags converge: however a first scan is killed, the next complete scan
leaves every article's tags as an uninterrupted scan of the tree does."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.corpus import generate
from feedsvc.parse import ParseRules
from feedsvc.scan import Scanner
from feedsvc.settings import LEXICON, Settings
from feedsvc.store import Store, open_store

FILES = 1500


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("converge") / "articles"
    generate(folder, FILES, seed=11, with_expected=False)
    return folder


@pytest.fixture(scope="module")
def uninterrupted(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    settings = Settings(lexicon=LEXICON, parse_processes=1)
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('whole') / 'feedsvc.db'}")
    Scanner(store, tree, "*.txt", ParseRules.of(settings)).scan()
    tags = tags_of(store)
    store.close()
    return tags


def tags_of(store: Store) -> dict[str, list[str]]:
    ids = store.newest_ids(None, FILES * 2)
    return {e.article.id: [t.name for t in e.article.tags] for e in store.entries(ids)}


def written(database: Path) -> int:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return 0


KILL_WHEN: dict[str, Callable[[int], bool]] = {
    "after the first batch": lambda count: count > 0,
    "midway": lambda count: count >= FILES // 2,
    "with every article written": lambda count: count >= FILES,
}


@pytest.mark.parametrize("moment", list(KILL_WHEN))
def test_a_first_scan_killed_then_completed_cuts_every_tag_as_one_scan(
        moment: str, tree: Path, uninterrupted: dict[str, list[str]], tmp_path: Path) -> None:
    env = {**os.environ, "FEEDSVC_SOURCE_DIR": str(tree), "FEEDSVC_DATA_DIR": str(tmp_path),
           "FEEDSVC_LEXICON": str(LEXICON), "FEEDSVC_PARSE_PROCESSES": "1"}
    command = [sys.executable, "-m", "feedsvc", "scan"]
    database = tmp_path / "feedsvc.db"
    scan = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while scan.poll() is None and not KILL_WHEN[moment](written(database)) and time.monotonic() < deadline:
        time.sleep(0.002)
    scan.send_signal(signal.SIGKILL)
    assert scan.wait(10) == -signal.SIGKILL, "the scan ended before it could be killed"
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    store = open_store(f"sqlite:///{database}")
    got = tags_of(store)
    store.close()
    assert len(got) == len(uninterrupted)
    assert {i: got[i] for i in got if got[i] != uninterrupted[i]} == {}
