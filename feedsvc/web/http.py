"""Conditional, compressed, cacheable responses for rendered bytes."""

from __future__ import annotations

from datetime import UTC

from flask import Request, Response

from feedsvc.publish import Rendered


def respond(rendered: Rendered, request: Request, max_age: int) -> Response:
    """200 with the bytes (gzip when accepted), or 304 when the client's
    validators match. If-None-Match (lists, weak forms, *) wins over
    If-Modified-Since, as RFC 9110 says."""
    headers = {
        "ETag": rendered.etag,
        "Last-Modified": rendered.last_modified_header,
        "Cache-Control": f"public, max-age={max_age}",
        "Vary": "Accept-Encoding",
    }
    if request.if_none_match:
        not_modified = request.if_none_match.contains_weak(rendered.etag.strip('"')) or request.if_none_match.star_tag
    else:
        since = request.if_modified_since
        not_modified = since is not None and rendered.last_modified.replace(microsecond=0) <= since.astimezone(UTC)
    if not_modified:
        return Response(status=304, headers=headers)
    if request.accept_encodings["gzip"] > 0:
        response = Response(rendered.gzipped, mimetype=None, headers=headers)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(rendered.body, mimetype=None, headers=headers)
    response.headers["Content-Type"] = rendered.mimetype
    return response

