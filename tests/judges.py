"""Outside judges, one per format feedsvc serves, each from its format's own
text rather than from feedsvc's code: each raises AssertionError (or the
validator's own error) naming what is wrong.

- Atom: the RFC 4287 RELAX NG schema, plus the rules the RFC states outside
  the grammar, plus no prefix for the Atom namespace.
- RSS 2.0: written from the RSS 2.0 specification and the RSS Advisory
  Board's best-practices profile.
- JSON Feed 1.1: the JSON Schema in tests/jsonfeed-1.1.schema.json, written
  from jsonfeed.org's version 1.1 text, checked with jsonschema.
- OPML 2.0: from the OPML 2.0 specification.
- HTML: html5lib, strict (the WHATWG parsing algorithm: no parse error).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import html5lib
import jsonschema
from lxml import etree

from tests.conftest import ROOT, SHARED

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_ATOM_SCHEMA = etree.RelaxNG(etree.parse(str(SHARED / "checks" / "atom.rng")))
_JSON_SCHEMA = json.loads((ROOT / "tests" / "jsonfeed-1.1.schema.json").read_text(encoding="utf-8"))
_JSON_VALIDATOR = jsonschema.Draft202012Validator(_JSON_SCHEMA)
# RFC 822 as RSS 2.0 and OPML 2.0 use it; the RSS profile asks for a four-digit year
RFC822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
                    r"\d{2}:\d{2}:\d{2} ([+-]\d{4}|GMT|UT|EST|EDT|CST|CDT|MST|MDT|PST|PDT)$")
RSS_CHANNEL = {"title", "link", "description", "language", "copyright", "managingEditor", "webMaster", "pubDate",
               "lastBuildDate", "category", "generator", "docs", "cloud", "ttl", "image", "rating", "textInput",
               "skipHours", "skipDays", "item"}
RSS_ITEM = {"title", "link", "description", "author", "category", "comments", "enclosure", "guid", "pubDate",
            "source"}


def atom(data: bytes) -> None:
    root = etree.fromstring(data)
    _ATOM_SCHEMA.assertValid(root)
    assert [prefix for prefix, uri in root.nsmap.items() if uri == ATOM] == [None], "prefix for the Atom namespace"
    feed_author = root.find(f"{{{ATOM}}}author") is not None
    for entry in root.iter(f"{{{ATOM}}}entry"):
        links = entry.findall(f"{{{ATOM}}}link")
        assert feed_author or entry.find(f"{{{ATOM}}}author") is not None, "an entry without an author"
        assert entry.find(f"{{{ATOM}}}content") is not None or any(
            link.get("rel", "alternate") == "alternate" for link in links), "an entry without content or alternate"
        alternates = [(link.get("type"), link.get("hreflang")) for link in links
                      if link.get("rel", "alternate") == "alternate"]
        assert len(alternates) == len(set(alternates)), "two alternate links of one type and language"
        for link in links:
            assert link.get("href").isascii(), "a link that is not ASCII (IRI, not URI)"
        assert entry.findtext(f"{{{ATOM}}}id").isascii(), "an id that is not ASCII"


def rss(data: bytes) -> None:
    root = etree.fromstring(data)
    assert root.tag == "rss" and root.get("version") == "2.0", "not RSS 2.0"
    declared = set(root.nsmap.values())
    [channel] = root.findall("channel")
    for element in root.iter(etree.Element):
        namespace = etree.QName(element).namespace
        assert namespace is None or namespace in declared, f"{element.tag}: its namespace is not declared on <rss>"
    for name in ("title", "link", "description"):
        assert (channel.findtext(name) or "").strip(), f"the channel has no {name}"
    _known(channel, RSS_CHANNEL, "channel")
    assert channel.findtext("language") == "ar"
    for name in ("pubDate", "lastBuildDate"):
        if channel.find(name) is not None:
            assert RFC822.match(channel.findtext(name)), f"channel {name} is not an RFC 822 date"
    selves = [link for link in channel.findall(f"{{{ATOM}}}link") if link.get("rel") == "self"]
    assert len(selves) == 1 and selves[0].get("type") == "application/rss+xml", "the channel's atom:link rel=self"
    for item in channel.findall("item"):
        _known(item, RSS_ITEM, "item")
        assert item.find("title") is not None or item.find("description") is not None, "an item with neither"
        guid = item.find("guid")
        assert guid is not None and guid.get("isPermaLink") == "false", "a guid that is not isPermaLink=false"
        assert RFC822.match(item.findtext("pubDate") or ""), "an item's pubDate is not an RFC 822 date"
        for category in item.findall("category"):
            assert category.get("domain"), "a category without its domain"
        assert (item.findtext("link") or "").isascii(), "an item link that is not ASCII"


def _known(element: etree._Element, names: set[str], where: str) -> None:
    for child in element:
        if etree.QName(child).namespace is None:
            assert child.tag in names, f"<{child.tag}> is no element of an RSS 2.0 {where}"


def json_feed(data: bytes) -> None:
    feed = json.loads(data)
    errors = sorted(_JSON_VALIDATOR.iter_errors(feed), key=lambda e: list(e.path))
    assert not errors, "; ".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:3])


def opml(data: bytes, tags: int | None = None) -> None:
    """`tags`: how many tag feeds it must list (beside the site's)."""
    root = etree.fromstring(data)
    assert root.tag == "opml" and root.get("version") == "2.0", "not OPML 2.0"
    head = root.find("head")
    assert head is not None and (head.findtext("title") or "").strip(), "no head title"
    for name in ("dateCreated", "dateModified"):
        assert RFC822.match(head.findtext(name) or ""), f"head {name} is not an RFC 822 date"
    outlines = root.find("body").findall("outline")
    for outline in outlines:
        assert outline.get("text") and outline.get("type") == "rss" and outline.get("xmlUrl"), "a bad outline"
        assert outline.get("xmlUrl").isascii()
    if tags is not None:
        assert len(outlines) == tags + 1, "not one outline per tag feed"


def html(data: bytes) -> None:
    html5lib.HTMLParser(strict=True).parse(data)


def by_path(relative: str) -> object:
    """The judge of an exported file, by its path."""
    if relative.endswith(".atom"):
        return atom
    if relative.endswith(".rss"):
        return rss
    if relative.endswith(".json"):
        return json_feed
    if relative == "opml":
        return opml
    assert relative.endswith("index.html"), relative
    return html


def judge_file(root: Path, relative: str) -> None:
    by_path(relative)((root / relative).read_bytes())  # type: ignore[operator]
