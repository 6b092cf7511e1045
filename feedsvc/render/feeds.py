"""Atom 1.0 and RSS 2.0 with feedgen, corrected where feedgen 1.0.0 is wrong.

feedgen is asked only for what it gets right. An entry extension receives
each entry's lxml element and repairs the rest:
- entry links lose their `rel` in feedgen (every link comes out as a bare
  <link href>), so the extension writes the alternate and related links;
- entries carry no xml:lang of their own;
- RSS items get no atom:link at all.
Elsewhere: entries are appended (feedgen prepends by default), `updated`
and `lastBuildDate` are always set from the data (feedgen's default is the
time of rendering), content is "html" (feedgen's "xhtml" wraps the given
<div> in a second one), and feedgen's generator element is left out.

Each entry is built and serialised by feedgen once per format and kept
(a bounded cache keyed by the entry itself, so a changed article is a new
key): a feed is its head, rendered by feedgen with no entries, with the
entries' bytes placed before its closing tag. An article shown in ten
feeds is rendered once, and a change re-renders only the entries it changed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.ext.dc import DcEntryExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from feedsvc.model import Entry, FeedPage
from feedsvc.render.content import author, entry_html, summary
from feedsvc.urls import Urls

ATOM = "http://www.w3.org/2005/Atom"
# what feedgen declares on the RSS root (atom and content its own, dc ours)
RSS_NAMESPACES = {"atom": ATOM, "content": "http://purl.org/rss/1.0/modules/content/",
                  "dc": "http://purl.org/dc/elements/1.1/"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ENTRY_CACHE = 2048  # serialised entries kept per format: some forty feed pages


class _Links(BaseExtension):  # type: ignore[misc]
    """Feed level: RSS gets its paging and hub links as atom:link
    (feedgen writes only rel="self" there). Atom needs nothing, and is not
    given the extension: its namespace declaration would put an atom:
    prefix on the Atom root, which strict validators warn about."""

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []

    def extend_rss(self, rss: Any) -> Any:
        channel = rss.find("channel")
        for link in self.links:
            etree.SubElement(channel, f"{{{ATOM}}}link", link)
        return rss

    def extend_ns(self) -> dict[str, str]:
        return {"atom": ATOM}


class _EntryLinks(BaseEntryExtension):  # type: ignore[misc]
    """Entry level: the alternate and related links, and xml:lang."""

    def __init__(self) -> None:
        self.alternate = ""
        self.related: list[dict[str, str]] = []

    def extend_atom(self, entry: Any) -> Any:
        # feedgen builds Atom elements without a namespace (the feed's
        # default namespace applies when serialised), so names are plain here
        entry.set(XML_LANG, "ar")
        for bare in entry.findall("link"):
            entry.remove(bare)
        position = list(entry).index(entry.find("title")) + 1
        links = [{"rel": "alternate", "type": "text/html", "href": self.alternate}, *self.related]
        for offset, attributes in enumerate(links):
            entry.insert(position + offset, etree.Element("link", attributes))
        return entry

    def extend_rss(self, item: Any) -> Any:
        position = list(item).index(item.find("link")) + 1
        for offset, attributes in enumerate(self.related):
            item.insert(position + offset, etree.Element(f"{{{ATOM}}}link", attributes))
        return item


def _feed(page: FeedPage, urls: Urls, fmt: str) -> FeedGenerator:
    tag_name = page.tag.name if page.tag else None
    alternate = urls.tag(tag_name) if tag_name is not None else urls.home()
    fg = FeedGenerator()
    fg.register_extension("feedsvc", _Links, atom=False, rss=True)
    fg.load_extension("dc", atom=False, rss=True)
    fg.id(urls.feed_id(page.scope))
    fg.title(page.title)
    fg.language("ar")
    fg.updated(page.updated)
    fg.lastBuildDate(page.updated)
    fg.author({"name": page.site_title})
    fg.description(page.title)  # RSS requires one
    fg.generator("")  # no generator element (feedgen would name itself)
    paging = {"first": 1, "last": page.last_page}
    if page.page > 1:
        paging["previous"] = page.page - 1
    if page.page < page.last_page:
        paging["next"] = page.page + 1
    self_url = urls.feed(tag_name, fmt, page.page)
    if fmt == "atom":
        fg.link(href=self_url, rel="self", type="application/atom+xml")
        fg.link(href=alternate, rel="alternate", type="text/html")
        for rel, number in paging.items():
            fg.link(href=urls.feed(tag_name, fmt, number), rel=rel, type="application/atom+xml")
        if page.hub:
            fg.link(href=page.hub, rel="hub")
    else:
        fg.link(href=self_url, rel="self", type="application/rss+xml")
        fg.link(href=alternate)  # the RSS <link>, after self: feedgen lets the later one win
        extra = [{"rel": rel, "href": urls.feed(tag_name, fmt, number), "type": "application/rss+xml"}
                 for rel, number in paging.items()]
        if page.hub:
            extra.append({"rel": "hub", "href": page.hub})
        fg.feedsvc.links = extra
    return fg


def _entry(entry: Entry, site_title: str, urls: Urls) -> FeedEntry:
    article = entry.article
    fe = FeedEntry()
    fe.register_extension("feedsvc", _EntryLinks)
    fe.register_extension("dc", DcEntryExtension, atom=False, rss=True)
    fe.id(urls.entry_id(article.id))
    fe.guid(urls.entry_id(article.id), permalink=False)
    fe.title(article.title)
    fe.link(href=urls.article(article.id))  # RSS <link>; Atom's is rewritten by _EntryLinks
    fe.published(article.published)
    fe.updated(entry.updated)
    fe.author({"name": author(entry, site_title)})
    fe.dc.dc_creator(author(entry, site_title))
    for tag in article.tags:
        fe.category(term=tag.name, label=tag.name, scheme=urls.tags_prefix())
    fe.summary(summary(entry))
    fe.content(entry_html(entry, urls), type="html")
    fe.feedsvc.alternate = urls.article(article.id)
    fe.feedsvc.related = [{"rel": "related", "type": "text/html", "href": urls.article(r.id), "title": r.title}
                          for r in entry.related if r.id is not None]
    return fe


@lru_cache(maxsize=ENTRY_CACHE)
def atom_entry(entry: Entry, site_title: str, urls: Urls) -> bytes:
    return _in_context(_entry(entry, site_title, urls).atom_entry(), {})


@lru_cache(maxsize=ENTRY_CACHE)
def rss_item(entry: Entry, site_title: str, urls: Urls) -> bytes:
    return _in_context(_entry(entry, site_title, urls).rss_entry(), RSS_NAMESPACES)


def _in_context(element: Any, namespaces: dict[str, str]) -> bytes:
    """An element serialised as it is inside a feed whose root declares
    `namespaces`: it is placed in a wrapper declaring them (lxml then
    writes their prefixes without declaring them again), and the wrapper's
    own tags are cut off."""
    wrapper = etree.Element("w", nsmap=namespaces)
    wrapper.append(element)
    text = etree.tostring(wrapper, encoding="UTF-8", xml_declaration=False)
    return bytes(text[text.index(b">") + 1:-len(b"</w>")])


def _spliced(head: bytes, closing: bytes, entries: list[bytes]) -> bytes:
    """The feed head with the entries placed before its closing tag."""
    at = head.rindex(closing)
    return b"".join([head[:at], *entries, head[at:]])


def atom_feed(page: FeedPage, urls: Urls, entries: list[bytes]) -> bytes:
    """The feed around entries made by atom_entry (page.entries is not read)."""
    return _spliced(bytes(_feed(page, urls, "atom").atom_str(pretty=False)), b"</feed>", entries)


def rss_feed(page: FeedPage, urls: Urls, items: list[bytes]) -> bytes:
    """The feed around items made by rss_item (page.entries is not read)."""
    return _spliced(bytes(_feed(page, urls, "rss").rss_str(pretty=False)), b"</channel>", items)
