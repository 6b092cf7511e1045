"""The HTML pages and the OPML."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from feedsvc.web import services
from feedsvc.web.feeds import canonical, known_tag
from feedsvc.web.http import respond

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
def home() -> Response:
    return respond(services().publisher.home(), request, services().settings.scan_interval)


@blueprint.get("/tags/<path:name>")
def tag(name: str) -> Response:
    found = known_tag(name)
    if found.name != name:
        return canonical(services().publisher.urls.tag(found.name))
    rendered = services().publisher.tag_page(found)
    if rendered is None:
        abort(404, description="there is no such tag")
    return respond(rendered, request, services().settings.scan_interval)


@blueprint.get("/articles/<path:article_id>")
def article(article_id: str) -> Response:
    rendered = services().publisher.article_page(article_id)
    if rendered is None:
        abort(404, description="there is no such article")
    return respond(rendered, request, services().settings.scan_interval)


@blueprint.get("/opml")
def opml() -> Response:
    return respond(services().publisher.opml(), request, services().settings.scan_interval)
