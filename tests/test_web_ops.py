"""Operations endpoints: health, readiness, status, metrics, admin rescan."""

from __future__ import annotations

from pathlib import Path

from feedsvc.web import create_app
from tests.test_web_feeds import make_settings, scan


def write_corpus(source: Path) -> None:
    source.mkdir(parents=True)
    (source / "a.txt").write_text("عنوان\nتاريخ النشر: 2023-10-13\nفقرة.\nكلمات دلالية: الرياض\n", encoding="utf-8")
    (source / "bad.txt").write_bytes(b"")


def test_ready_only_after_a_scan_and_status_names_rejects(tmp_path: Path) -> None:
    write_corpus(tmp_path / "src")
    settings = make_settings(tmp_path / "src", tmp_path / "data")
    client = create_app(settings, scan=False).test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503
    assert client.get("/status").json == {"last_scan": None, "rejected": [], "waiting": []}
    scan(settings)
    assert client.get("/readyz").status_code == 200
    status = client.get("/status").json
    assert status["rejected"] == [{"path": "bad.txt", "reason": "empty file"}]
    assert {k: status["last_scan"][k] for k in ("seen", "parsed", "changed", "removed")} == {
        "seen": 2, "parsed": 2, "changed": 1, "removed": 0}


def test_metrics(tmp_path: Path) -> None:
    write_corpus(tmp_path / "src")
    settings = make_settings(tmp_path / "src", tmp_path / "data")
    scan(settings)
    client = create_app(settings, scan=False).test_client()
    counters = ('feedsvc_http_requests_total{route="/feed.<fmt>",status="200"}',
                'feedsvc_http_requests_total{route="/feed.<fmt>",status="304"}',
                'feedsvc_render_cache_total{outcome="miss"}', 'feedsvc_render_cache_total{outcome="hit"}')
    before = series(client.get("/metrics").get_data(as_text=True))  # this process's counts: other tests' too
    etag = client.get("/feed.atom").headers["ETag"]
    client.get("/feed.atom", headers={"If-None-Match": etag})
    after = series(client.get("/metrics").get_data(as_text=True))
    assert {name: after[name] - before.get(name, 0) for name in counters} == dict.fromkeys(counters, 1)
    gauges = {'feedsvc_source_files{state="rejected"}': 1, 'feedsvc_source_files{state="ok"}': 1,
              "feedsvc_scan_rejected": 1}
    assert {name: after[name] for name in gauges} == gauges


def series(text: str) -> dict[str, float]:
    """Each series of a Prometheus text exposition, and its value."""
    return {name: float(value) for name, value in (line.rsplit(" ", 1) for line in text.splitlines()
                                                   if line and not line.startswith("#"))}


def test_admin_rescan_needs_the_token(tmp_path: Path) -> None:
    write_corpus(tmp_path / "src")
    off = create_app(make_settings(tmp_path / "src", tmp_path / "data"), scan=False).test_client()
    assert off.post("/admin/rescan").status_code == 404
    app = create_app(make_settings(tmp_path / "src", tmp_path / "data2", admin_token="s3cret"))
    try:
        client = app.test_client()
        assert client.post("/admin/rescan").status_code == 401
        assert client.post("/admin/rescan", headers={"Authorization": "Bearer wrong"}).status_code == 403
        assert client.post("/admin/rescan", headers={"Authorization": "Bearer s3cret"}).status_code == 202
        assert client.get("/admin/rescan").status_code == 405
    finally:
        app.extensions["feedsvc"].schedule.shutdown()
