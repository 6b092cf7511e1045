"""HTTP as RFC 9110 and a hostile client see it: validators per coding,
redirects that stay on the site, security headers, errors that echo nothing,
and links that work whatever a file name holds."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote

import feedparser
from flask.testing import FlaskClient

from feedsvc.web import create_app
from tests.conftest import BASE, make_settings, scan, wait_for
from tests.test_web_feeds import path_of

ODD_NAMES = ["سطر\nجديد", "نسبة%25", "سؤال?", "وسم#", "تحكم\x01", "مسافة  مزدوجة", "خط\\مائل"]


def test_each_coding_has_its_own_strong_etag(client: FlaskClient) -> None:
    plain = client.get("/feed.atom")
    zipped = client.get("/feed.atom", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert plain.headers["ETag"] != zipped.headers["ETag"]
    assert not plain.headers["ETag"].startswith("W/") and not zipped.headers["ETag"].startswith("W/")
    for coding in ("identity", "gzip"):
        for etag in (plain.headers["ETag"], zipped.headers["ETag"]):
            again = client.get("/feed.atom", headers={"Accept-Encoding": coding, "If-None-Match": etag})
            assert again.status_code == 304, (coding, etag)
            assert again.headers["ETag"] == (zipped if coding == "gzip" else plain).headers["ETag"]


def test_redirects_are_built_from_the_base_url_never_the_host(client: FlaskClient) -> None:
    evil = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    for path, where in [("//articles//000_4af9fadfdc09d4ea", "articles/000_4af9fadfdc09d4ea"),
                        ("/tags//%D8%BA%D8%B2%D8%A9", "tags/%D8%BA%D8%B2%D8%A9"),
                        ("/tags/%D8%BA%D8%B2%D9%87", "tags/%D8%BA%D8%B2%D8%A9")]:  # another spelling
        raw = unquote(path).encode().decode("latin-1")  # PATH_INFO as a WSGI server gives it
        answer = client.get("/", environ_overrides={"PATH_INFO": raw}, headers=evil)
        assert answer.status_code == 301, path
        assert answer.headers["Location"] == BASE + where, path
    served = client.get("/", environ_overrides={"PATH_INFO": "//feed.atom"}, headers=evil)
    assert served.status_code == 200 and b"evil" not in served.data


def test_security_headers_on_pages_and_feeds(client: FlaskClient) -> None:
    for path in ("/", "/tags/%D8%BA%D8%B2%D8%A9", "/articles/000_4af9fadfdc09d4ea", "/articles/missing"):
        policy = client.get(path).headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy, path
        assert "unsafe-inline" not in policy and "script-src" not in policy, path
    for path in ("/", "/feed.atom", "/feed.json", "/opml", "/status", "/nothing-here"):
        headers = client.get(path).headers
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path


def test_errors_do_not_echo_the_request(client: FlaskClient) -> None:
    for path in ("/articles/<b>echo-me</b>", "/tags/echo-me/feed.atom", "/feed.atom?page=echo-me", "/feed.echo-me",
                 "/feed-99999.atom"):
        answer = client.get(path)
        assert answer.status_code in (400, 404), path
        assert b"echo-me" not in answer.data and b"99999" not in answer.data, path
        assert answer.mimetype == "text/plain"


def test_405_says_allow_and_bearer_is_any_case(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    app = create_app(make_settings(tmp_path / "src", tmp_path / "data", admin_token="s3cret"), scan=False)
    client = app.test_client()
    refused = client.post("/feed.atom")
    assert refused.status_code == 405 and set(refused.headers["Allow"].split(", ")) >= {"GET", "HEAD"}
    assert set(client.get("/admin/rescan").headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    unauthorised = client.post("/admin/rescan")
    assert unauthorised.status_code == 401 and unauthorised.headers["WWW-Authenticate"].startswith("Bearer")
    for scheme in ("Bearer", "bearer", "BEARER"):
        assert client.post("/admin/rescan", headers={"Authorization": f"{scheme} s3cret"}).status_code == 202


def test_every_listed_article_links_to_its_page_whatever_its_file_name(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for n, name in enumerate(ODD_NAMES):
        (source / f"{name}.txt").write_text(f"عنوان رقم {n}\nتاريخ النشر: 2023-10-1{n}\nفقرة.\n", encoding="utf-8")
    settings = make_settings(source, tmp_path / "data", page_size=50)
    scan(settings)
    client = create_app(settings, scan=False).test_client()
    entries = feedparser.parse(client.get("/feed.atom").data).entries
    assert len(entries) == len(ODD_NAMES)
    for entry in entries:
        page = client.get(path_of(entry.link))
        assert page.status_code == 200, entry.link
        assert entry.title.encode() in page.data


def test_last_modified_moves_with_every_change_and_never_runs_ahead(tmp_path: Path) -> None:
    """A reader that sends only If-Modified-Since sees an older article
    added, one deleted and one edited; a future-dated article does not put
    Last-Modified in the future. (HTTP dates count whole seconds: each step
    waits for the next second first.)"""
    source = tmp_path / "src"
    source.mkdir()
    for n in range(3):
        (source / f"a{n}.txt").write_text(f"عنوان {n}\nتاريخ النشر: 2023-10-1{n}\nفقرة.\n", encoding="utf-8")
    settings = make_settings(source, tmp_path / "data", page_size=50)
    scan(settings)
    client = create_app(settings, scan=False).test_client()

    def next_second() -> None:
        start = int(time.time())
        assert wait_for(lambda: int(time.time()) > start, 2)

    seen = client.get("/feed.atom").headers["Last-Modified"]
    changes = [lambda: (source / "old.txt").write_text("قديم\nتاريخ النشر: 2001-01-01\nفقرة.\n", encoding="utf-8"),
               lambda: (source / "a1.txt").unlink(),
               lambda: (source / "a0.txt").write_text("عنوان 0\nتاريخ النشر: 2023-10-10\nفقرة معدلة.\n",
                                                      encoding="utf-8")]
    for change in changes:
        next_second()
        change()
        scan(settings)
        answer = client.get("/feed.atom", headers={"If-Modified-Since": seen})
        assert answer.status_code == 200
        assert parsedate_to_datetime(answer.headers["Last-Modified"]) > parsedate_to_datetime(seen)
        assert parsedate_to_datetime(answer.headers["Last-Modified"]) <= datetime.now(UTC)
        seen = answer.headers["Last-Modified"]
    scan(settings)  # nothing changed
    assert client.get("/feed.atom", headers={"If-Modified-Since": seen}).status_code == 304


def test_urls_of_things_that_are_not_there_are_not_remembered(client: FlaskClient) -> None:
    publisher = client.application.extensions["feedsvc"].publisher
    client.get("/feed.atom")
    before = (len(publisher._cache), len(publisher._tags))
    for n in range(500):
        assert client.get(f"/articles/missing-{n}").status_code == 404
        assert client.get(f"/tags/missing-{n}/feed.atom").status_code == 404
        assert client.get(f"/feed-{1000 + n}.atom").status_code == 404
    assert (len(publisher._cache), len(publisher._tags)) == before
