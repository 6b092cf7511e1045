"""Conditional, compressed, cacheable responses for rendered bytes.

This is the path of every poll, so the common cases are decided without
parsing: a reader that sends back exactly the ETag it was given, and the
few Accept-Encoding values that clients send (parsed once each).
"""

from __future__ import annotations

from datetime import UTC
from functools import lru_cache

from flask import Request, Response
from werkzeug.http import parse_accept_header

from feedsvc.publish import Rendered


def respond(rendered: Rendered, request: Request, max_age: int) -> Response:
    """200 with the bytes (gzip when accepted), or 304 when the client's
    validators match. If-None-Match (lists, weak forms, *) wins over
    If-Modified-Since, as RFC 9110 says."""
    headers = [
        ("ETag", rendered.etag),
        ("Last-Modified", rendered.last_modified_header),
        ("Cache-Control", f"public, max-age={max_age}"),
        ("Vary", "Accept-Encoding"),
    ]
    if _not_modified(rendered, request):
        return Response(status=304, headers=headers)
    headers.append(("Content-Type", rendered.mimetype))
    if accepts_gzip(request.headers.get("Accept-Encoding", "")):
        headers.append(("Content-Encoding", "gzip"))
        return Response(rendered.gzipped, headers=headers)
    return Response(rendered.body, headers=headers)


def _not_modified(rendered: Rendered, request: Request) -> bool:
    raw = request.headers.get("If-None-Match")
    if raw == rendered.etag:
        return True
    if raw:
        return request.if_none_match.contains_weak(rendered.etag.strip('"')) or request.if_none_match.star_tag
    since = request.if_modified_since
    return since is not None and rendered.last_modified.replace(microsecond=0) <= since.astimezone(UTC)


@lru_cache(maxsize=256)
def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding value admits gzip (q > 0)."""
    return parse_accept_header(accept_encoding)["gzip"] > 0
