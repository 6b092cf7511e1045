"""From further outside: hostile source text, a real gunicorn, a real browser."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest
from lxml import etree

from tests.conftest import SHARED, fetch, served
from tests.test_web_feeds import check_atom, make_settings, scan

SCHEMA = etree.RelaxNG(etree.parse(str(SHARED / "checks" / "atom.rng")))
HOSTILE = [
    ("latin", "Breaking: OPEC+ <b>cuts</b> output ]]> again", "Reuters & co", "OPEC، <script>"),
    ("controls", "عنوان\x01 فيه\x1a محارف\x0b تحكم", "مصدر\x08", "وسم\x1f، آخر"),
    ("bidi", "\u202eعنوان معكوس\u202c و\u2066عزل\u2069", "\u200fالمصدر", "\u202bوسم\u202c"),
    ("emoji", "🚀 إطلاق صاروخ 🌙 نحو القمر", "وكالة 🛰️", "فضاء 🚀، قمر"),
]


def hostile_corpus(folder: Path) -> None:
    folder.mkdir(parents=True)
    long_line = "كلمة " * 2000 + "<script>alert('x')</script>]]>"
    for name, title, source, tags in HOSTILE:
        body = f"{long_line}\nفقرة فيها <script>alert(1)</script> و ]]> و &lt;b&gt; و \u202eمعكوس.\n"
        (folder / f"{name}.txt").write_text(
            f"{title}\nتاريخ النشر: 2023-10-13\n{body}المصدر: {source}\nكلمات دلالية: {tags}\n"
            f"إقرأ أيضاً:\nمقال <i>مضمن</i> ]]>\nنصه.\n", encoding="utf-8")


def test_hostile_text_keeps_every_feed_valid_and_pages_escaped(tmp_path: Path) -> None:
    from feedsvc.web import create_app

    hostile_corpus(tmp_path / "articles")
    settings = make_settings(tmp_path / "articles", tmp_path / "data")
    scan(settings)
    client = create_app(settings, scan=False).test_client()
    tags = [o.get("text") for o in etree.fromstring(client.get("/opml").data).iter("outline")][1:]
    assert "<script>" in tags
    for path in ["/feed.atom", "/feed.rss", *(f"/tags/{quote(t, safe='')}/feed.atom" for t in tags)]:
        data = client.get(path).data
        assert feedparser.parse(data).bozo == 0, path
        if path.endswith(".atom"):
            check_atom(data)
    for name, *_ in HOSTILE:
        html = client.get(f"/articles/{name}").data
        tree = etree.fromstring(html, etree.HTMLParser())
        assert tree.xpath("//script") == [], name  # escaped, never markup
        assert b"&lt;script&gt;" in html


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    with served(tmp_path, {}) as server:
        yield server


def test_gunicorn_serves_and_one_worker_scans(gunicorn: tuple[str, subprocess.Popen[str], Path]) -> None:
    base, _, log = gunicorn
    status, headers, body = fetch(base + "/feed.atom")
    assert status == 200 and headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    check_atom(body)
    assert fetch(base + "/feed.atom", {"If-None-Match": headers["ETag"]})[0] == 304
    assert fetch(base + "/tags/%D8%BA%D8%B2%D8%A9/feed.rss")[0] == 200
    assert fetch(base + "/articles/nothing")[0] == 404
    time.sleep(3.5)  # a few scan intervals
    scans = re.findall(r"\[(\d+)\] feedsvc.schedule: scan seen=", log.read_text())
    assert len(scans) >= 3
    assert len(set(scans)) == 1, log.read_text()  # one worker is the scanner


def test_pages_in_a_real_browser(gunicorn: tuple[str, subprocess.Popen[str], Path], tmp_path: Path) -> None:
    from playwright import sync_api as playwright

    chromium = Path("/usr/bin/chromium")
    assert chromium.exists(), "Debian's chromium is missing: `make test` installs it (apt-get, as root)"
    base, _, _ = gunicorn
    artefacts = tmp_path / "screenshots"  # kept with the test's other files, not in the checkout
    artefacts.mkdir()
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        page = browser.new_page()
        for name, path in (("home", "/"), ("tag", "/tags/%D8%BA%D8%B2%D8%A9"),
                           ("article", "/articles/000_4af9fadfdc09d4ea")):
            page.goto(base + path)
            assert page.evaluate("getComputedStyle(document.body).direction") == "rtl", name
            # the style sheet applies: the Content-Security-Policy admits it by its hash
            assert page.evaluate("getComputedStyle(document.body).maxWidth") != "none", name
            page.screenshot(path=str(artefacts / f"{name}.png"), full_page=True)
        page.goto(base + "/articles/000_4af9fadfdc09d4ea")
        page.click("aside a")
        assert page.url.startswith(base + "/articles/read-also/")
        assert "ترامب" in page.inner_text("h1")
        browser.close()
