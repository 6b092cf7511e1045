"""Model records in, bytes out: no queries, no I/O.

FEEDS maps each feed format to its renderer and content type; `page`
renders the HTML pages and the OPML.
"""

from __future__ import annotations

from collections.abc import Callable

from feedsvc.model import FeedPage
from feedsvc.render.feeds import atom, rss
from feedsvc.render.jsonfeed import json_feed
from feedsvc.render.pages import page
from feedsvc.urls import Urls

FEEDS: dict[str, tuple[Callable[[FeedPage, Urls], bytes], str]] = {
    "atom": (atom, "application/atom+xml; charset=utf-8"),
    "rss": (rss, "application/rss+xml; charset=utf-8"),
    "json": (json_feed, "application/feed+json; charset=utf-8"),
}
HTML = "text/html; charset=utf-8"
OPML = "text/x-opml; charset=utf-8"

__all__ = ["FEEDS", "HTML", "OPML", "page"]
