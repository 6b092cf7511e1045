"""Real faults against the real server: slow clients, a store outage."""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from feedsvc.settings import SAMPLES
from tests.conftest import fetch, free_port, postgres_schema, served, wait_for

TRICKLERS = 200


def test_slow_clients_starve_neither_the_workers_nor_the_scanner(tmp_path: Path) -> None:
    """200 connections trickle their request headers, a byte at a time, for
    longer than gunicorn's worker timeout (lowered to 3 s here): everyone
    else is still answered at once, no worker is killed, and an article
    added meanwhile is scanned and served."""
    source = tmp_path / "articles"
    shutil.copytree(SAMPLES, source)
    with served(tmp_path, {"FEEDSVC_SOURCE_DIR": str(source), "GUNICORN_CMD_ARGS": "--timeout 3"}) as (base, _, log):
        port = int(base.rsplit(":", 1)[1])
        slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(TRICKLERS)]
        try:
            for n, byte in enumerate(b"GET /feed.atom HTTP/1.1\r\n"[:8]):
                for i, connection in enumerate(slow):
                    try:
                        connection.send(bytes([byte]))
                    except OSError:  # the server may hang up on a trickler: it comes back
                        connection.close()
                        slow[i] = socket.create_connection(("127.0.0.1", port))
                if n == 2:
                    (source / "late.txt").write_text("خبر وصل والعملاء بطيئون\nتاريخ النشر: 2023-10-14\nفقرة.\n",
                                                     encoding="utf-8")
                started = time.monotonic()
                for path in ("/healthz", "/feed.rss", "/tags/%D8%BA%D8%B2%D8%A9/feed.atom"):
                    assert fetch(base + path)[0] == 200
                assert time.monotonic() - started < 2
                time.sleep(0.5)
            assert wait_for(lambda: "وصل والعملاء" in fetch(base + "/feed.atom")[2].decode(), 10)
        finally:
            for connection in slow:
                connection.close()
        text = log.read_text()
        assert "WORKER TIMEOUT" not in text and not re.search(r"(?i)traceback", text), text[-3000:]


class Proxy:
    """A TCP relay to the real PostgreSQL that can be cut (every connection
    dropped, new ones refused) and restored on the same port: an outage
    of the store as the service sees one."""

    def __init__(self, target: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.target = target
        self.port = free_port()
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def cut(self) -> None:
        assert self.listener is not None
        with contextlib.suppress(OSError):  # wakes the accepting thread: close alone leaves it listening
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for one in self.sockets:
            with contextlib.suppress(OSError):
                one.shutdown(socket.SHUT_RDWR)
            one.close()
        self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)


@pytest.fixture
def schema() -> Iterator[str]:
    with postgres_schema() as name:
        yield name


def test_a_store_outage_serves_what_was_rendered_and_recovers_alone(tmp_path: Path, schema: str) -> None:
    source = tmp_path / "articles"
    shutil.copytree(SAMPLES, source)
    proxy = Proxy()
    url = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/test?options=-csearch_path%3D{schema}"
    rendered = ["/feed.atom", "/tags/%D8%BA%D8%B2%D8%A9/feed.rss", "/", "/articles/000_4af9fadfdc09d4ea"]
    with served(tmp_path, {"FEEDSVC_SOURCE_DIR": str(source), "FEEDSVC_DATABASE_URL": url}, workers=1) as (base, _, _):
        before = {path: fetch(base + path) for path in rendered}
        assert all(status == 200 for status, _, _ in before.values())
        proxy.cut()
        try:
            time.sleep(0.3)  # past the version's time to live: the store is asked, and fails
            for path, (_, headers, body) in before.items():
                status, now, again = fetch(base + path)
                assert status == 200, path
                assert (now["ETag"], now["Last-Modified"], again) == (headers["ETag"], headers["Last-Modified"], body)
            status, headers, body = fetch(base + "/tags/%D8%A5%D9%8A%D8%B1%D8%A7%D9%86/feed.atom")  # never rendered
            assert status == 503 and int(headers["Retry-After"]) > 0 and b"Traceback" not in body
            assert fetch(base + "/readyz")[0] == 503
            assert fetch(base + "/healthz")[0] == 200
            (source / "during.txt").write_text("خبر كتب والمخزن غائب\nتاريخ النشر: 2023-10-20\nفقرة.\n",
                                               encoding="utf-8")
        finally:
            proxy.restore()
        assert wait_for(lambda: "والمخزن غائب" in fetch(base + "/feed.atom")[2].decode(), 30)
        assert fetch(base + "/readyz")[0] == 200
    proxy.cut()


def test_metrics_add_up_over_every_worker(tmp_path: Path) -> None:
    """Two workers share the requests; every scrape, whichever worker
    answers it, reports all of them, and no counter ever goes down."""
    requests = 60
    line = re.compile(r'^feedsvc_http_requests_total\{route="/feed\.<fmt>",status="200"\} (\S+)$', re.M)
    with served(tmp_path, {"FEEDSVC_SOURCE_DIR": str(SAMPLES)}, workers=2) as (base, _, log):
        for _ in range(requests):
            assert fetch(base + "/feed.atom")[0] == 200
        previous: dict[str, float] = {}
        for _ in range(10):
            text = fetch(base + "/metrics")[2].decode()
            [count] = line.findall(text)
            assert float(count) == requests
            counters = {m.group(1): float(m.group(2)) for m in re.finditer(r"^(\S+_total\S*) (\S+)$", text, re.M)}
            assert all(counters.get(name, 0) >= value for name, value in previous.items())
            previous = counters
        workers = set(re.findall(r"\[(\d+)\] gunicorn.access: .* \"GET /feed.atom", log.read_text()))
    assert len(workers) == 2  # the requests did go to both
