"""The `feedsvc` command: check, scan, serve, export."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from feedsvc import logs
from feedsvc.errors import FeedsvcError
from feedsvc.model import Article, Rejected
from feedsvc.parse import ParseRules, SourceFile, parse_files, walk
from feedsvc.scan import Scanner, exit_with_parent
from feedsvc.settings import SAMPLES, Settings, load_settings
from feedsvc.store import open_store


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
        logs.configure(settings.log_format)
        result: int = args.run(args, settings)
        return result
    except FeedsvcError as exc:
        print(f"feedsvc: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="feedsvc", description=__doc__)
    parser.add_argument("--config", type=Path, help="settings file (TOML); default: built-in defaults")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    check = commands.add_parser("check", help="parse files and print what was read; touches no store")
    check.add_argument("--json", action="store_true", help="one JSON object per file, one per line")
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or directories")
    check.set_defaults(run=_check)
    scan = commands.add_parser("scan", help="bring the store up to date with the source directory, once")
    scan.set_defaults(run=_scan)
    serve = commands.add_parser("serve", help="serve the feeds and pages, scanning on a schedule")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    serve.add_argument("--dev", action="store_true", help="Flask's development server instead of gunicorn")
    serve.set_defaults(run=_serve)
    scanner = commands.add_parser("scanner", help="scan on the schedule (and watch the tree) until stopped: "
                                                  "what `serve` runs beside its web workers")
    scanner.set_defaults(run=_scanner)
    export = commands.add_parser("export", help="write every feed and page as static files")
    export.add_argument("directory", type=Path, metavar="DIR")
    export.set_defaults(run=_export)
    return parser


def _check(args: argparse.Namespace, settings: Settings) -> int:
    results = parse_files(_sources(args.paths, settings.file_pattern), ParseRules.of(settings))
    for result in results:
        print(json.dumps(check_record(result), ensure_ascii=False) if args.json else _check_line(result))
    rejected = sum(isinstance(r, Rejected) for r in results)
    if not args.json:
        warned = sum(isinstance(r, Article) and bool(r.warnings) for r in results)
        print(f"{len(results)} files: {len(results) - rejected} parsed ({warned} with warnings), {rejected} rejected")
    return 1 if rejected else 0


def _scan(args: argparse.Namespace, settings: Settings) -> int:
    """One scan; the report is the last line. Exit 1 when files are rejected."""
    settings.sources()  # asked before the store is made: with no source, no store either
    store = open_store(settings.store_url)
    try:
        scanner = Scanner.of(store, settings)
        with store.scanner_lock() as held:
            if not held:
                print("skipped: another process is scanning this store")
                return 0
            progress = logs.Progress()
            report = scanner.scan(progress)
            progress.close()
        for path, reason in store.rejected_files():
            print(f"REJECTED {path}: {reason}")
        print(report.line())
        return 1 if report.rejected else 0
    finally:
        store.close()


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    """gunicorn as `feedsvc.server` sets it up: web workers, and the scanner
    in a process of its own. `--dev`: Flask's server, scanning in-process."""
    if args.dev:
        from feedsvc.web import create_app

        create_app(settings).run(host=args.host, port=args.port)
        return 0
    if args.config is not None:
        os.environ["FEEDSVC_CONFIG"] = str(args.config.resolve())
    if settings.source_dir is None:  # the master, the workers and the scanner read it from here
        logging.getLogger("feedsvc.cli").info("no source_dir is set: serving the sample articles in %s", SAMPLES)
        os.environ["FEEDSVC_SOURCE_DIR"] = str(SAMPLES)
    command = [sys.executable, "-m", "gunicorn", "--config", "python:feedsvc.server", "--workers", str(args.workers),
               "--bind", f"{args.host}:{args.port}"]
    os.execv(sys.executable, command)
    return 0  # not reached


def _scanner(args: argparse.Namespace, settings: Settings) -> int:
    """The schedule (and the watch) until SIGTERM or SIGINT, or until the
    process that started this one is gone. Several may run over one store:
    the store's lock elects the one that scans."""
    from feedsvc.schedule import ScanSchedule

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    exit_with_parent(os.getppid())
    store = open_store(settings.store_url)
    schedule = ScanSchedule(Scanner.of(store, settings.or_samples()), settings.scan_interval, settings.watch)
    schedule.start()
    try:
        while not stop.wait(1):
            pass
    finally:
        schedule.shutdown()
        store.close()
    return 0


def _export(args: argparse.Namespace, settings: Settings) -> int:
    """Every feed (every page, every format), page and the OPML, as files
    that any static web server can serve under the base URL: the same bytes
    the server sends. An HTML page at /x is written as x/index.html, a feed
    at /x/feed.atom as x/feed.atom."""
    from feedsvc.publish import Publisher

    settings.sources()  # an export is of a source directory's store: one must be named
    store = open_store(settings.store_url)
    try:
        publisher = Publisher(store, settings)
        base_path = urlsplit(publisher.urls.base).path
        written = 0
        folders: set[Path] = set()  # made already (a tag's feed pages share one)
        progress = logs.Progress()
        for url, rendered in publisher.everything():
            relative = unquote(urlsplit(url).path)[len(base_path):]
            target = args.directory / relative
            if rendered.mimetype.startswith("text/html"):
                target = target / "index.html"  # static servers answer /x with x/index.html
            if target.parent not in folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                folders.add(target.parent)
            target.write_bytes(rendered.body)
            written += 1
            progress("exported", written)
        progress.close()
        print(f"exported {written} files to {args.directory}")
        return 0
    finally:
        store.close()


def _sources(paths: list[Path], pattern: str) -> Iterator[SourceFile]:
    """Files given directly are named relative to their own folder, files
    found in a directory relative to that directory."""
    for path in paths:
        if path.is_dir():
            yield from sorted(walk(path, pattern), key=lambda source: source.path)
        else:
            stat = os.stat(path) if path.exists() else None
            yield SourceFile(path.name, str(path), stat.st_size if stat else 0, stat.st_mtime_ns if stat else 0)


def check_record(result: Article | Rejected) -> dict[str, Any]:
    """The JSON object `feedsvc check --json` prints for one file."""
    if isinstance(result, Rejected):
        return {"id": result.id, "path": result.path, "warnings": [], "error": result.reason}
    return {
        "id": result.id,
        "path": result.path,
        "title": result.title,
        "published": result.published.isoformat(),
        "body": list(result.body),
        "related_titles": list(result.related_titles),
        "source": result.source,
        "tags": [tag.name for tag in result.tags],
        "read_also": [{"title": r.title, "body": list(r.body)} for r in result.read_also],
        "warnings": list(result.warnings),
    }


def _check_line(result: Article | Rejected) -> str:
    if isinstance(result, Rejected):
        return f"REJECTED {result.path}: {result.reason}"
    if result.warnings:
        return f"WARN     {result.path}: {'; '.join(result.warnings)}"
    return f"OK       {result.path}"
