"""HTML pages and OPML from Jinja2 templates (autoescaped, strict)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from feedsvc.render.content import READ_ALSO_HEADING
from feedsvc.urls import FORMATS, Urls

_env = Environment(
    loader=PackageLoader("feedsvc.render", "templates"),
    autoescape=select_autoescape(["html", "xml"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
MIMETYPES = {"atom": "application/atom+xml", "rss": "application/rss+xml", "json": "application/feed+json"}


def page(template: str, urls: Urls, site_title: str, **context: Any) -> bytes:
    """Render one page; every template gets the URL builder and site title."""
    return _env.get_template(template).render(
        urls=urls, site_title=site_title, formats=FORMATS, mimetypes=MIMETYPES,
        read_also_heading=READ_ALSO_HEADING, **context).encode()
