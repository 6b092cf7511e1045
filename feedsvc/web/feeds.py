"""The feeds: /feed.<fmt> and /tags/<tag>/feed.<fmt>, with ?page=N."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, request

from feedsvc.model import Tag
from feedsvc.urls import FORMATS
from feedsvc.web import services
from feedsvc.web.http import respond
from feedsvc.web.polls import Known

blueprint = Blueprint("feeds", __name__)


def page_number(in_path: str | None = None) -> int:
    """The page asked for, by feed-N.<fmt> or ?page=N: a positive whole number, else 400."""
    if in_path is None and not request.query_string:
        return 1  # most requests: the first page, nothing to parse
    raw = in_path if in_path is not None else request.args.get("page", "1")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        abort(400, description="the page must be a positive whole number")
    if in_path is not None and int(raw) == 1:
        abort(404, description="page 1 is feed.<format>, without a number")
    return int(raw)


def known_tag(name: str) -> Tag:
    tag = services().publisher.find_tag(name)
    if tag is None:
        abort(404, description="there is no such tag")
    return tag


def serve_feed(tag: Tag | None, fmt: str, in_path: str | None = None) -> Response:
    if fmt not in FORMATS:
        abort(404, description=f"there is no such feed format; there are {', '.join(FORMATS)}")
    number = page_number(in_path)
    found_services = services()
    found = found_services.publisher.feed(tag, fmt, number)
    if found is None:
        abort(404, description="the page is past the last page of this feed")
    if found_services.polls is not None and not request.query_string and request.url_rule is not None:
        found_services.polls.remember(request.environ["PATH_INFO"],
                                      Known(tag.name if tag else None, fmt, number, request.url_rule.rule))
    return respond(found, request, found_services.settings.scan_interval)


@blueprint.get("/feed.<fmt>")
def all_articles(fmt: str) -> Response:
    return serve_feed(None, fmt)


@blueprint.get("/feed-<page>.<fmt>")
def all_articles_page(page: str, fmt: str) -> Response:
    return serve_feed(None, fmt, page)


@blueprint.get("/tags/<path:name>/feed.<fmt>")
def tag_feed(name: str, fmt: str) -> Response:
    tag = known_tag(name)
    if tag.name != name:
        return canonical(services().publisher.urls.feed(tag.name, fmt))
    return serve_feed(tag, fmt)


@blueprint.get("/tags/<path:name>/feed-<page>.<fmt>")
def tag_feed_page(name: str, page: str, fmt: str) -> Response:
    tag = known_tag(name)
    if tag.name != name:
        return canonical(services().publisher.urls.feed(tag.name, fmt, page_number(page)))
    return serve_feed(tag, fmt, page)


@blueprint.before_app_request
def one_slash() -> Response | None:
    """A path with empty segments (//x, /a//b) moves, within this site, to
    the same path with single slashes."""
    if "//" not in request.path:
        return None
    return canonical(services().publisher.urls.of_path(request.path))


def canonical(url: str) -> Response:
    """301 to this URL of the site (the display spelling, single slashes), keeping the query."""
    query = request.query_string.decode("ascii", "replace")
    return redirect(f"{url}?{query}" if query else url, code=301)  # type: ignore[return-value]
