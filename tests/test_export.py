"""`feedsvc export DIR`: served by a plain static web server, every link
works and every feed is byte-identical to what the service sends."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from lxml import etree

from bench.corpus import generate
from feedsvc.settings import SAMPLES
from feedsvc.web import create_app
from tests.conftest import fetch, free_port, run_on_terminal
from tests.test_web_feeds import ATOM, make_settings, scan


def test_an_export_served_statically_matches_the_service(tmp_path: Path) -> None:
    source = tmp_path / "articles"
    generate(source, 30, seed=31, with_expected=False)
    (source / "ref.txt").write_bytes((SAMPLES / "000_4af9fadfdc09d4ea.txt").read_bytes())
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = dataclasses.replace(make_settings(source, tmp_path / "data"), base_url=base + "/")
    scan(settings)
    out = tmp_path / "site"
    status, _, shown = run_on_terminal("export", str(out), env={
        "FEEDSVC_SOURCE_DIR": str(source), "FEEDSVC_DATA_DIR": str(tmp_path / "data"),
        "FEEDSVC_BASE_URL": base + "/", "FEEDSVC_PAGE_SIZE": "5"})
    assert status == 0, shown
    assert "\r\x1b[Kexported " in shown  # the terminal saw it count
    feeds = sorted(p for p in out.rglob("*") if p.suffix in (".atom", ".rss", ".json"))
    assert len(feeds) > 40 and (out / "feed-7.atom").exists()
    service = create_app(settings, scan=False).test_client()
    static = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                fetch(base + "/")
                break
            except OSError:
                time.sleep(0.1)
        for feed in feeds:
            path = quote("/" + str(feed.relative_to(out)))
            status, _, body = fetch(base + path)
            assert status == 200, path
            assert body == service.get(path).data, path
        checked: set[str] = set()
        for feed in (f for f in feeds if f.suffix == ".atom"):
            for link in etree.fromstring(feed.read_bytes()).iter(f"{ATOM}link"):
                href = link.get("href")
                if href.startswith(base) and href not in checked:
                    checked.add(href)
                    assert fetch(href)[0] == 200, href
        assert len(checked) > 50
    finally:
        static.terminate()
        static.wait(10)
