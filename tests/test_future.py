"""An article dated later waits for its date, as Hugo and WordPress do: it
is listed in /status and shown nowhere else until then, when the feeds
showing it change on their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from feedsvc.scan import Scanner
from feedsvc.schedule import ScanSchedule
from feedsvc.store import open_store
from feedsvc.web import create_app
from tests.conftest import make_settings, scan, wait_for


def article(path: Path, title: str, when: datetime) -> None:
    path.write_text(f"{title}\nتاريخ النشر: {when.isoformat(timespec='seconds')}\nفقرة.\n", encoding="utf-8")


def test_a_future_article_waits_and_comes_out_on_its_own_at_its_date(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    article(source / "past.txt", "خبر منشور", datetime(2023, 10, 13, tzinfo=UTC))
    article(source / "soon.txt", "خبر ينتظر موعده", soon)
    article(source / "later.txt", "خبر بعد عام", soon + timedelta(days=365))
    settings = make_settings(source, tmp_path / "data", scan_interval=3600, watch=False)
    store = open_store(settings.store_url)
    schedule = ScanSchedule(Scanner.of(store, settings), settings.scan_interval)
    client = create_app(settings, scan=False).test_client()
    try:
        schedule.start()
        assert schedule.first_scan_done.wait(30)
        walked = store.last_report()
        feed = client.get("/feed.atom").get_data(as_text=True)
        assert "خبر منشور" in feed and "ينتظر" not in feed and "بعد عام" not in feed
        assert client.get("/articles/soon").status_code == 404
        waiting = client.get("/status").json["waiting"]
        assert [(w["path"], w["id"]) for w in waiting] == [("soon.txt", "soon"), ("later.txt", "later")]
        assert waiting[0]["until"] == soon.isoformat()
        etag = client.get("/feed.atom").headers["ETag"]
        assert wait_for(lambda: "ينتظر موعده" in client.get("/feed.atom").get_data(as_text=True), 15)
        assert client.get("/feed.atom", headers={"If-None-Match": etag}).status_code == 200
        assert client.get("/articles/soon").status_code == 200
        assert store.last_report() == walked  # no walk of the tree: the release alone
        assert [w["id"] for w in client.get("/status").json["waiting"]] == ["later"]
        # a published article whose date is moved later is withdrawn until then
        article(source / "past.txt", "خبر منشور", soon + timedelta(days=30))
        scan(settings)
        assert wait_for(lambda: "خبر منشور" not in client.get("/feed.atom").get_data(as_text=True), 5)
        assert client.get("/articles/past").status_code == 404
    finally:
        schedule.shutdown()
        store.close()


def test_a_setting_publishes_future_articles_at_once(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    article(source / "later.txt", "خبر بعد عام", datetime.now(UTC) + timedelta(days=365))
    settings = make_settings(source, tmp_path / "data", publish_future=True)
    store = open_store(settings.store_url)
    Scanner.of(store, settings).scan()
    store.close()
    client = create_app(settings, scan=False).test_client()
    assert "خبر بعد عام" in client.get("/feed.atom").get_data(as_text=True)
    assert client.get("/status").json["waiting"] == []
