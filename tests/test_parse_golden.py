"""Golden pairs: tests/data/<case>.txt parses to <case>.expected.json.

Every key of the expected object is compared. The files' modification
time is set to 2020-01-01 first, so that cases without a readable date
have a known fallback.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime

import pytest

from tests.conftest import ROOT, SEED, check_json

DATA = ROOT / "tests" / "data"
CASES = sorted(p.stem for p in DATA.glob("*.txt"))
MTIME = datetime(2020, 1, 1, tzinfo=UTC).timestamp()


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    """Every case, each checked on its own (one corpus per file), in one command run."""
    folder = tmp_path_factory.mktemp("golden")
    copies = []
    for case in CASES:
        copy = folder / f"{case}.txt"
        shutil.copyfile(DATA / f"{case}.txt", copy)
        os.utime(copy, (MTIME, MTIME))
        copies.append(copy)
    return {record["id"]: record for record in check_json(*copies)}


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, parsed: dict[str, dict[str, object]]) -> None:
    expected = json.loads((DATA / f"{case}.expected.json").read_text(encoding="utf-8"))
    got = parsed[case]
    assert {key: got.get(key) for key in expected} == expected
    if "error" not in expected:
        assert "error" not in got


def test_reference_article_parses_exactly() -> None:
    expected = json.loads(SEED.with_suffix(".expected.json").read_text(encoding="utf-8"))
    [got] = check_json(SEED)
    assert {key: got[key] for key in expected} == expected
    assert got["path"] == SEED.name
    assert got["warnings"] == []
