"""Baseline apps for bench/serve.py, served by gunicorn exactly as feedsvc is."""

from __future__ import annotations

from flask import Flask, Response, abort

from feedsvc.publish import Publisher
from feedsvc.render import forget_entries
from feedsvc.settings import load_settings
from feedsvc.store import open_store


def constant() -> Flask:
    """The framework's own ceiling: a route that returns a 2-byte body."""
    app = Flask(__name__)
    app.add_url_rule("/", "constant", lambda: Response(b"ok", mimetype="text/plain"))
    return app


def regenerate() -> Flask:
    """The same tag feed, rendered with feedgen on every request (no cache,
    not even of its entries)."""
    settings = load_settings()
    publisher = Publisher(open_store(settings.store_url), settings)
    tag = publisher.tags()[0][0]
    app = Flask(__name__)

    def feed() -> Response:
        forget_entries()
        rendered = publisher.render_feed(tag, "atom", 1)
        if rendered is None:
            abort(404)
        return Response(rendered.body, mimetype=rendered.mimetype)

    app.add_url_rule("/", "feed", feed)
    return app
