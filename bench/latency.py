"""Edit to served: how soon an edited article reaches its tag's feed.

    python bench/latency.py [--articles 100000] [--edits 5]

Copies the cached 100,000-article store and its source tree (bench/serve.py
builds them) to a scratch folder and serves them with gunicorn as `feedsvc
serve` does. Each trial edits the file of the newest article of a tag and
polls that tag's Atom feed over HTTP with its old ETag until it answers 200
with a new one (goal: under 0.5 s), two ways:

- walk: the server's watch is off; a Scanner in this process (as the
  scheduler keeps one in the worker holding the scanner lock) runs a full
  scan, and the time counts from the start of that scan;
- watch: the server's own watch (inotify) hears the edit and scans it; the
  time counts from the edit itself, with no scan asked for.

Baseline in the same run: a bare os.walk + stat of the tree, the least any
scan that walks to notice an edit must do.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scan import bare_walk
from bench.serve import env_of, feedsvc_server, free_port, store_of
from feedsvc.model import Tag, utc_now
from feedsvc.parse import ParseRules
from feedsvc.scan import Scanner
from feedsvc.settings import Settings
from feedsvc.store import Store, open_store


def etag_of(url: str, known: str) -> str:
    """The feed's ETag now (the known one while it is unchanged)."""
    request = urllib.request.Request(url, headers={"If-None-Match": known})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            return str(response.headers["ETag"])
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return known
        raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--edits", type=int, default=5)
    args = parser.parse_args()
    cached = store_of(args.articles)
    with tempfile.TemporaryDirectory() as scratch:
        source, data = Path(scratch) / "articles", Path(scratch) / "data"
        shutil.copytree(cached.source_dir, source, symlinks=True)
        shutil.copytree(cached.data_dir, data)
        settings = dataclasses.replace(cached, source_dir=source, data_dir=data)
        store = open_store(settings.store_url)
        scanner = Scanner(store, source, "*.txt", ParseRules.of(settings))
        scanner.scan()  # loads the file index, as the scheduler's first scan does
        tags = [tag for tag, count in store.tags()[:args.edits]]
        results = {}
        for way, watch in (("walk", "false"), ("watch", "true")):
            print(f"{way}:", flush=True)
            scans = scanner if way == "walk" else None
            with served(settings, store, watch) as port:
                results[way] = [edit_and_wait(store, source, port, tag, f"{way} {n}", scans)
                                for n, tag in enumerate(tags)]
        store.close()
        walk = statistics.median(min(timed_walk(source) for _ in range(3)) for _ in range(3))
    print(f"store: {args.articles} articles; bare walk+stat {walk:.3f} s")
    for way, latencies in results.items():
        latency = statistics.median(latencies)
        print(f"edit to served, {way:5} (median of {len(latencies)}): {latency:.3f} s"
              f" = {latency / walk:.2f}x the bare walk (goal: under 0.5 s)")


@contextmanager
def served(settings: Settings, store: Store, watch: str) -> Iterator[int]:
    """gunicorn on a free port, once its own first scan is done (trials race nothing)."""
    port = free_port()
    started = utc_now()
    server = feedsvc_server(port, {**env_of(settings), "FEEDSVC_WATCH": watch})
    try:
        while (report := store.last_report()) is None or report.started < started:
            time.sleep(0.2)
        time.sleep(0.5)  # the watch starts with the scanner's first scan
        yield port
    finally:
        server.stop()


def edit_and_wait(store: Store, source: Path, port: int, tag: Tag, mark: str, scanner: Scanner | None) -> float:
    """Seconds from the edit (or from the scan after it) to the tag's feed served new."""
    url = f"http://127.0.0.1:{port}/tags/{quote(tag.name, safe='')}/feed.atom"
    before = etag_of(url, "")
    newest = store.entries(store.newest_ids(tag.key, 1))[0].article
    path = source / newest.path
    data = path.read_bytes() + f"\nفقرة أضيفت للقياس: {mark}.\n".encode()
    start = time.perf_counter()
    path.write_bytes(data)
    if scanner is not None:
        start = time.perf_counter()
        scanner.scan()
    while etag_of(url, before) == before:
        if time.perf_counter() - start > 30:
            raise SystemExit(f"{url} did not change within 30 s")
        time.sleep(0.005)
    latency = time.perf_counter() - start
    print(f"  {tag.name}: served new after {latency:.3f} s", flush=True)
    return latency


def timed_walk(root: Path) -> float:
    start = time.perf_counter()
    bare_walk(root)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
