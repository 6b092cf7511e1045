"""Every format feedsvc serves, judged by its outside judge (tests/judges.py)
over what it serves for a generated corpus of 2,000 articles with the
variations the source format allows (the golden files are judged in
test_golden_output.py)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from lxml import etree

from bench.corpus import generate
from tests import judges
from tests.conftest import run_feedsvc

ARTICLES = 2000
PAGES_JUDGED = 150  # HTML pages: html5lib is pure Python; a sample of them, drawn the same way each run


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("judged")
    generate(work / "articles", ARTICLES, seed=17, with_expected=False)
    env = {"FEEDSVC_SOURCE_DIR": str(work / "articles"), "FEEDSVC_DATA_DIR": str(work / "data"),
           "FEEDSVC_BASE_URL": "https://news.example.org/archive/"}
    for args in (("scan",), ("export", str(work / "site"))):
        result = run_feedsvc(*args, env=env, timeout=300)
        assert result.returncode in (0, 1), result.stderr  # 1: some generated files are rejected on purpose
    return work / "site"


@pytest.mark.parametrize("kind", ["atom", "rss", "json"])
def test_every_feed_page_passes_its_judge(kind: str, site: Path) -> None:
    pages = sorted(site.rglob(f"*.{kind}"))
    assert len(pages) > 100
    for page in pages:
        try:
            judges.by_path(page.name)(page.read_bytes())  # type: ignore[operator]
        except (AssertionError, etree.LxmlError, ValueError) as exc:
            raise AssertionError(f"{page.relative_to(site)}: {exc}") from exc


def test_the_opml_lists_every_tag_feed(site: Path) -> None:
    tags = len([p for p in (site / "tags").iterdir() if (p / "feed.atom").exists()])
    judges.opml((site / "opml").read_bytes(), tags)


def test_html_pages_parse_without_an_error(site: Path) -> None:
    pages = sorted(site.rglob("index.html"))
    for page in [site / "index.html", *random.Random(5).sample(pages, PAGES_JUDGED)]:
        try:
            judges.html(page.read_bytes())
        except Exception as exc:
            raise AssertionError(f"{page.relative_to(site)}: {exc}") from exc
