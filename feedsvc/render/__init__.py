"""Model records in, bytes out: no queries, no I/O.

FEEDS maps each feed format to its two halves: one entry as bytes (cached
per entry, so an article shown in many feeds is rendered once) and the feed
around such entries; `feed` joins them. `page` renders the HTML pages and
the OPML.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from feedsvc.model import Entry, FeedPage
from feedsvc.render.content import entry_html
from feedsvc.render.feeds import atom_entry, atom_feed, rss_feed, rss_item
from feedsvc.render.jsonfeed import json_feed, json_item
from feedsvc.render.pages import PAGE_POLICY, page
from feedsvc.urls import Urls


class FeedFormat(NamedTuple):
    entry: Callable[[Entry, str, Urls], bytes]  # (entry, site title, urls)
    around: Callable[[FeedPage, Urls, list[bytes]], bytes]  # the feed around entries made by `entry`
    mimetype: str


FEEDS: dict[str, FeedFormat] = {
    "atom": FeedFormat(atom_entry, atom_feed, "application/atom+xml; charset=utf-8"),
    "rss": FeedFormat(rss_item, rss_feed, "application/rss+xml; charset=utf-8"),
    "json": FeedFormat(json_item, json_feed, "application/feed+json; charset=utf-8"),
}
HTML = "text/html; charset=utf-8"
OPML = "text/x-opml; charset=utf-8"


def forget_entries() -> None:
    """Empty the per-entry caches (what a render from nothing costs)."""
    for found in FEEDS.values():
        found.entry.cache_clear()  # type: ignore[attr-defined]
    entry_html.cache_clear()


def feed(fmt: str, feed_page: FeedPage, urls: Urls) -> bytes:
    """One page of a feed in one format."""
    found = FEEDS[fmt]
    return found.around(feed_page, urls, [found.entry(e, feed_page.site_title, urls) for e in feed_page.entries])


__all__ = ["FEEDS", "HTML", "OPML", "PAGE_POLICY", "FeedFormat", "feed", "forget_entries", "page"]
