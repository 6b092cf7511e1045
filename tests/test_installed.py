"""feedsvc as a stranger gets it: a wheel built from the checkout, installed
into a new venv in a folder of its own, run from a third folder."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEED, fetch, free_port, wait_ready


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bin folder of a venv holding only the wheel. Its dependencies come
    from this test's own environment, through a .pth line (a plain path: the
    .pth files there, this checkout's editable install among them, are not
    run), so that the test needs no download."""
    wheels = tmp_path_factory.mktemp("wheels")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                            str(wheels), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    [wheel] = wheels.glob("feedsvc-*.whl")
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    target = Path(subprocess.run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()"
                                  "['purelib'])"], capture_output=True, text=True, check=True).stdout.strip())
    installing = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                                 str(wheel)], capture_output=True, text=True, timeout=300)
    assert installing.returncode == 0, installing.stderr
    (target / "feedsvc-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    (venv / "bin" / "feedsvc").write_text(f"#!{venv / 'bin' / 'python'}\nfrom feedsvc.cli import main\n"
                                          "raise SystemExit(main())\n", encoding="utf-8")
    (venv / "bin" / "feedsvc").chmod(0o755)  # what pip writes for [project.scripts]; --target writes none
    found = subprocess.run([venv / "bin" / "python", "-c", "import feedsvc; print(feedsvc.__file__)"], cwd=venv,
                           capture_output=True, text=True, check=True).stdout
    assert found.startswith(str(target)), found  # the wheel's copy, not the checkout's
    yield venv / "bin"


def run(bin_dir: Path, *args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
    return subprocess.run([str(bin_dir / "feedsvc"), *args], cwd=cwd, env={**clean, "HOME": str(cwd), **(env or {})},
                          capture_output=True, text=True, timeout=120)


def test_check_scan_and_export_from_an_unrelated_folder(installed: Path, tmp_path: Path) -> None:
    somewhere = tmp_path / "somewhere"
    somewhere.mkdir()
    [record] = map(json.loads, run(installed, "check", "--json", str(SEED), cwd=somewhere).stdout.splitlines())
    expected = json.loads(SEED.with_suffix(".expected.json").read_text(encoding="utf-8"))
    assert {key: record[key] for key in expected} == expected
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "tests" / "data", tree, ignore=shutil.ignore_patterns("*.json", "reject_*"))
    checked = run(installed, "check", str(tree), cwd=somewhere)
    assert checked.returncode == 0 and checked.stdout.rstrip().endswith("0 rejected"), checked.stdout[-500:]
    env = {"FEEDSVC_SOURCE_DIR": str(tree), "FEEDSVC_DATA_DIR": str(tmp_path / "data")}
    scanned = run(installed, "scan", cwd=somewhere, env=env)
    assert scanned.returncode == 0 and "changed=" in scanned.stdout, scanned.stderr
    exported = run(installed, "export", str(tmp_path / "site"), cwd=somewhere, env=env)
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "site" / "feed.atom").read_bytes().startswith(b"<?xml")
    assert list(somewhere.iterdir()) == []  # nothing written where the commands ran


def test_serve_answers_from_an_unrelated_folder_with_the_bundled_samples(installed: Path, tmp_path: Path) -> None:
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
    env = {**clean, "HOME": str(tmp_path), "FEEDSVC_SCAN_INTERVAL": "1", "FEEDSVC_BASE_URL": f"http://127.0.0.1:{port}/",
           "PATH": f"{installed}:{os.environ['PATH']}"}
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        server = subprocess.Popen([str(installed / "feedsvc"), "serve", "--port", str(port)], cwd=tmp_path, env=env,
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_ready(f"http://127.0.0.1:{port}")
        status, headers, body = fetch(f"http://127.0.0.1:{port}/tags/%D8%BA%D8%B2%D8%A9/feed.atom")
        assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
        assert "بوتين يعرض المساعدة" in body.decode()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    assert "serving the sample articles in" in log.read_text()
    assert (tmp_path / ".local" / "share" / "feedsvc" / "feedsvc.db").exists()  # the user data directory
