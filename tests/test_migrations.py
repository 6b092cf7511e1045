"""A store kept for years: one that the feedsvc of the previous schema made
and filled, taken from this repository's history, is upgraded in place by
today's, and serves every article and the same feed bytes as a store that
today's feedsvc made."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from feedsvc.errors import StoreError
from feedsvc.publish import Publisher
from feedsvc.scan import Scanner
from feedsvc.settings import SAMPLES, Settings
from feedsvc.store import open_store
from tests.conftest import ROOT

SCHEMA_FILES = ["feedsvc/store/schema.py", "feedsvc/store/migrations"]


def git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr} (the test needs this checkout's history)"
    return done.stdout


def schema_of(commit: str) -> str:
    """What names a commit's schema: its head migration, or before Alembic its SCHEMA_VERSION."""
    names = git("ls-tree", "-r", "--name-only", commit, "feedsvc/store/migrations/versions").split()
    if names:
        return max(re.findall(r"v(\d{4})_", " ".join(names)))
    found = re.search(r"^SCHEMA_VERSION = (\d+)$", git("show", f"{commit}:feedsvc/store/schema.py"), re.M)
    assert found is not None, commit
    return f"{int(found.group(1)):04d}"


def previous_schema_commit() -> str:
    """The newest commit whose schema is not today's: the code of the
    previous schema change (the commits that change the schema, newest
    first, the first of another schema)."""
    today = schema_of("HEAD")
    for commit in git("log", "--format=%H", "HEAD", "--", *SCHEMA_FILES).split():
        if schema_of(commit) != today:
            return commit
    raise AssertionError("no earlier schema in this history")


def feeds_of(store_url: str, settings: Settings) -> dict[str, bytes]:
    store = open_store(store_url)
    try:
        return {url: output.body for url, output in Publisher(store, settings).everything()}
    finally:
        store.close()


def test_a_store_of_the_previous_schema_is_upgraded_and_serves_the_same(store_url: str, tmp_path: Path) -> None:
    commit = previous_schema_commit()
    old = tmp_path / "old"
    old.mkdir()
    archived = subprocess.run(["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True, timeout=60)
    with tarfile.open(fileobj=io.BytesIO(archived.stdout)) as tree:
        tree.extractall(old, filter="data")
    source = tmp_path / "articles"
    shutil.copytree(SAMPLES, source)
    lexicon = next(p for p in (old / "config" / "lexicon.txt", old / "feedsvc" / "defaults" / "lexicon.txt")
                   if p.exists())
    # the old feedsvc, run from its own tree (its package first on the path), fills the store
    env = {**os.environ, "FEEDSVC_SOURCE_DIR": str(source), "FEEDSVC_DATABASE_URL": store_url,
           "FEEDSVC_DATA_DIR": str(tmp_path / "data"), "FEEDSVC_LEXICON": str(lexicon), "PYTHONPATH": str(old)}
    filled = subprocess.run([sys.executable, "-m", "feedsvc", "scan"], cwd=old, env=env, capture_output=True,
                            text=True, timeout=120)
    assert filled.returncode == 0, filled.stderr
    settings = Settings(source_dir=source, data_dir=tmp_path / "data", base_url="http://feeds.example.org/")
    upgraded = open_store(store_url)  # today's feedsvc: the upgrade
    ids = upgraded.newest_ids(None, 1000)
    assert len(ids) == len(list(source.rglob("*.txt"))) and len(upgraded.entries(ids)) == len(ids)
    report = Scanner.of(upgraded, settings).scan()
    assert (report.read, report.changed, report.removed) == (0, 0, 0)  # it holds what the files say
    upgraded.close()
    fresh_url = f"sqlite:///{tmp_path / 'fresh' / 'feedsvc.db'}"
    fresh = open_store(fresh_url)
    Scanner.of(fresh, settings).scan()
    fresh.close()
    assert feeds_of(store_url, settings) == feeds_of(fresh_url, settings)


def test_a_store_a_newer_feedsvc_upgraded_is_refused_by_name(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'feedsvc.db'}"
    open_store(url).close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match="revision 9999, which a newer feedsvc made"):
        open_store(url)
