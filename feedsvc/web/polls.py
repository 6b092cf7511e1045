"""The poll fast path: a feed URL that Flask has answered before is answered
again straight from the publisher's cache.

Thousands of readers poll the same few hundred feed URLs; most polls end in
a 304 or in bytes already rendered. Flask's request machinery (context,
routing, response object) costs more than everything else such a poll
needs, so this WSGI middleware, wrapped around the app's `wsgi_app`,
answers a plain GET of a remembered URL itself: the tag is looked up again
(a removed or renamed tag falls through to Flask, which answers 404 or
301), the feed comes from `Publisher.feed` (cached per store version), and
`http.reply` decides the response exactly as the Flask view does. Anything
else, or any doubt, goes to Flask.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from werkzeug.http import HTTP_STATUS_CODES

from feedsvc.errors import StoreError
from feedsvc.web.http import reply
from feedsvc.web.metrics import REQUESTS

if TYPE_CHECKING:
    from feedsvc.web import Services

REMEMBERED = 65536  # feed URLs; past that the memory starts again


class Known(NamedTuple):
    """What a remembered feed URL showed: the view's arguments and route."""

    tag_name: str | None
    fmt: str
    number: int
    rule: str


class FastPolls:
    def __init__(self, app: Any, services: Services) -> None:
        self.app = app
        self.services = services
        self.known: dict[str, Known] = {}

    def remember(self, path_info: str, known: Known) -> None:
        """Called by the feed view after it answered `path_info` (as WSGI
        gives it) without a query string."""
        if len(self.known) >= REMEMBERED:
            self.known.clear()
        self.known[path_info] = known

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        known = self.known.get(environ.get("PATH_INFO", ""))
        if known is None or environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        try:
            answer = self._answer(known, environ)
        except StoreError:
            answer = None  # Flask answers, with its own error handling
        if answer is None:
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        status, headers, body = answer
        if status == 200:
            headers.append(("Content-Length", str(len(body))))
        REQUESTS.labels(known.rule, status).inc()
        start_response(f"{status} {HTTP_STATUS_CODES[status]}", headers)
        return [body]

    def _answer(self, known: Known, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes] | None:
        publisher = self.services.publisher
        tag = None
        if known.tag_name is not None:
            tag = publisher.find_tag(known.tag_name)
            if tag is None or tag.name != known.tag_name:
                return None
        rendered = publisher.feed(tag, known.fmt, known.number)
        if rendered is None:
            return None
        return reply(rendered, environ.get("HTTP_IF_NONE_MATCH"), environ.get("HTTP_IF_MODIFIED_SINCE"),
                     environ.get("HTTP_ACCEPT_ENCODING", ""), self.services.settings.scan_interval)
