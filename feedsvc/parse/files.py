"""Finding the source files under a directory."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file to read: its identity, path relative to the root, and stat."""

    id: str
    path: str
    full_path: str
    size: int
    mtime_ns: int


def article_id(relative_path: str) -> str:
    """An article's identity: its relative path with '/' and no extension."""
    return os.path.splitext(relative_path.replace(os.sep, "/"))[0]


def walk(root: Path, pattern: str, unlisted: list[str] | None = None) -> Iterator[SourceFile]:
    """Regular files under `root` whose name matches `pattern` (case
    ignored), in a stable order. Hidden files and folders are skipped;
    symbolic links are followed only when they stay inside `root`. Folders
    that cannot be listed are appended to `unlisted` (as "dir/" prefixes)."""
    real_root = os.path.realpath(root)
    pattern = pattern.lower()
    seen_dirs = {real_root}
    stack = [(str(root), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            if unlisted is not None:
                unlisted.append(prefix)
            continue
        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            relative = prefix + entry.name
            try:
                if entry.is_symlink() and not _inside(entry.path, real_root):
                    continue
                if entry.is_dir():
                    real = os.path.realpath(entry.path)
                    if real not in seen_dirs:
                        seen_dirs.add(real)
                        subfolders.append((entry.path, relative + "/"))
                elif entry.is_file() and fnmatch.fnmatchcase(entry.name.lower(), pattern):
                    stat = entry.stat()
                    yield SourceFile(article_id(relative), relative, entry.path, stat.st_size, stat.st_mtime_ns)
            except OSError:
                continue
        stack.extend(reversed(subfolders))


def _inside(path: str, real_root: str) -> bool:
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root + os.sep)
