"""Every public URL and identifier, built in one place.

Tags appear in paths in their display spelling, percent-encoded UTF-8;
article ids keep their "/" (nested source folders). Entry and feed ids are
`urn:uuid:` URIs derived from the article id or feed scope alone, so they
are ASCII and stay the same on every replica, after restarts, and even if
the base URL moves.
"""

from __future__ import annotations

import uuid
from functools import lru_cache
from urllib.parse import quote

FORMATS = ("atom", "rss", "json")
_NAMESPACE = uuid.UUID("5b4b4f5e-6f3c-4c1e-9a7e-2f0e8d7c1a10")  # feedsvc's own, fixed forever


class Urls:
    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/") + "/"

    def home(self) -> str:
        return self.base

    def tags_prefix(self) -> str:
        """The scheme of tag categories: the prefix of tag pages."""
        return self.base + "tags/"

    def tag(self, name: str) -> str:
        return self.tags_prefix() + _quoted(name, "")

    def feed(self, tag_name: str | None, fmt: str, page: int = 1) -> str:
        """A feed of all articles (tag_name None) or of one tag.

        Older pages are `feed-N.<fmt>`, a path of their own: any static web
        server can serve an export of them, and caches that ignore query
        strings keep pages apart. The server answers `?page=N` as well.
        """
        name = f"feed.{fmt}" if page == 1 else f"feed-{page}.{fmt}"
        return (self.tag(tag_name) + "/" if tag_name is not None else self.base) + name

    def article(self, article_id: str) -> str:
        return self.base + "articles/" + _quoted(article_id, "/")

    def of_path(self, path: str) -> str:
        """This site's URL of a path as a request names it (decoded), its
        empty segments dropped: whatever the path, the URL stays on the site."""
        segments = [segment for segment in path.split("/") if segment]
        return self.base + _quoted("/".join(segments) + ("/" if path.endswith("/") and segments else ""), "/")

    def opml(self) -> str:
        return self.base + "opml"

    @staticmethod
    def entry_id(article_id: str) -> str:
        return uuid.uuid5(_NAMESPACE, "article:" + article_id).urn

    @staticmethod
    def feed_id(scope: str) -> str:
        return uuid.uuid5(_NAMESPACE, "feed:" + scope).urn


@lru_cache(maxsize=1 << 16)  # every page and feed links the same tags and articles again and again
def _quoted(text: str, safe: str) -> str:
    return quote(text, safe=safe)
