"""HTML pages and OPML from Jinja2 templates (autoescaped, strict)."""

from __future__ import annotations

import base64
import hashlib
from email.utils import format_datetime
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from feedsvc.render.content import READ_ALSO_HEADING
from feedsvc.urls import FORMATS, Urls

_env = Environment(
    loader=PackageLoader("feedsvc.render", "templates"),
    autoescape=select_autoescape(["html", "xml"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["rfc822"] = format_datetime  # OPML's dates, as RSS writes them
# The pages' one style sheet, inline; the Content-Security-Policy admits it by
# its hash and nothing else: no script, no frame, no other origin.
STYLE = (resources.files("feedsvc.render") / "templates" / "site.css").read_text(encoding="utf-8")
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
PAGE_POLICY = (f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; base-uri 'none'; form-action 'none'; "
               "frame-ancestors 'none'")
MIMETYPES = {"atom": "application/atom+xml", "rss": "application/rss+xml", "json": "application/feed+json"}


def page(template: str, urls: Urls, site_title: str, **context: Any) -> bytes:
    """Render one page; every template gets the URL builder and site title."""
    return _env.get_template(template).render(
        urls=urls, site_title=site_title, formats=FORMATS, mimetypes=MIMETYPES, style=Markup(STYLE),
        read_also_heading=READ_ALSO_HEADING, **context).encode()
