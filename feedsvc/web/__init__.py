"""The Flask app: `create_app(settings=None)` builds a fresh one.

Each app owns its store connection, publisher and scan schedule. Under
gunicorn the factory runs in every worker after the fork, so each worker
has its own schedule, and the store's scanner lock lets exactly one scan.
"""

from __future__ import annotations

import atexit
import logging
from dataclasses import dataclass

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import PathConverter

from feedsvc import logs
from feedsvc.errors import StoreError
from feedsvc.publish import Publisher
from feedsvc.scan import Scanner
from feedsvc.schedule import ScanSchedule
from feedsvc.settings import Settings, load_settings
from feedsvc.store import Store, open_store
from feedsvc.web.http import security_headers
from feedsvc.web.metrics import REQUESTS, counted_lookup
from feedsvc.web.polls import FastPolls

log = logging.getLogger("feedsvc.web")
RETRY_AFTER = 5  # seconds a client is asked to wait while the store cannot be reached


@dataclass
class Services:
    settings: Settings
    store: Store
    publisher: Publisher
    schedule: ScanSchedule
    polls: FastPolls | None = None  # set by create_app; the feed views tell it what they answered


def services() -> Services:
    found: Services = current_app.extensions["feedsvc"]
    return found


def create_app(settings: Settings | None = None, *, scan: bool = True) -> Flask:
    """The app; `scan=False` leaves the schedule stopped (tests scan by hand)."""
    settings = (settings or load_settings()).or_samples()
    logs.configure(settings.log_format)
    store = open_store(settings.store_url)
    scanner = Scanner.of(store, settings)
    schedule = ScanSchedule(scanner, settings.scan_interval, settings.watch)
    app = Flask(__name__)
    # Werkzeug would answer //a//b with a redirect built from the request's
    # Host header (an open redirect, and poisoned caches): feeds.one_slash
    # does it from base_url instead
    app.url_map.merge_slashes = False
    app.url_map.converters["path"] = _AnyPath
    found = app.extensions["feedsvc"] = Services(settings, store, Publisher(store, settings, counted_lookup), schedule)
    found.polls = FastPolls(app.wsgi_app, found)
    app.wsgi_app = found.polls  # type: ignore[method-assign]

    from feedsvc.web import feeds, ops, pages

    app.register_blueprint(feeds.blueprint)
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(ops.blueprint)
    app.after_request(_count)
    app.after_request(_secure)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(StoreError, _store_error)
    app.register_error_handler(Exception, _internal_error)
    if scan:
        schedule.start()
        atexit.register(schedule.shutdown)
    return app


def _count(response: Response) -> Response:
    REQUESTS.labels(request.url_rule.rule if request.url_rule else "unmatched", response.status_code).inc()
    return response


class _AnyPath(PathConverter):
    """Werkzeug's <path:…>, newlines included: an article's id is its file's
    path, and a file name may hold one."""

    regex = "[^/][\\s\\S]*?"


def _secure(response: Response) -> Response:
    for name, value in security_headers(response.mimetype or ""):
        response.headers.setdefault(name, value)
    return response


def _plain(text: str, status: int) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")


def _http_error(error: HTTPException) -> Response:
    """The error in a line of its own words (never the request's), with the
    headers it calls for (Allow on a 405, WWW-Authenticate on a 401)."""
    response = _plain(f"{error.code} {error.name}: {error.description}", error.code or 500)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _store_error(error: StoreError) -> Response:
    log.error("store unavailable: %s", error)
    response = _plain("503 Service Unavailable: the store cannot be reached; try again shortly", 503)
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def _internal_error(error: Exception) -> Response:
    log.exception("unexpected error on %s", request.path)
    return _plain("500 Internal Server Error: something went wrong on our side", 500)
