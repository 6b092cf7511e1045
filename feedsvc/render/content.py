"""The HTML of an entry's content, shared by every format."""

from __future__ import annotations

from functools import lru_cache
from html import escape

from feedsvc.model import Entry
from feedsvc.urls import Urls

READ_ALSO_HEADING = "اقرأ أيضاً"


@lru_cache(maxsize=1024)  # one feed page's entries, shared by its three formats
def entry_html(entry: Entry, urls: Urls) -> str:
    """Paragraphs as separate <p>, then an <aside> of the related articles
    (linked where they have a page), all inside one right-to-left block."""
    parts = ['<div dir="rtl" lang="ar">']
    parts += [f"<p>{escape(p)}</p>" for p in entry.article.body]
    if entry.related:
        parts.append(f"<aside><h2>{READ_ALSO_HEADING}</h2><ul>")
        for related in entry.related:
            title = escape(related.title)
            if related.id is None:
                parts.append(f"<li>{title}</li>")
            else:
                parts.append(f'<li><a href="{escape(urls.article(related.id))}">{title}</a></li>')
        parts.append("</ul></aside>")
    parts.append("</div>")
    return "".join(parts)


def summary(entry: Entry) -> str:
    """The first paragraph (or the title of an article without a body)."""
    return entry.article.body[0] if entry.article.body else entry.article.title


def author(entry: Entry, site_title: str) -> str:
    """The publisher, or the site for an article that names none."""
    return entry.article.source or site_title
