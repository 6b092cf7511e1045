"""The feeds and pages, from outside: Flask's test client, feedparser, the
Atom RELAX NG schema with lxml."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import feedparser
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree

from feedsvc.web import create_app
from tests.conftest import BASE, SHARED, make_settings, scan

ATOM = "{http://www.w3.org/2005/Atom}"
SCHEMA = etree.RelaxNG(etree.parse(str(SHARED / "checks" / "atom.rng")))


def path_of(url: str) -> str:
    assert url.startswith(BASE), url
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def all_tags(client: FlaskClient) -> list[str]:
    opml = etree.fromstring(client.get("/opml").data)
    return [o.get("text") for o in opml.iter("outline")][1:]


def every_feed_url(client: FlaskClient) -> list[str]:
    urls = [f"/feed.{fmt}" for fmt in ("atom", "rss", "json")]
    for tag in all_tags(client):
        urls += [f"/tags/{quote(tag, safe='')}/feed.{fmt}" for fmt in ("atom", "rss", "json")]
    return urls


def test_every_feed_parses_cleanly(client: FlaskClient) -> None:
    """feedparser reads Atom and RSS (6.0 has no JSON Feed reader: those are
    checked as JSON Feed 1.1 documents)."""
    urls = every_feed_url(client)
    assert len(urls) > 30
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        if url.endswith(".json"):
            feed = json.loads(response.data)
            assert feed["version"] == "https://jsonfeed.org/version/1.1" and feed["items"], url
            assert all({"id", "url", "title", "content_html"} <= set(item) for item in feed["items"]), url
            continue
        parsed = feedparser.parse(response.data, response_headers={"content-type": response.content_type})
        assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
        assert parsed.entries, url


def check_atom(data: bytes) -> etree._Element:
    root = etree.fromstring(data)
    SCHEMA.assertValid(root)
    # no prefix for the Atom namespace in an Atom document (strict validators: AvoidNamespacePrefix)
    assert [prefix for prefix, uri in root.nsmap.items() if uri == ATOM[1:-1]] == [None]
    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    assert root.get(xml_lang) == "ar"
    assert root.find(f"{ATOM}author") is not None  # so no entry is ever without one
    for entry in root.iter(f"{ATOM}entry"):
        assert entry.get(xml_lang) == "ar"
        assert entry.find(f"{ATOM}content") is not None
        alternates = [(link.get("type"), link.get("hreflang")) for link in entry.findall(f"{ATOM}link")
                      if link.get("rel", "alternate") == "alternate"]
        assert len(alternates) == len(set(alternates)) == 1
        assert entry.find(f"{ATOM}id").text.isascii()
        for link in entry.findall(f"{ATOM}link"):
            assert link.get("href").isascii()
    return root


def test_every_atom_feed_is_valid(client: FlaskClient) -> None:
    for url in every_feed_url(client):
        if url.endswith(".atom"):
            check_atom(client.get(url).data)


def test_entries_carry_what_the_contract_lists(client: FlaskClient) -> None:
    root = check_atom(client.get(f"/tags/{quote('غزة')}/feed.atom").data)
    [entry] = root.findall(f"{ATOM}entry")
    links = [(link.get("rel"), link.get("type"), path_of(link.get("href"))) for link in entry.findall(f"{ATOM}link")]
    assert links[0] == ("alternate", "text/html", "/articles/000_4af9fadfdc09d4ea")
    assert links[1][0:2] == ("related", "text/html") and links[1][2].startswith("/articles/read-also/")
    children = [c.tag.replace(ATOM, "") for c in entry]
    assert children.index("link") == children.index("title") + 1  # alternate, then related, after the title
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "صحيفة الاتحاد"
    assert [(c.get("term"), c.get("label"), c.get("scheme")) for c in entry.findall(f"{ATOM}category")][:2] == [
        ("فلاديمير بوتين", "فلاديمير بوتين", BASE + "tags/"), ("تصعيد", "تصعيد", BASE + "tags/")]
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html"
    html = etree.fromstring(content.text, etree.HTMLParser())
    [block] = html.xpath("//body/div")
    assert (block.get("dir"), block.get("lang")) == ("rtl", "ar")
    assert len(block.findall("p")) == 6
    assert block.find("aside/h2").text == "اقرأ أيضاً"
    assert entry.find(f"{ATOM}summary").text.startswith("عرض الرئيس الروسي")
    assert entry.find(f"{ATOM}published").text == "2023-10-13T00:00:00+00:00"


def test_rss_items_carry_related_links_and_creators(client: FlaskClient) -> None:
    root = etree.fromstring(client.get(f"/tags/{quote('غزة')}/feed.rss").data)
    assert root.find("channel/language").text == "ar"
    [item] = root.findall("channel/item")
    related = item.findall(f"{ATOM}link")
    assert [link.get("rel") for link in related] == ["related"]
    assert item.find("guid").get("isPermaLink") == "false"
    assert item.find("{http://purl.org/dc/elements/1.1/}creator").text == "صحيفة الاتحاد"
    assert [c.get("domain") for c in item.findall("category")] == [BASE + "tags/"] * 5
    assert path_of(root.find("channel/link").text) == f"/tags/{quote('غزة', safe='')}"


def test_json_feed_has_related(client: FlaskClient) -> None:
    feed = json.loads(client.get(f"/tags/{quote('غزة')}/feed.json").data)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    [item] = feed["items"]
    [related] = item["_related"]
    assert set(related) == {"id", "title", "url"}
    assert client.get(path_of(related["url"])).status_code == 200


def test_every_link_a_feed_returns_answers_200(client: FlaskClient) -> None:
    checked: set[str] = set()
    for url in every_feed_url(client):
        if not url.endswith(".atom"):
            continue
        root = etree.fromstring(client.get(url).data)
        for link in root.iter(f"{ATOM}link"):
            path = path_of(link.get("href"))
            if path not in checked:
                checked.add(path)
                assert client.get(path).status_code == 200, (url, link.get("rel"), path)
    assert len(checked) > 60


def test_paging_walks_a_feed_from_first_to_last(client: FlaskClient) -> None:
    seen: list[str] = []
    url: str | None = "/feed.atom"
    pages = 0
    while url:
        root = check_atom(client.get(url).data)
        links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
        assert path_of(links["first"]) == "/feed.atom"
        seen += [e.find(f"{ATOM}id").text for e in root.findall(f"{ATOM}entry")]
        url = path_of(links["next"]) if "next" in links else None
        pages += 1
        if url is None:
            assert path_of(links["last"]) == path_of(links["self"])
    assert pages == 13  # 61 articles, 5 a page
    assert len(seen) == len(set(seen)) == 61
    assert client.get("/feed-2.atom").data == client.get("/feed.atom?page=2").data
    assert client.get("/feed.atom?page=14").status_code == 404
    assert client.get("/feed-14.atom").status_code == 404
    assert client.get("/feed-1.atom").status_code == 404  # page 1 is /feed.atom
    for bad in ("0", "-1", "x", "1.5", "٢"):
        assert client.get(f"/feed.atom?page={bad}").status_code == 400


def test_newest_first_then_by_id(client: FlaskClient) -> None:
    items = json.loads(client.get("/feed.json").data)["items"]
    keys = [(i["date_published"], i["id"]) for i in items]
    assert [k[0] for k in keys] == sorted((k[0] for k in keys), reverse=True)


def test_conditional_requests(client: FlaskClient) -> None:
    first = client.get("/feed.atom")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('"') and not etag.startswith("W/")
    for value in (etag, f'"nope", {etag}', f"W/{etag}", "*"):
        response = client.get("/feed.atom", headers={"If-None-Match": value})
        assert response.status_code == 304, value
        assert response.data == b""
        assert response.headers["ETag"] == etag
    assert client.get("/feed.atom", headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get("/feed.atom", headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get("/feed.atom", headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200


def test_gzip_cache_control_head_and_types(client: FlaskClient) -> None:
    plain = client.get("/feed.rss")
    zipped = client.get("/feed.rss", headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert "Accept-Encoding" in plain.headers["Vary"]
    assert plain.headers["Cache-Control"] == "public, max-age=60"
    head = client.head("/feed.rss")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == plain.headers["ETag"]
    types = {"atom": "application/atom+xml; charset=utf-8", "rss": "application/rss+xml; charset=utf-8",
             "json": "application/feed+json; charset=utf-8"}
    for fmt, content_type in types.items():
        assert client.get(f"/feed.{fmt}").headers["Content-Type"] == content_type


def test_a_tag_in_another_spelling_redirects(client: FlaskClient) -> None:
    response = client.get(f"/tags/{quote('اسرائيل')}/feed.atom?page=1")
    assert response.status_code == 301
    assert response.headers["Location"] == f"{BASE}tags/{quote('إسرائيل', safe='')}/feed.atom?page=1"
    assert client.get(f"/tags/{quote('غزه')}").status_code == 301


def test_unknown_things_are_404_without_a_trace(client: FlaskClient) -> None:
    unknown = ("/tags/nothing/feed.atom", "/tags/nothing", "/articles/nothing", "/feed.xml", "/articles/../etc/passwd")
    for url in unknown:
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"Traceback" not in response.data and len(response.data) < 300


def test_same_store_state_same_bytes(app: Flask, corpus: Path) -> None:
    other = create_app(make_settings(corpus, corpus.parent / "data"), scan=False)
    for url in [*every_feed_url(app.test_client())[:12], "/", "/opml", "/articles/000_4af9fadfdc09d4ea"]:
        first, again = app.test_client().get(url), app.test_client().get(url)
        elsewhere = other.test_client().get(url)
        assert first.data == again.data == elsewhere.data, url
        assert first.headers["ETag"] == elsewhere.headers["ETag"]


def test_an_edit_changes_only_the_feeds_that_show_it(tmp_path: Path) -> None:
    source = tmp_path / "articles"
    for name, tags in (("a", "الرياض، جدة"), ("b", "الدمام"), ("c", "الرياض")):
        (source / f"{name}.txt").parent.mkdir(parents=True, exist_ok=True)
        (source / f"{name}.txt").write_text(f"عنوان {name}\nتاريخ النشر: 2023-10-1{ord(name) - 96}\nفقرة.\n"
                                            f"كلمات دلالية: {tags}\n", encoding="utf-8")
    settings = make_settings(source, tmp_path / "data")
    scan(settings)
    app = create_app(settings, scan=False)
    urls = ["/feed.atom", *(f"/tags/{quote(t)}/feed.atom" for t in ("الرياض", "جدة", "الدمام"))]
    before = {u: app.test_client().get(u).headers["ETag"] for u in urls}
    (source / "b.txt").write_text("عنوان b\nتاريخ النشر: 2023-10-12\nفقرة معدلة.\nكلمات دلالية: الدمام\n",
                                  encoding="utf-8")
    scan(settings)
    time.sleep(0.15)  # versions are trusted for a tenth of a second
    after = {u: app.test_client().get(u).headers["ETag"] for u in urls}
    assert {u for u in urls if before[u] != after[u]} == {"/feed.atom", f"/tags/{quote('الدمام')}/feed.atom"}


def test_a_remembered_poll_is_answered_as_flask_answers_it(client: FlaskClient) -> None:
    """A feed URL answered once is answered again by the poll fast path;
    with a query string it always goes through Flask: both must agree."""
    tag_feed = f"/tags/{quote('غزة', safe='')}/feed.rss"
    pairs = [("/feed.atom", "/feed.atom?page=1"), (tag_feed, tag_feed + "?page=1"),
             ("/feed-2.json", "/feed.json?page=2")]
    for url, through_flask in pairs:
        first = client.get(url)
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        for headers in ({}, {"Accept-Encoding": "gzip"}, {"Accept-Encoding": "gzip;q=0"}, {"If-None-Match": etag},
                        {"If-None-Match": f'"x", W/{etag}'}, {"If-Modified-Since": modified},
                        {"If-None-Match": '"x"', "If-Modified-Since": modified}):
            fast, slow = client.get(url, headers=headers), client.get(through_flask, headers=headers)
            assert fast.status_code == slow.status_code, (url, headers)
            assert sorted(fast.headers.items()) == sorted(slow.headers.items()), (url, headers)
            assert fast.data == slow.data, (url, headers)
    remembered = client.application.extensions["feedsvc"].polls.known  # paths as WSGI gives them
    assert {unquote(url).encode().decode("latin-1") for url, _ in pairs} <= set(remembered)
    polled = client.get("/metrics").data.decode()
    assert 'feedsvc_http_requests_total{route="/tags/<path:name>/feed.<fmt>",status="304"}' in polled


def test_a_remembered_feed_of_a_removed_tag_is_404(tmp_path: Path) -> None:
    source = tmp_path / "articles"
    source.mkdir()
    (source / "a.txt").write_text("عنوان\nتاريخ النشر: 2023-10-11\nفقرة.\nكلمات دلالية: الرياض\n", encoding="utf-8")
    (source / "b.txt").write_text("عنوان آخر\nتاريخ النشر: 2023-10-12\nفقرة.\nكلمات دلالية: الدمام\n", encoding="utf-8")
    settings = make_settings(source, tmp_path / "data")
    scan(settings)
    client = create_app(settings, scan=False).test_client()
    url = f"/tags/{quote('الدمام', safe='')}/feed.atom"
    assert client.get(url).status_code == 200 and client.get(url).status_code == 200  # the second, remembered
    (source / "b.txt").unlink()
    scan(settings)
    time.sleep(0.15)
    assert client.get(url).status_code == 404


def test_pages_are_rtl_with_autodiscovery(client: FlaskClient) -> None:
    for url in ("/", f"/tags/{quote('غزة')}", "/articles/000_4af9fadfdc09d4ea"):
        html = etree.fromstring(client.get(url).data, etree.HTMLParser())
        assert html.get("lang") == "ar" and html.get("dir") == "rtl"
        types = {link.get("type") for link in html.iter("link") if link.get("rel") == "alternate"}
        assert {"application/atom+xml", "application/rss+xml"} <= types
    article = etree.fromstring(client.get("/articles/000_4af9fadfdc09d4ea").data, etree.HTMLParser())
    assert [a.text for a in article.iter("a") if "/tags/" in a.get("href")][:2] == ["فلاديمير بوتين", "تصعيد"]


def test_opml_lists_every_tag_feed(client: FlaskClient) -> None:
    opml = etree.fromstring(client.get("/opml").data)
    feeds = [o.get("xmlUrl") for o in opml.iter("outline")]
    assert len(feeds) == len(all_tags(client)) + 1
    for url in feeds[:10]:
        assert client.get(path_of(url)).status_code == 200
