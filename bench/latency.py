"""Edit to served: how soon an edited article reaches its tag's feed.

    python bench/latency.py [--articles 100000] [--edits 5]

Copies the cached 100,000-article store and its source tree (bench/serve.py
builds them) to a scratch folder, serves them with gunicorn as `feedsvc
serve` does, and keeps a Scanner in this process, as the scheduler keeps
one in the worker that holds the scanner lock. Each trial edits the file of
the newest article of a tag, then times from the start of a scan until
that tag's Atom feed, polled over HTTP with its old ETag, answers 200 with
a new one (goal: under 0.5 s). Baseline in the same run: a bare os.walk +
stat of the tree, the least any scan that notices an edit must do.
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
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scan import bare_walk
from bench.serve import env_of, free_port, gunicorn, store_of
from feedsvc.model import utc_now
from feedsvc.parse import ParseRules
from feedsvc.scan import Scanner
from feedsvc.store import open_store


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
        report_before = scanner.scan()  # loads the file index, as the scheduler's first scan does
        port = free_port()
        started = utc_now()
        server = gunicorn("feedsvc.web:create_app()", port, env_of(settings), "/healthz")
        try:
            while (store.last_report() or report_before).started < started:
                time.sleep(0.2)  # the server's own first scan: trials race nothing
            latencies, walks = [], []
            tags = [tag for tag, count in store.tags()[:args.edits]]
            for number, tag in enumerate(tags):
                url = f"http://127.0.0.1:{port}/tags/{quote(tag.name, safe='')}/feed.atom"
                before = etag_of(url, "")
                newest = store.entries(store.newest_ids(tag.key, 1))[0].article
                path = source / newest.path
                path.write_bytes(path.read_bytes() + f"\nفقرة أضيفت للقياس رقم {number}.\n".encode())
                start = time.perf_counter()
                report = scanner.scan()
                scanned = time.perf_counter() - start
                while etag_of(url, before) == before:
                    if time.perf_counter() - start > 30:
                        raise SystemExit(f"{url} did not change within 30 s")
                    time.sleep(0.005)
                latencies.append(time.perf_counter() - start)
                walks.append(min(timed_walk(source) for _ in range(3)))
                print(f"  {tag.name}: changed={report.changed}, scan {scanned:.3f} s, "
                      f"served new after {latencies[-1]:.3f} s", flush=True)
        finally:
            server.stop()
            store.close()
    latency, walk = statistics.median(latencies), statistics.median(walks)
    print(f"store: {args.articles} articles; bare walk+stat {walk:.3f} s")
    print(f"edit to served (median of {len(latencies)}): {latency:.3f} s = {latency / walk:.2f}x the bare walk "
          "(goal: under 0.5 s)")


def timed_walk(root: Path) -> float:
    start = time.perf_counter()
    bare_walk(root)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
