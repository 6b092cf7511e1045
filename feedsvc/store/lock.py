"""The single-scanner lock: whoever holds it scans; the others skip.

Beside a SQLite store it is an flock on a file in the data directory; on
PostgreSQL a session advisory lock. Both are released by the operating
system or the server when the holder dies. A held lock comes with a check
that it is still held: the lock file may have been removed (and another
process may have locked a new one), the lock's connection may have been
killed. The fence (see Store.scanner_lock) is what makes a lost lock
harmless; the check lets its holder notice before it writes.
"""

from __future__ import annotations

import fcntl
import logging
import os
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

Alive = Callable[[], bool]
"""Whether a lock taken is still held."""
log = logging.getLogger("feedsvc.store")


@contextmanager
def file_lock(path: Path, wait: bool = False) -> Iterator[Alive | None]:
    """Yields the lock's check, or None when it was not taken; waits for it only if `wait`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield None
            return
        try:
            yield lambda: _same_file(fd, path)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    """Whether `path` still names the file this descriptor has locked."""
    try:
        held, named = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino)


@contextmanager
def advisory_lock(engine: Engine, name: str) -> Iterator[Alive | None]:
    """A PostgreSQL session lock keyed by `name`, held on its own connection."""
    key = lock_key(name)
    with engine.connect() as conn:
        taken = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        conn.commit()
        if not taken:
            yield None
            return

        def alive() -> bool:
            # asked of pg_locks, not of the connection alone: SQLAlchemy
            # reconnects a killed connection, and the new one holds nothing
            try:
                held = conn.execute(text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND pid = pg_backend_pid() AND classid = 0 AND objid = CAST(:k AS bigint)::oid"),
                    {"k": key}).scalar()
                conn.commit()
            except SQLAlchemyError:
                conn.invalidate()
                return False
            return bool(held)

        try:
            yield alive
        finally:
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
            except SQLAlchemyError as exc:  # the connection is gone, and the lock with it
                log.debug("advisory unlock: %s", exc)


def lock_key(name: str) -> int:
    return zlib.crc32(name.encode())
