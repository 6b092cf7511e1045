"""JSON Feed 1.1, with the related articles as the extension `_related`."""

from __future__ import annotations

import json
from typing import Any

from feedsvc.model import FeedPage
from feedsvc.render.content import author, entry_html, summary
from feedsvc.urls import Urls


def json_feed(page: FeedPage, urls: Urls) -> bytes:
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
    feed["items"] = [{
        "id": urls.entry_id(e.article.id),
        "url": urls.article(e.article.id),
        "title": e.article.title,
        "content_html": entry_html(e, urls),
        "summary": summary(e),
        "date_published": e.article.published.isoformat(),
        "date_modified": e.updated.isoformat(),
        "authors": [{"name": author(e, page.site_title)}],
        "tags": [t.name for t in e.article.tags],
        "language": "ar",
        # only related articles that have a page: every url here answers 200
        "_related": [{"id": r.id, "title": r.title, "url": urls.article(r.id)} for r in e.related if r.id],
    } for e in page.entries]
    return json.dumps(feed, ensure_ascii=False, indent=1).encode()
