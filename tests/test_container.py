"""The container's entry, run here as the image runs it (no Docker engine on
these machines): the Dockerfile's own ENV and CMD, a read-only source tree."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from feedsvc.settings import SAMPLES
from tests.conftest import ROOT, fetch, free_port, wait_ready

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def image_env() -> dict[str, str]:
    text = DOCKERFILE.replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            for pair in shlex.split(line[4:]):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def image_command() -> list[str]:
    [line] = [line for line in DOCKERFILE.splitlines() if line.startswith("CMD ")]
    return list(json.loads(line[4:]))


def healthcheck() -> list[str]:
    text = DOCKERFILE.replace("\\\n", " ")
    return list(json.loads(re.search(r"HEALTHCHECK .*? CMD (\[.*\])", text).group(1)))


def test_the_image_entry_serves_from_a_read_only_tree(tmp_path: Path) -> None:
    source = tmp_path / "srv-articles"
    shutil.copytree(SAMPLES, source)
    for path in [source, *source.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    before = sorted((str(p), p.stat().st_mtime_ns) for p in source.rglob("*"))
    port = free_port()
    env = {**os.environ, **image_env()}
    assert env["FEEDSVC_SOURCE_DIR"] == "/srv/articles" and env["FEEDSVC_DATA_DIR"] == "/data"
    env.update(FEEDSVC_SOURCE_DIR=str(source), FEEDSVC_DATA_DIR=str(tmp_path / "data"),
               PATH=f"{Path(sys.executable).parent}:{env['PATH']}")
    command = [part.replace("0.0.0.0:8000", f"127.0.0.1:{port}") for part in image_command()]
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        wait_ready(f"http://127.0.0.1:{port}")
        check = [part.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for part in healthcheck()]
        check[0] = sys.executable
        assert subprocess.run(check, timeout=10).returncode == 0
        status, headers, _ = fetch(f"http://127.0.0.1:{port}/tags/%D8%BA%D8%B2%D8%A9/feed.atom")
        assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
    assert sorted((str(p), p.stat().st_mtime_ns) for p in source.rglob("*")) == before
