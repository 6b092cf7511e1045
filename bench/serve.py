"""Serving a tag feed: feedsvc against the framework, nginx and no cache.

    python bench/serve.py [--articles 100000] [--small 1000] [--seconds 10] [--runs 3]

Builds (once, cached under /tmp) a store of --articles generated articles
and one of --small, then loads each case with wrk on 127.0.0.1 (median
requests/s of --runs runs of --seconds each), all under gunicorn with the
worker class and count `feedsvc serve` uses:
  feedsvc: the most used tag's 50-entry Atom feed, plain 200, gzip 200, 304;
  baselines: a Flask route returning a constant 2-byte body; nginx serving
  the same feed bytes as a static file (plain and gzip_static); the same
  feed rendered with feedgen on every request.
Also the time to render that feed once, and the small store against the
large one.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import ROOT, cached_corpus
from feedsvc.model import Tag
from feedsvc.parse import ParseRules
from feedsvc.publish import Publisher, Rendered
from feedsvc.render import forget_entries
from feedsvc.scan import Scanner
from feedsvc.settings import LEXICON, Settings
from feedsvc.store import open_store

WORKERS = 2  # what `feedsvc serve` starts by default
WORKER_CLASS = "gevent"  # feedsvc.server's (not imported here: it reads the settings as it is imported)
WRK = ["wrk", "-t2", "-c32"]


def store_of(count: int) -> Settings:
    """Settings for a scanned store of `count` articles, built once."""
    source = cached_corpus(count, seed=5)
    data = Path(f"/tmp/feedsvc-bench-store-{count}")
    settings = Settings(source_dir=source, data_dir=data, lexicon=LEXICON,
                        base_url="http://127.0.0.1/", scan_interval=86400)
    if not (data / ".complete").exists():
        shutil.rmtree(data, ignore_errors=True)
        store = open_store(settings.store_url)
        Scanner(store, source, "*.txt", ParseRules.of(settings)).scan()
        store.close()
        (data / ".complete").touch()
    return settings


def env_of(settings: Settings) -> dict[str, str]:
    return {**os.environ, "FEEDSVC_SOURCE_DIR": str(settings.source_dir), "FEEDSVC_DATA_DIR": str(settings.data_dir),
            "FEEDSVC_SCAN_INTERVAL": "86400", "FEEDSVC_LOG_FORMAT": "plain", "FEEDSVC_WATCH": "false"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """A real HTTP request: status, headers and body, errors included."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


class Server:
    def __init__(self, command: list[str], env: dict[str, str], probe: str) -> None:
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until_up(probe)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(30)


def gunicorn(app: str, port: int, env: dict[str, str]) -> Server:
    """A baseline app, under gunicorn as feedsvc's workers run."""
    command = [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--worker-class", WORKER_CLASS,
               "--bind", f"127.0.0.1:{port}", app]
    return Server(command, env, f"http://127.0.0.1:{port}/")


def feedsvc_server(port: int, env: dict[str, str]) -> Server:
    """feedsvc as `feedsvc serve` starts it."""
    command = [sys.executable, "-m", "gunicorn", "--config", "python:feedsvc.server", "--workers", str(WORKERS),
               "--bind", f"127.0.0.1:{port}"]
    return Server(command, env, f"http://127.0.0.1:{port}/readyz")


def wrk(url: str, seconds: int, runs: int, headers: tuple[str, ...] = ()) -> float:
    rates = []
    for _ in range(runs):
        args = [*WRK, f"-d{seconds}s"] + [a for h in headers for a in ("-H", h)] + [url]
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
        match = re.search(r"Requests/sec:\s+([\d.]+)", out)
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if match is None or non_2xx is not None:
            raise SystemExit(f"wrk failed on {url}:\n{out}")
        rates.append(float(match.group(1)))
    return statistics.median(rates)


def nginx(root: Path, port: int) -> Server:
    conf = root / "nginx.conf"
    conf.write_text(f"""
worker_processes {WORKERS};
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  types {{ application/atom+xml atom; }}
  server {{
    listen 127.0.0.1:{port};
    root {root}/www;
    gzip_static on;
  }}
}}
""")
    return Server(["nginx", "-c", str(conf), "-g", "daemon off;"], dict(os.environ), f"http://127.0.0.1:{port}/feed.atom")


def feedsvc_rates(settings: Settings, path: str, cases: tuple[str, ...], seconds: int, runs: int
                  ) -> dict[str, float]:
    """feedsvc under gunicorn, loaded on one feed: "plain", "gzip" and "304"
    in requests/s; "size", the plain body's bytes."""
    port = free_port()
    server = feedsvc_server(port, env_of(settings))
    url = f"http://127.0.0.1:{port}{path}"
    with urllib.request.urlopen(url) as response:
        etag, size = response.headers["ETag"], len(response.read())
    headers = {"plain": (), "gzip": ("Accept-Encoding: gzip",), "304": (f"If-None-Match: {etag}",)}
    rates = {case: float(size) if case == "size" else wrk(url, seconds, runs, headers[case]) for case in cases}
    server.stop()
    return rates


