"""The store kept current by the scanner, on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bench.corpus import generate
from feedsvc.model import Article, ScanReport
from feedsvc.parse import ParseRules, parse_files, walk
from feedsvc.scan import BATCH_SIZE, PARALLEL_FROM, Scanner
from feedsvc.settings import LEXICON, Settings
from feedsvc.store import Store, open_store
from tests.conftest import elsewhere, run_feedsvc, run_on_terminal

ARTICLE = "{title}\nتاريخ النشر: 2023-10-13\n{body}\nكلمات دلالية: {tags}\n"


def write(path: Path, title: str, body: str = "فقرة أولى.", tags: str = "الرياض، جدة", extra: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ARTICLE.format(title=title, body=body, tags=tags) + extra, encoding="utf-8")
    return path


def scanner(store: Store, source: Path) -> Scanner:
    settings = Settings(lexicon=LEXICON)
    return Scanner(store, source, "*.txt", ParseRules.of(settings))


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    generate(folder, 40, seed=5, noisy=False, with_expected=False)
    return folder


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    yield opened
    opened.close()


def ids_in(source: Path) -> set[str]:
    return {str(p.relative_to(source).with_suffix("")) for p in source.rglob("*.txt")}


def all_updated(store: Store, ids: set[str]) -> dict[str, object]:
    return {e.article.id: e.updated for e in store.entries(sorted(ids))}


def test_first_scan_stores_every_file(store: Store, source: Path) -> None:
    report = scanner(store, source).scan()
    assert (report.seen, report.read, report.parsed, report.changed, report.removed) == (40, 40, 40, 40, 0)
    assert {e.article.id for e in store.entries(sorted(ids_in(source)))} == ids_in(source)


def test_an_unchanged_rescan_reads_nothing(store: Store, source: Path) -> None:
    scan = scanner(store, source)
    scan.scan()
    report = scan.scan()
    assert (report.seen, report.read, report.parsed, report.changed) == (40, 0, 0, 0)


def test_editing_one_file_changes_exactly_that_article(store: Store, source: Path) -> None:
    scan = scanner(store, source)
    scan.scan()
    before = all_updated(store, ids_in(source))
    versions = {t: store.version(t) for t in ("all", "site")}
    edited = sorted(source.glob("*.txt"))[3]
    edited.write_bytes(edited.read_bytes().replace(b"\n", b"\n\xd9\x81\xd9\x82\xd8\xb1\xd8\xa9.\n", 1))
    report = scan.scan()
    assert (report.read, report.parsed, report.changed) == (1, 1, 1)
    after = all_updated(store, ids_in(source))
    moved = {i for i in before if before[i] != after[i]}
    assert moved == {edited.stem}
    assert after[edited.stem] > before[edited.stem]
    assert all(store.version(t) == v + 1 for t, v in versions.items())


def test_touching_or_copying_a_file_over_itself_changes_nothing(store: Store, source: Path) -> None:
    scan = scanner(store, source)
    scan.scan()
    before = all_updated(store, ids_in(source))
    version = store.version("all")
    path = sorted(source.glob("*.txt"))[0]
    os.utime(path)
    path.write_bytes(path.read_bytes())
    report = scan.scan()
    assert (report.read, report.parsed, report.changed) == (1, 0, 0)
    assert all_updated(store, ids_in(source)) == before
    assert store.version("all") == version


def test_an_edit_that_parses_the_same_changes_nothing(store: Store, source: Path) -> None:
    scan = scanner(store, source)
    scan.scan()
    version = store.version("all")
    path = sorted(source.glob("*.txt"))[1]
    path.write_bytes(path.read_bytes() + b"\n\n   \n")
    report = scan.scan()
    assert (report.read, report.parsed, report.changed) == (1, 1, 0)
    assert store.version("all") == version


def test_deleting_a_file_removes_its_article_and_tags(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "src"
    write(source / "a.txt", "العنوان الأول", tags="وسم خاص، الرياض")
    write(source / "b.txt", "العنوان الثاني", tags="الرياض")
    scan = scanner(store, source)
    scan.scan()
    (source / "a.txt").unlink()
    report = scan.scan()
    assert (report.removed, report.changed) == (1, 0)
    assert [e.article.id for e in store.entries(["a", "b"])] == ["b"]
    assert store.version("tag:وسم خاص") == 2  # created, then emptied


def test_a_renamed_file_is_one_article_gone_and_one_new(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "src"
    write(source / "a.txt", "العنوان الأول")
    write(source / "b.txt", "العنوان الثاني")
    scan = scanner(store, source)
    scan.scan()
    (source / "a.txt").rename(source / "c.txt")  # as many files found as indexed, but not the same ones
    report = scan.scan()
    assert (report.seen, report.read, report.changed, report.removed) == (2, 1, 1, 1)
    assert [e.article.id for e in store.entries(["a", "b", "c"])] == ["b", "c"]


def test_garbage_keeps_the_last_good_article_until_fixed(store: Store, source: Path) -> None:
    scan = scanner(store, source)
    scan.scan()
    path = sorted(source.glob("*.txt"))[2]
    good = path.read_bytes()
    [before] = store.entries([path.stem])
    path.write_bytes(bytes(range(1, 32)) * 50)
    report = scan.scan()
    assert report.rejected == 1
    assert store.rejected_files() == [(path.name, "binary file (mostly control or undecodable characters)")]
    assert store.entries([path.stem]) == [before]
    report = scan.scan()  # still bad, unchanged: not read again, still reported
    assert (report.read, report.rejected) == (0, 1)
    path.write_bytes(good)
    report = scan.scan()
    assert report.rejected == 0
    assert store.rejected_files() == []
    assert store.entries([path.stem]) == [before]


def test_a_missing_source_directory_changes_nothing(store: Store, source: Path, tmp_path: Path) -> None:
    scanner(store, source).scan()
    with pytest.raises(Exception, match="missing"):
        scanner(store, tmp_path / "unmounted").scan()
    assert len(store.entries(sorted(ids_in(source)))) == 40


def test_one_read_also_article_embedded_three_times(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "src"
    embedded = "\nإقرأ أيضاً:\nمقال مضمن مشترك\nنص المقال المضمن.\n"
    for name in ("a", "b", "c"):
        write(source / f"{name}.txt", f"عنوان {name}", extra=embedded)
    write(source / "d.txt", "مقال له ملفه", extra="\nأخبار ذات صلة\nمقال له ملفه!\nخبر لا ملف له\n"
          "اقرأ أيضا\nعنوان أ\nنص.\n".replace("عنوان أ", "عنوان a"))
    scanner(store, source).scan()
    related = store.related(["a", "b", "c", "d"])
    [[one], [two], [three]] = related["a"], related["b"], related["c"]
    assert one == two == three
    assert one.id is not None and one.id.startswith("read-also/")
    assert [(r.title, r.id) for r in related["d"]] == [
        ("عنوان a", "a"), ("مقال له ملفه!", "d"), ("خبر لا ملف له", None)]


def test_a_read_also_article_goes_with_the_last_file_that_embeds_it(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "src"
    embedded = "\nإقرأ أيضاً:\nمقال مضمن مشترك\nنص المقال المضمن.\n"
    for name in ("a", "b"):
        write(source / f"{name}.txt", f"عنوان {name}", extra=embedded)
    write(source / "c.txt", "عنوان c", extra=embedded.replace("مشترك", "آخر"))
    scan = scanner(store, source)
    scan.scan()
    assert sorted(page.title for _, page in store.read_also_pages()) == ["مقال مضمن آخر", "مقال مضمن مشترك"]
    (source / "a.txt").unlink()
    write(source / "c.txt", "عنوان c")  # no longer embeds its own
    scan.scan()
    assert [page.title for _, page in store.read_also_pages()] == ["مقال مضمن مشترك"]  # b still embeds it
    (source / "b.txt").unlink()
    scan.scan()
    assert store.read_also_pages() == []


def test_new_corpus_statistics_recut_stored_tags(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "src"
    write(source / "0.txt", "عنوان 0", tags="ملف الغلاء الرياض")
    scan = scanner(store, source)
    scan.scan()
    assert [t.name for t in store.entries(["0"])[0].article.tags] == ["ملف", "الغلاء", "الرياض"]
    for n in (1, 2):
        write(source / f"{n}.txt", f"عنوان {n}", tags="جدة ملف الغلاء")
    report = scan.scan()
    assert report.changed == 3  # two new, one re-cut
    assert [t.name for t in store.entries(["0"])[0].article.tags] == ["ملف الغلاء", "الرياض"]


def test_articles_written_before_the_pairs_were_learned_are_cut_again(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "src"
    write(source / "0.txt", "عنوان 0", tags="ملف الغلاء الرياض")
    for n in (1, 2):
        write(source / f"{n}.txt", f"عنوان {n}", tags="جدة ملف الغلاء")
    rules = ParseRules.of(Settings(lexicon=LEXICON))
    report = Scanner(store, source, "*.txt", rules, batch_size=1).scan()  # the pair is known after the third
    assert report.changed == 3
    entries = store.entries(["0", "1", "2"])
    assert [[t.name for t in e.article.tags] for e in entries] == [
        ["ملف الغلاء", "الرياض"], ["جدة", "ملف الغلاء"], ["جدة", "ملف الغلاء"]]
    assert all(e.updated == e.article.published for e in entries)


def test_the_scanner_lock_admits_one_holder(store: Store) -> None:
    with store.scanner_lock() as first, store.scanner_lock() as second:
        assert (first, second) == (True, False)
    with store.scanner_lock() as again:
        assert again


def env_for(store_url: str, source: Path) -> dict[str, str]:
    return {"FEEDSVC_DATABASE_URL": store_url, "FEEDSVC_SOURCE_DIR": str(source)}


def test_feedsvc_scan_prints_its_report_and_exits_1_on_rejects(store_url: str, source: Path) -> None:
    result = run_feedsvc("scan", env=env_for(store_url, source))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("seen=40 read=40 parsed=40 changed=40 removed=0 rejected=0 ")
    (source / "empty.txt").write_bytes(b"")
    result = run_feedsvc("scan", env=env_for(store_url, source))
    assert result.returncode == 1
    assert "REJECTED empty.txt: empty file" in result.stdout
    assert " rejected=1 " in result.stdout.splitlines()[-1]


def test_a_long_scan_shows_progress_on_a_terminal_only(tmp_path: Path) -> None:
    source = tmp_path / "big"
    generate(source, 1500, seed=3, with_expected=False)
    env = env_for(f"sqlite:///{tmp_path / 'store.db'}", source)
    status, stdout, shown = run_on_terminal("scan", env=env)
    assert status == 0
    assert "\rreading 1,500/1,500" in shown.replace("\x1b[K", "")
    assert "\rwriting 1,500/1,500" in shown.replace("\x1b[K", "")
    assert stdout.splitlines()[-1].startswith("seen=1500 read=1500 ")
    (source / "new.txt").write_text(ARTICLE.format(title="جديد", body="فقرة.", tags="الرياض"), encoding="utf-8")
    piped = run_feedsvc("scan", env=env)
    assert piped.returncode == 0 and "\r" not in piped.stderr, piped.stderr


def test_a_scan_while_another_holds_the_lock_skips(store_url: str, store: Store, source: Path) -> None:
    with store.scanner_lock() as held:
        assert held
        result = run_feedsvc("scan", env=env_for(store_url, source))
    assert result.returncode == 0
    assert result.stdout.startswith("skipped")
    assert store.last_report() is None


def test_two_scans_started_at_once_one_scans(store_url: str, tmp_path: Path) -> None:
    source = tmp_path / "big"
    generate(source, 1500, seed=2, with_expected=False)
    env = {**os.environ, **env_for(store_url, source)}
    processes = [subprocess.Popen([sys.executable, "-m", "feedsvc", "scan"], cwd=elsewhere(), env=env,
                                  stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = sorted(p.communicate(timeout=120)[0].splitlines()[-1][:8] for p in processes)
    assert outputs == ["seen=150", "skipped:"]


@pytest.fixture(scope="module")
def two_batches(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tree that a first scan parses in a pool of processes and writes in two batches."""
    source = tmp_path_factory.mktemp("two-batches")
    generate(source, 2 * BATCH_SIZE, seed=4, with_expected=False)
    return source


