"""JSON Feed 1.1, with the related articles as the extension `_related`.

Compact: without indentation json uses its C encoder, and a feed is its
head with the items, each serialised once, placed as the last member.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from feedsvc.model import Entry, FeedPage
from feedsvc.render.content import author, entry_html, summary
from feedsvc.render.feeds import ENTRY_CACHE
from feedsvc.urls import Urls

# made once: json.dumps with options builds an encoder on every call
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _dumps(value: object) -> str:
    return _JSON.encode(value)


@lru_cache(maxsize=ENTRY_CACHE)
def json_item(e: Entry, site_title: str, urls: Urls) -> bytes:
    return _dumps({
        "id": urls.entry_id(e.article.id),
        "url": urls.article(e.article.id),
        "title": e.article.title,
        "content_html": entry_html(e, urls),
        "summary": summary(e),
        "date_published": e.article.published.isoformat(),
        "date_modified": e.updated.isoformat(),
        "authors": [{"name": author(e, site_title)}],
        "tags": [t.name for t in e.article.tags],
        "language": "ar",
        # only related articles that have a page: every url here answers 200
        "_related": [{"id": r.id, "title": r.title, "url": urls.article(r.id)} for r in e.related if r.id],
    }).encode()


def json_feed(page: FeedPage, urls: Urls, items: list[bytes]) -> bytes:
    """The feed around items made by json_item (page.entries is not read)."""
    tag_name = page.tag.name if page.tag else None
    feed: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": page.title,
        "home_page_url": urls.tag(tag_name) if tag_name is not None else urls.home(),
        "feed_url": urls.feed(tag_name, "json", page.page),
        "language": "ar",
        "authors": [{"name": page.site_title}],
    }
    if page.page < page.last_page:
        feed["next_url"] = urls.feed(tag_name, "json", page.page + 1)
    if page.hub:
        feed["hubs"] = [{"type": "WebSub", "url": page.hub}]
    head = _dumps(feed).encode()
    return b"".join([head[:-1], b',"items":[', b",".join(items), b"]}"])