def render_times(publisher: Publisher, tag: Tag) -> tuple[float, float]:
    """Median seconds to render the tag's first Atom page: (entries cached, nothing cached)."""
    warm, cold = [], []
    for _ in range(20):
        forget_entries()
        start = time.perf_counter()
        publisher.render_feed(tag, "atom", 1)
        cold.append(time.perf_counter() - start)
        start = time.perf_counter()
        publisher.render_feed(tag, "atom", 1)
        warm.append(time.perf_counter() - start)
    return statistics.median(warm), statistics.median(cold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    big, small = store_of(args.articles), store_of(args.small)

    publisher = Publisher(open_store(big.store_url), big)
    tag, count = publisher.tags()[0]
    path = urlsplit(publisher.urls.feed(tag.name, "atom")).path
    renders, cold_renders = render_times(publisher, tag)
    output = publisher.render_feed(tag, "atom", 1)
    assert output is not None
    rendered = Rendered.of(output, publisher.store.versions(["all"])["all"].changed)
    small_publisher = Publisher(open_store(small.store_url), small)
    small_tag = small_publisher.tags()[0][0]
    small_path = urlsplit(small_publisher.urls.feed(small_tag.name, "atom")).path
    small_renders, small_cold_renders = render_times(small_publisher, small_tag)

    results: dict[str, float] = {}
    port = free_port()
    server = gunicorn("bench.apps:constant()", port, env_of(big))
    results["constant"] = wrk(f"http://127.0.0.1:{port}/", args.seconds, args.runs)
    server.stop()

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        root.chmod(0o755)  # nginx workers run unprivileged
        (root / "www").mkdir()
        (root / "www" / "feed.atom").write_bytes(rendered.body)
        (root / "www" / "feed.atom.gz").write_bytes(rendered.gzipped)
        port = free_port()
        server = nginx(root, port)
        results["nginx"] = wrk(f"http://127.0.0.1:{port}/feed.atom", args.seconds, args.runs)
        results["nginx_gzip"] = wrk(f"http://127.0.0.1:{port}/feed.atom", args.seconds, args.runs,
                                    ("Accept-Encoding: gzip",))
        server.stop()

    port = free_port()
    server = gunicorn("bench.apps:regenerate()", port, env_of(big))
    results["regenerate"] = wrk(f"http://127.0.0.1:{port}/", args.seconds, args.runs)
    server.stop()

    for name, rate in feedsvc_rates(big, path, ("plain", "gzip", "304"), args.seconds, args.runs).items():
        results[name] = rate
    for name, rate in feedsvc_rates(small, small_path, ("plain", "304", "size"), args.seconds, args.runs).items():
        results[f"{name}_small"] = rate
    small_size = int(results["size_small"])

    c, n, r = results["constant"], results["nginx"], results["regenerate"]
    print(f"stores: {args.articles} and {args.small} articles; feed: tag with {count} articles, "
          f"{len(rendered.body)} bytes ({len(rendered.gzipped)} gzipped), 50 entries")
    print(f"render one feed, from nothing: {cold_renders * 1000:.1f} ms ({args.articles} store), "
          f"{small_cold_renders * 1000:.1f} ms ({args.small} store); with its entries rendered before (what a "
          f"change to one of them costs): {renders * 1000:.1f} ms, {small_renders * 1000:.1f} ms")
    print(f"requests/s, median of {args.runs} x {args.seconds} s, wrk -t2 -c32, gunicorn {WORKERS} {WORKER_CLASS} "
          "workers:")
    print(f"  baseline flask constant 2-byte body {c:9.0f}")
    print(f"  baseline nginx static plain         {n:9.0f}")
    print(f"  baseline nginx gzip_static          {results['nginx_gzip']:9.0f}")
    print(f"  baseline regenerate per request     {r:9.0f}")
    for name, label in (("plain", "feedsvc 200 plain"), ("gzip", "feedsvc 200 gzip"), ("304", "feedsvc 304")):
        v = results[name]
        print(f"  {label:34s}{v:9.0f}   {v / c:5.2f}x constant (goal >= 0.8)  {v / n:5.2f}x nginx  "
              f"{v / r:6.1f}x regenerate (goal >= 10)")
    print(f"  feedsvc 200 plain, {args.small} store   {results['plain_small']:9.0f}   (its feed: {small_size} bytes)")
    print(f"  feedsvc 304, {args.small} store         {results['304_small']:9.0f}   "
          f"{results['304'] / results['304_small']:5.2f}x ({args.articles} store / {args.small} store; goal ~1)")
    print(f"goal: plain 200s >= 0.3x nginx: {results['plain'] / n:.2f}x")


if __name__ == "__main__":
    main()
