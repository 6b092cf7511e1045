"""Golden output: every file `feedsvc export` writes for the bundled samples
(every feed page in every format, the OPML, the HTML pages), byte for byte.

`make golden` writes tests/output/ anew, on purpose; its diff is reviewed in
the commit that changes it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from feedsvc.settings import SAMPLES
from tests import judges
from tests.conftest import ROOT, run_feedsvc

OUTPUT = ROOT / "tests" / "output"
BASE = "http://127.0.0.1:8000/"  # the default base URL: what `make run` serves these at


def listed(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("golden")
    env = {"FEEDSVC_SOURCE_DIR": str(SAMPLES), "FEEDSVC_DATA_DIR": str(work / "data"), "FEEDSVC_BASE_URL": BASE}
    for args in (("scan",), ("export", str(work / "site"))):
        result = run_feedsvc(*args, env=env)
        assert result.returncode == 0, result.stderr
    return work / "site"


def test_the_same_files(exported: Path) -> None:
    assert listed(exported) == listed(OUTPUT)


@pytest.mark.parametrize("relative", listed(OUTPUT))
def test_the_same_bytes(relative: str, exported: Path) -> None:
    assert (exported / relative).read_bytes() == (OUTPUT / relative).read_bytes(), relative


@pytest.mark.parametrize("relative", listed(OUTPUT))
def test_every_golden_file_passes_its_judge(relative: str) -> None:
    judges.judge_file(OUTPUT, relative)
