"""The single-scanner lock: whoever holds it scans; the others skip.

Beside a SQLite store it is an flock on a file in the data directory; on
PostgreSQL a session advisory lock. Both are released by the operating
system or the server when the holder dies.
"""

from __future__ import annotations

import fcntl
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text


@contextmanager
def file_lock(path: Path, wait: bool = False) -> Iterator[bool]:
    """Yields whether the lock was taken; waits for it only if `wait`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def advisory_lock(engine: Engine, name: str) -> Iterator[bool]:
    """A PostgreSQL session lock keyed by `name`, held on its own connection."""
    key = lock_key(name)
    with engine.connect() as conn:
        taken = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        conn.commit()
        try:
            yield taken
        finally:
            if taken:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()


def lock_key(name: str) -> int:
    return zlib.crc32(name.encode())
