"""Conditional, compressed, cacheable responses for rendered bytes.

`reply` decides a response from the raw request headers alone, so that the
Flask views and the poll fast path (`web.polls`) answer alike. The common
cases are decided without parsing: a reader that sends back exactly the
ETag it was given, and the few Accept-Encoding values that clients send
(parsed once each).
"""

from __future__ import annotations

from datetime import UTC
from functools import lru_cache
from typing import NamedTuple

from flask import Request, Response
from werkzeug.http import parse_accept_header, parse_date, parse_etags

from feedsvc.publish import PAGE_POLICY, Rendered

# Sent with every response: no content sniffing, no full URL in a Referer to
# other sites, and a Content-Security-Policy: the pages' own (their style
# sheet, nothing else), or, for feeds and plain text, nothing at all.
_SAFE = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "strict-origin-when-cross-origin")]
_NOTHING = "default-src 'none'; frame-ancestors 'none'"


@lru_cache(maxsize=32)
def security_headers(mimetype: str) -> tuple[tuple[str, str], ...]:
    policy = PAGE_POLICY if mimetype.startswith("text/html") else _NOTHING
    return (*_SAFE, ("Content-Security-Policy", policy))


class Reply(NamedTuple):
    status: int  # 200 or 304
    headers: list[tuple[str, str]]
    body: bytes


def reply(rendered: Rendered, if_none_match: str | None, if_modified_since: str | None, accept_encoding: str,
          max_age: int) -> Reply:
    """200 with the bytes (gzip when accepted), or 304 when the client's
    validators match. Each coding has its own strong ETag (RFC 9110, 8.8.3:
    a cache must not hand one for the other); If-None-Match with either
    matches. If-None-Match (lists, weak forms, *) wins over
    If-Modified-Since, as RFC 9110 says."""
    gzipped = accepts_gzip(accept_encoding)
    headers = [("ETag", rendered.etag_gzip if gzipped else rendered.etag),
               ("Cache-Control", f"public, max-age={max_age}"), ("Vary", "Accept-Encoding"),
               *security_headers(rendered.mimetype)]
    if _not_modified(rendered, if_none_match, if_modified_since):
        return Reply(304, headers, b"")  # with an ETag, a 304 needs no Last-Modified (RFC 9110, 15.4.5)
    headers += [("Last-Modified", rendered.last_modified_header), ("Content-Type", rendered.mimetype)]
    if gzipped:
        headers.append(("Content-Encoding", "gzip"))
        return Reply(200, headers, rendered.gzipped)
    return Reply(200, headers, rendered.body)


def respond(rendered: Rendered, request: Request, max_age: int) -> Response:
    """`reply` as a Flask response."""
    found = reply(rendered, request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since"),
                  request.headers.get("Accept-Encoding", ""), max_age)
    if found.status == 304:
        return Response(status=304, headers=found.headers)
    return Response(found.body, headers=found.headers)


def _not_modified(rendered: Rendered, if_none_match: str | None, if_modified_since: str | None) -> bool:
    if if_none_match == rendered.etag or if_none_match == rendered.etag_gzip:
        return True
    if if_none_match:
        etags = parse_etags(if_none_match)
        return (etags.star_tag or etags.contains_weak(rendered.etag.strip('"'))
                or etags.contains_weak(rendered.etag_gzip.strip('"')))
    since = parse_date(if_modified_since) if if_modified_since else None
    return since is not None and rendered.last_modified.replace(microsecond=0) <= since.astimezone(UTC)


@lru_cache(maxsize=256)
def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding value admits gzip (q > 0)."""
    return parse_accept_header(accept_encoding)["gzip"] > 0