@pytest.mark.parametrize("processes", [1, 2])
def test_a_scan_cuts_tags_as_check_does(tmp_path: Path, two_batches: Path, processes: int) -> None:
    """Parsed here or in a pool, batch by batch with the pairs learned so
    far, then cut again: the stored tags are those of one pass over the
    corpus. (In the pool, two batches; here, one.)"""
    source = two_batches
    if processes == 1:
        source = tmp_path / "src"
        generate(source, 1500, seed=9, with_expected=False)
    store = open_store(f"sqlite:///{tmp_path / 'feedsvc.db'}")
    rules = dataclasses.replace(ParseRules.of(Settings(lexicon=LEXICON)), processes=processes)
    report = Scanner(store, source, "*.txt", rules).scan()
    checked = [a for a in parse_files(walk(source, "*.txt"), rules) if isinstance(a, Article)]
    stored = {e.article.id: e for e in store.entries([a.id for a in checked])}
    assert {a.id: a.tags for a in checked} == {i: e.article.tags for i, e in stored.items()}
    assert report.changed == len(checked)  # each counted once, however often it was cut
    assert all(e.updated == e.article.published for e in stored.values())  # new: not "updated" by a re-cut
    store.close()


def parsing_processes(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def gone_soon(pids: list[int], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while any(Path(f"/proc/{pid}").exists() for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def assert_next_scan_completes(store: Store, store_url: str, source: Path, stored_before: int) -> None:
    total = len(ids_in(source))
    result = run_feedsvc("scan", env=env_for(store_url, source))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith(f"seen={total} read={total - stored_before} ")
    assert set(store.file_index()) == {str(p.relative_to(source)) for p in source.rglob("*.txt")}
    assert {e.article.id for e in store.entries(sorted(ids_in(source)))} == ids_in(source)
    assert isinstance(store.last_report(), ScanReport)


def test_a_scan_killed_between_batches_is_completed_by_the_next(store_url: str, two_batches: Path) -> None:
    env = {**os.environ, **env_for(store_url, two_batches)}
    process = subprocess.Popen([sys.executable, "-m", "feedsvc", "scan"], cwd=elsewhere(), env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = open_store(store_url)
    try:
        deadline = time.monotonic() + 60
        while not store.file_index() and time.monotonic() < deadline:  # the first batch is in
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        partial = len(store.file_index())
        assert 0 < partial < 2 * BATCH_SIZE
        assert_next_scan_completes(store, store_url, two_batches, partial)
    finally:
        store.close()


def test_a_scan_killed_while_parsing_leaves_no_process_and_no_trace(tmp_path: Path) -> None:
    source = tmp_path / "articles"
    generate(source, PARALLEL_FROM + 500, seed=6, with_expected=False)
    store_url = f"sqlite:///{tmp_path / 'feedsvc.db'}"
    env = {**os.environ, **env_for(store_url, source), "FEEDSVC_PARSE_PROCESSES": "2"}
    process = subprocess.Popen([sys.executable, "-m", "feedsvc", "scan"], cwd=elsewhere(), env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = open_store(store_url)
    try:
        deadline = time.monotonic() + 60
        while len(parsing := parsing_processes(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(parsing) == 2, "a first scan this large parses in a pool of processes"
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert gone_soon(parsing), "the parsing processes outlived their scanner"
        assert store.file_index() == {}
        assert_next_scan_completes(store, store_url, source, 0)
    finally:
        store.close()


def test_a_store_of_schema_version_1_is_upgraded_in_place_by_alembic(store_url: str, source: Path) -> None:
    store = open_store(store_url)
    scanner(store, source).scan()
    tag = max(store.tags(), key=lambda found: found[1])[0]
    newest = store.newest_ids(tag.key, 5)
    store.close()
    engine = create_engine(store_url)
    with engine.begin() as conn:  # what version 1 had: no published in article_tags, a title_key index,
        # no times of versions, no waiting files, no fence, lengths on PostgreSQL
        conn.execute(text("ALTER TABLE versions DROP COLUMN changed"))
        conn.execute(text("ALTER TABLE files DROP COLUMN waiting_until"))
        conn.execute(text("DROP TABLE fence"))
        conn.execute(text("DROP TABLE alembic_version"))  # before Alembic: meta said the version
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE files ALTER COLUMN path TYPE VARCHAR(1024)"))
            conn.execute(text("ALTER TABLE articles ALTER COLUMN id TYPE VARCHAR(512)"))
        conn.execute(text("DROP INDEX article_tags_newest"))
        conn.execute(text("ALTER TABLE article_tags DROP COLUMN published"))
        conn.execute(text("DROP INDEX articles_title"))
        conn.execute(text("CREATE INDEX ix_articles_title_key ON articles (title_key)"))
        conn.execute(text("UPDATE meta SET value = '1' WHERE key = 'schema_version'"))
    engine.dispose()
    store = open_store(store_url)
    try:
        assert store.newest_ids(tag.key, 5) == newest
        assert store.get_meta("schema_version") == 4  # Alembic's head revision, for a feedsvc from before it
        report = scanner(store, source).scan()
        assert (report.seen, report.read, report.changed) == (40, 0, 0)
        assert store.versions(["all"])["all"].changed > datetime(2026, 1, 1, tzinfo=UTC)  # upgraded: changed now
    finally:
        store.close()


def test_a_4000_character_path_is_stored_beside_a_normal_new_file(store: Store, source: Path) -> None:
    scanner(store, source).scan()
    # 4,000 characters, in 19 folders (a name may have 255 bytes, a whole path 4,095)
    deep = source.joinpath(*[f"folder{n:02d}" + "x" * 191 for n in range(19)])
    long_path = write(deep / ("a" * (4000 - len(str(deep.relative_to(source))) - 1 - 4) + ".txt"), "خبر في مسار طويل")
    write(source / "short.txt", "خبر في مسار قصير")
    relative = str(long_path.relative_to(source))
    assert len(relative) == 4000
    report = scanner(store, source).scan()
    assert (report.changed, report.rejected) == (2, 0)
    ids = {e.article.id for e in store.entries([relative[:-4], "short"])}
    assert ids == {relative[:-4], "short"}
