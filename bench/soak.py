"""Soak: the served service under load while its tree keeps changing.

    python bench/soak.py [--minutes 10] [--files 2000] [--workers 2] [--connections 32]

Serves a generated tree of --files articles as `feedsvc serve` does
(gunicorn, its workers and the scanner process; scans every second, the
watch on) and, for --minutes:
- wrk on loopback over a mix of feed URLs (every format of the site feed and
  of the busiest tags, first and second pages), half of the requests with an
  If-None-Match taken at the start (so some 304s, more 200s as feeds change);
- a writer that edits, adds, renames or deletes a file every 100 ms;
- a sampler that fetches every feed of the mix once a second and judges it:
  Atom against the RFC 4287 RELAX NG schema, RSS as XML, JSON as JSON, and
  every one through feedparser (bozo must be 0).
Then it stops the writer, has the service scan once more, and compares the
store with the tree. It prints requests, 5xx, malformed feeds, store-versus-
tree differences, and each process's resident memory at the start (after a
warm-up) and at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import feedparser
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import ROOT, cached_corpus
from bench.serve import fetch, free_port
from feedsvc.parse import article_id, walk
from feedsvc.settings import LEXICON
from feedsvc.store import open_store

SHARED = Path(os.environ.get("FEEDSVC_SHARED", ROOT.parent / "shared"))
TOKEN = "soak"
WRITE_EVERY = 0.1  # seconds between two changes to the tree
TAGS = 8  # busiest tags whose feeds are in the mix
WARM_UP = 5  # seconds of load before the first memory reading

LUA = """
paths, etags, n, fivexx = {}, {}, 0, 0  -- globals: done() reads fivexx of each thread
for line in io.lines(os.getenv("SOAK_URLS")) do
  local path, etag = line:match("^(%S+) (.*)$")
  paths[#paths + 1] = path
  etags[#etags + 1] = etag
end
function request()
  n = n + 1
  local i = n % #paths + 1
  if n % 2 == 0 then
    return wrk.format("GET", paths[i], {["If-None-Match"] = etags[i], ["Accept-Encoding"] = "gzip"})
  end
  return wrk.format("GET", paths[i])
end
function response(status, headers, body)
  if status >= 500 then fivexx = fivexx + 1 end
end
local threads = {}
function setup(thread) threads[#threads + 1] = thread end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("fivexx") end
  io.write(string.format("SOAK requests=%d fivexx=%d timeouts=%d\\n", summary.requests, total, summary.errors.timeout))
end
"""


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def processes(master: int) -> dict[str, int]:
    """The server's processes by role: gunicorn workers and the scanner (a
    child of the master's supervising thread: every thread's children)."""
    found = {}
    tasks = Path(f"/proc/{master}/task").iterdir()
    children = [pid for task in tasks for pid in (task / "children").read_text().split()]
    for child in children:
        command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        found[f"scanner {child}" if "feedsvc scanner" in command else f"worker {child}"] = int(child)
    return found


class Writer(threading.Thread):
    """Edits, adds, renames or deletes one file every WRITE_EVERY seconds."""

    def __init__(self, root: Path, seed: int = 1) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.rng = random.Random(seed)
        self.stopping = threading.Event()
        self.done: dict[str, int] = {"edit": 0, "add": 0, "rename": 0, "delete": 0}
        self.files = sorted(p for p in root.rglob("*.txt"))

    def run(self) -> None:
        while not self.stopping.wait(WRITE_EVERY):
            action = self.rng.choice(list(self.done))
            path = self.rng.choice(self.files)
            if action == "edit":  # a paragraph after the title and date, in the file's own encoding and endings
                data = path.read_bytes()
                encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8"
                try:
                    lines = data.decode(encoding).splitlines(keepends=True)
                except UnicodeDecodeError:  # Windows-1256, or damaged on purpose: left as it is
                    continue
                ending = lines[0][len(lines[0].rstrip("\r\n")):] or "\n"
                lines.insert(2, f"فقرة أضافها اختبار التحمل {time.time_ns()}.{ending}")
                path.write_bytes("".join(lines).encode(encoding))
            elif action == "add":
                new = path.with_name(f"soak-{time.time_ns()}.txt")
                text = f"خبر أضافه اختبار التحمل {time.time_ns()}\nتاريخ النشر: 2015-07-24\nفقرة أولى.\n"
                new.write_text(text + "كلمات دلالية: اختبار، تحمل\n", encoding="utf-8")
                self.files.append(new)
            elif action == "rename":
                new = path.with_name(f"renamed-{time.time_ns()}.txt")
                path.rename(new)
                self.files[self.files.index(path)] = new
            elif len(self.files) > 100:
                path.unlink()
                self.files.remove(path)
            self.done[action] += 1


class Sampler(threading.Thread):
    """Fetches every feed of the mix once a second and judges it."""

    def __init__(self, base: str, paths: list[str]) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.paths = paths
        self.stopping = threading.Event()
        self.sampled = 0
        self.gone = 0  # 404: a tag whose last article the writer deleted
        self.slow = 0  # no answer within fetch's 10 s
        self.malformed: list[str] = []
        self.schema = etree.RelaxNG(etree.parse(str(SHARED / "checks" / "atom.rng")))

    def run(self) -> None:
        while not self.stopping.is_set():
            started = time.monotonic()
            for path in self.paths:
                try:
                    status, _, body = fetch(self.base + path)
                except OSError:
                    self.slow += 1
                    continue
                self.sampled += 1
                self.gone += status == 404
                problem = None if status == 404 else f"status {status}" if status != 200 else self.judge(path, body)
                if problem:
                    self.malformed.append(f"{path}: {problem}")
            self.stopping.wait(max(0.0, 1 - (time.monotonic() - started)))

    def judge(self, path: str, body: bytes) -> str | None:
        """What is wrong with a feed, if anything. (feedparser 6.0 reads no
        JSON Feed: that one is held to the parts of JSON Feed 1.1 every
        reader needs.)"""
        try:
            if path.endswith(".json"):
                feed = json.loads(body)
                if feed["version"] != "https://jsonfeed.org/version/1.1" or not all(
                        item["id"] and ("content_html" in item or "content_text" in item) for item in feed["items"]):
                    return "not JSON Feed 1.1"
                return None
            root = etree.fromstring(body)
            if path.endswith(".atom"):
                self.schema.assertValid(root)
        except (etree.LxmlError, ValueError, KeyError, TypeError) as exc:
            return str(exc)[:200]
        parsed = feedparser.parse(body)
        return f"feedparser: {parsed.get('bozo_exception')}" if parsed.bozo else None


def differences(root: Path, store_url: str) -> list[str]:
    """What the store says of the tree that the tree does not (after a final scan)."""
    store = open_store(store_url)
    index = store.file_index()
    stored = set(store.newest_ids(None, 10**7))
    waiting = {path for path, _, _ in store.waiting_files()}
    store.close()
    tree = {source.path: source for source in walk(root, "*.txt")}
    found = [f"not in the store: {p}" for p in sorted(tree.keys() - index.keys())]
    found += [f"in the store, not in the tree: {p}" for p in sorted(index.keys() - tree.keys())]
    for path in sorted(tree.keys() & index.keys()):
        stamp, source = index[path], tree[path]
        if (stamp.size, stamp.mtime_ns) != (source.size, source.mtime_ns):
            found.append(f"stale in the store: {path}")
        elif stamp.error is None and path not in waiting and article_id(path) not in stored:
            found.append(f"no article for: {path}")
    ids_of_files = {article_id(p) for p in tree}
    found += [f"article without a file: {i}" for i in sorted(stored - ids_of_files) if not i.startswith("read-also/")]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="feedsvc-soak-"))
    root = scratch / "articles"
    shutil.copytree(cached_corpus(args.files, seed=9), root)
    (root / ".complete").unlink(missing_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "FEEDSVC_SOURCE_DIR": str(root), "FEEDSVC_DATA_DIR": str(scratch / "data"),
           "FEEDSVC_SCAN_INTERVAL": "1", "FEEDSVC_BASE_URL": base + "/", "FEEDSVC_ADMIN_TOKEN": TOKEN,
           "FEEDSVC_LEXICON": str(LEXICON)}
    log = open(scratch / "server.log", "w")  # noqa: SIM115 (open for the server's whole life)
    server = subprocess.Popen([sys.executable, "-m", "feedsvc", "serve", "--port", str(port), "--workers",
                               str(args.workers)], env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if fetch(base + "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit(f"the server never became ready; see {scratch / 'server.log'}")
        opml = etree.fromstring(fetch(base + "/opml")[2])
        tags = [o.get("text") for o in opml.iter("outline") if o.get("type") == "rss"][:TAGS]
        paths = [f"/feed.{fmt}" for fmt in ("atom", "rss", "json")] + ["/feed-2.atom"]
        paths += [f"/tags/{quote(t, safe='')}/feed.{fmt}" for t in tags for fmt in ("atom", "rss", "json")]
        urls = scratch / "urls.txt"
        urls.write_text("".join(f"{p} {fetch(base + p)[1].get('ETag', '-')}\n" for p in paths), encoding="utf-8")
        (scratch / "soak.lua").write_text(LUA, encoding="utf-8")
        seconds = int(args.minutes * 60)
        load = subprocess.Popen(["wrk", "-t2", f"-c{args.connections}", f"-d{seconds}s", "-s",
                                 str(scratch / "soak.lua"), base + "/"], env={**os.environ, "SOAK_URLS": str(urls)},
                                stdout=subprocess.PIPE, text=True)
        writer, sampler = Writer(root), Sampler(base, paths)
        writer.start()
        sampler.start()
        time.sleep(WARM_UP)
        at_start = {role: rss_kib(pid) for role, pid in processes(server.pid).items()}
        out = load.communicate()[0]
        at_end = {role: rss_kib(pid) for role, pid in processes(server.pid).items() if role in at_start}
        writer.stopping.set()
        sampler.stopping.set()
        writer.join()
        sampler.join()
        asked = datetime.now(UTC)
        rescan = urllib.request.Request(base + "/admin/rescan", method="POST",
                                        headers={"Authorization": f"Bearer {TOKEN}"})
        urllib.request.urlopen(rescan, timeout=10).read()
        while True:  # until a full scan has finished after the request
            last = json.loads(fetch(base + "/status")[2])["last_scan"]
            if last and datetime.fromisoformat(last["end"]) > asked:
                break
            time.sleep(0.2)
        time.sleep(1.5)  # one more interval, for a watch scan still going
        wrong = differences(root, f"sqlite:///{scratch / 'data' / 'feedsvc.db'}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(60)
        log.close()
    summary = next((line for line in out.splitlines() if line.startswith("SOAK ")), "SOAK (no summary)")
    print(f"soak: {args.minutes:g} min, {args.files} files, {args.workers} workers, wrk -t2 -c{args.connections} "
          f"over {len(paths)} feed URLs (half with If-None-Match)")
    print(f"  load: {summary[5:]}")
    latency = next((line.strip() for line in out.splitlines() if line.strip().startswith("Latency")), "")
    print(f"  wrk: {latency}")
    print(f"  tree changes: {writer.done}")
    print(f"  feeds sampled: {sampler.sampled}, malformed: {len(sampler.malformed)} "
          f"(404, a tag emptied: {sampler.gone}; no answer within 10 s: {sampler.slow})")
    for problem in sampler.malformed[:10]:
        print(f"    {problem}")
    print(f"  store versus tree after a final scan: {len(wrong)} differences")
    for problem in wrong[:10]:
        print(f"    {problem}")
    print("  resident memory (MiB), after a warm-up -> at the end:")
    for role, kib in at_start.items():
        print(f"    {role:16s} {kib / 1024:7.1f} -> {at_end.get(role, 0) / 1024:7.1f}")
    errors = sum(line.count("Traceback") for line in (scratch / "server.log").read_text().splitlines())
    print(f"  tracebacks in the server's log: {errors}; log: {scratch / 'server.log'}")


if __name__ == "__main__":
    main()
