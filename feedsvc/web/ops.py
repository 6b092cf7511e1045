"""Operations: /healthz, /readyz, /status, /metrics, POST /admin/rescan."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request

from feedsvc.errors import StoreError
from feedsvc.web import services
from feedsvc.web.metrics import CONTENT_TYPE, exposition

blueprint = Blueprint("ops", __name__)


@blueprint.get("/healthz")
def healthz() -> Response:
    return Response("ok\n", mimetype="text/plain", headers={"Cache-Control": "no-store"})


@blueprint.get("/readyz")
def readyz() -> Response:
    store = services().store
    try:
        store.ping()
        ready = store.last_report() is not None
    except StoreError:
        ready = False
    text = "ready\n" if ready else "not ready: the store is unreachable or no scan has finished yet\n"
    return Response(text, status=200 if ready else 503, mimetype="text/plain", headers={"Cache-Control": "no-store"})


@blueprint.get("/status")
def status() -> Response:
    store = services().store
    report = store.last_report()
    last: dict[str, Any] | None = None
    if report is not None:
        last = {"start": report.started.isoformat(), "end": report.finished.isoformat(), "seen": report.seen,
                "read": report.read, "parsed": report.parsed, "changed": report.changed,
                "removed": report.removed, "rejected": report.rejected}
    response = jsonify({"last_scan": last,
                        "rejected": [{"path": p, "reason": r} for p, r in store.rejected_files()],
                        "waiting": [{"path": p, "id": i, "until": until.isoformat()}
                                    for p, i, until in store.waiting_files()]})
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/metrics")
def metrics() -> Response:
    return Response(exposition(services().store), content_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


@blueprint.post("/admin/rescan")
def rescan() -> Response:
    token = services().settings.admin_token
    if not token:
        abort(404, description="rescanning over HTTP is off: no admin token is configured")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":  # schemes are case-insensitive (RFC 9110, 11.1)
        abort(Response("401 Unauthorized: send Authorization: Bearer <admin token>\n", status=401,
                       mimetype="text/plain", headers={"WWW-Authenticate": 'Bearer realm="feedsvc"'}))
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        abort(403, description="wrong admin token")
    services().schedule.request_rescan()
    return Response("rescan scheduled\n", status=202, mimetype="text/plain")
