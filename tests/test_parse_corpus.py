"""A generated corpus of 2,000 files with every variation the format allows
parses, through `feedsvc check --json`, to the parse the generator expects."""

from __future__ import annotations

import json
from pathlib import Path

from bench.corpus import generate
from tests.conftest import check_json

ARTICLE_KEYS = ("id", "path", "title", "published", "body", "related_titles", "source", "tags", "read_also")


def test_generated_corpus_parses_as_expected(tmp_path: Path) -> None:
    paths = generate(tmp_path, 2000, seed=11)
    records = check_json(tmp_path)
    assert len(records) == len(paths) == 2000
    mismatched = []
    for record in records:
        expected = json.loads((tmp_path / record["path"]).with_suffix(".expected.json").read_text(encoding="utf-8"))
        got = {key: record.get(key) for key in ARTICLE_KEYS}
        if got != expected:
            mismatched.append((record["path"], [k for k in ARTICLE_KEYS if got[k] != expected[k]]))
    assert mismatched == []
