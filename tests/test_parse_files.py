"""Which files are read, what they are called, and what `check` says."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SEED, check_json, run_feedsvc

ARTICLE = "عنوان الخبر\nتاريخ النشر: 2023-10-13\nفقرة أولى.\n"


def write(path: Path, text: str = ARTICLE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_identity_is_the_relative_path_without_extension(tmp_path: Path) -> None:
    write(tmp_path / "a.txt")
    write(tmp_path / "الرياض" / "2023" / "b.txt")
    write(tmp_path / "upper.TXT")
    records = check_json(tmp_path)
    assert [(r["id"], r["path"]) for r in records] == [
        ("a", "a.txt"), ("upper", "upper.TXT"), ("الرياض/2023/b", "الرياض/2023/b.txt")]


def test_only_matching_regular_files_are_read(tmp_path: Path) -> None:
    write(tmp_path / "a.txt")
    write(tmp_path / "notes.md")
    write(tmp_path / ".hidden.txt")
    write(tmp_path / ".git" / "c.txt")
    (tmp_path / "fifo.txt").mkdir()  # a directory named like a file is walked, not read
    assert [r["id"] for r in check_json(tmp_path)] == ["a"]
    assert [r["id"] for r in check_json(tmp_path, env={"FEEDSVC_FILE_PATTERN": "*.md"})] == ["notes"]


def test_symlinks_out_of_the_tree_are_never_followed(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside" / "secret.txt")
    root = tmp_path / "root"
    write(root / "real.txt")
    (root / "inner.txt").symlink_to(root / "real.txt")
    (root / "escape.txt").symlink_to(outside)
    (root / "escape_dir").symlink_to(outside.parent, target_is_directory=True)
    (root / "loop").symlink_to(root, target_is_directory=True)
    assert [r["id"] for r in check_json(root)] == ["inner", "real"]


def test_a_file_over_the_size_limit_is_rejected(tmp_path: Path) -> None:
    big = write(tmp_path / "big.txt", ARTICLE + "فقرة طويلة.\n" * 200)
    result = run_feedsvc("check", str(big), env={"FEEDSVC_MAX_FILE_SIZE": "1000"})
    assert result.returncode == 1
    assert f"REJECTED big.txt: file too large ({big.stat().st_size} bytes; the limit is 1000)" in result.stdout


def test_check_prints_a_line_per_file_and_a_summary(tmp_path: Path) -> None:
    write(tmp_path / "good.txt")
    write(tmp_path / "undated.txt", "عنوان\nفقرة.\n")
    (tmp_path / "empty.txt").write_bytes(b"")
    result = run_feedsvc("check", str(tmp_path))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "REJECTED empty.txt: empty file",
        "OK       good.txt",
        "WARN     undated.txt: no date line; using the file's modification time",
        "3 files: 2 parsed (1 with warnings), 1 rejected",
    ]


def test_check_exits_0_when_every_file_parsed() -> None:
    result = run_feedsvc("check", "--json", str(SEED))
    assert result.returncode == 0, result.stderr


def test_a_missing_path_is_rejected_with_its_name(tmp_path: Path) -> None:
    [record] = check_json(tmp_path / "nowhere.txt")
    assert record["path"] == "nowhere.txt"
    assert record["error"].startswith("cannot read")


def test_corpus_statistics_span_every_path_given(tmp_path: Path) -> None:
    """A pair no lexicon knows and no article holds is kept whole once the
    corpus has shown it three times, across the directories given."""
    for n, folder in enumerate(("one", "two", "three")):
        write(tmp_path / folder / f"{n}.txt", ARTICLE + "كلمات دلالية: ملف الغلاء الرياض\n")
    single = check_json(tmp_path / "one")
    assert single[0]["tags"] == ["ملف", "الغلاء", "الرياض"]
    together = check_json(tmp_path / "one", tmp_path / "two", tmp_path / "three")
    assert [r["tags"] for r in together] == [["ملف الغلاء", "الرياض"]] * 3


def test_a_fifo_socket_or_device_is_never_opened(tmp_path: Path) -> None:
    """Named on the command line or found in a folder, or standing where a
    scan found a file: rejected with what it is, and nothing hangs (a FIFO
    opened to be read waits for a writer for ever)."""
    import os
    import socket

    from feedsvc.model import Rejected
    from feedsvc.parse import SourceFile, read_file

    write(tmp_path / "a.txt")
    os.mkfifo(tmp_path / "pipe.txt")
    listening = socket.socket(socket.AF_UNIX)
    listening.bind(str(tmp_path / "sock.txt"))
    result = run_feedsvc("check", str(tmp_path / "pipe.txt"), str(tmp_path / "sock.txt"), "/dev/zero",
                         str(tmp_path), timeout=20)
    assert result.returncode == 1
    assert result.stdout.splitlines()[:3] == [
        "REJECTED pipe.txt: not a regular file (a FIFO)", "REJECTED sock.txt: not a regular file (a socket)",
        "REJECTED zero: not a regular file (a character device)"]
    assert "OK       a.txt" in result.stdout
    # a file the walk saw, replaced by a FIFO before it is read
    found = SourceFile("a.txt", str(tmp_path / "pipe.txt"), 10, 0)
    assert read_file(found, 1000) == Rejected("a", "a.txt", "not a regular file (a FIFO)")
    listening.close()
