"""How feedsvc runs under gunicorn: `gunicorn -c python:feedsvc.server`, what
`feedsvc serve` and the container start.

- gevent workers. A connection that trickles its headers costs a greenlet,
  not a worker: with sync workers, two such connections held both workers
  until gunicorn killed them at their timeout. (gthread workers free a
  thread only while no byte has arrived; a client sending one byte every
  ten seconds holds one for good.)
- The scanner in a process of its own beside the workers (`feedsvc
  scanner`), started by the master once it is ready and started again if
  it dies (exits other than when told to stop). No web worker's timeout can stop a scan, and a scan's parsing
  and writing never stall a worker's event loop.
- One line per event, in feedsvc's log format, gunicorn's own included.
- Metrics that add up: prometheus_client's multiprocess mode, its folder
  (PROMETHEUS_MULTIPROC_DIR, else `metrics` in the data directory) emptied
  as the master starts and a worker's counts kept when it exits.

Imports here stay few: this module runs in the master, before the fork, and
gevent must patch the standard library in each worker before anything that
talks to the network (psycopg) is imported.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from typing import Any

from feedsvc import logs
from feedsvc.settings import load_settings

_settings = load_settings()  # a bad setting stops the master, with the setting named
# set before any worker imports prometheus_client, which reads it then
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_settings.data_dir / "metrics"))
shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)  # counts of a server before this one
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

wsgi_app = "feedsvc.web:create_app(scan=False)"
worker_class = "gevent"
workers = int(os.environ.get("FEEDSVC_WORKERS", "2"))
bind = ["127.0.0.1:8000"]
graceful_timeout = 10
accesslog = "-"
control_socket_disable = True  # gunicorn's would be a file in $HOME: feedsvc writes nowhere unasked
logconfig_dict = logs.dict_config(_settings.log_format, ("gunicorn.error", "gunicorn.access"))
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"  # the heartbeat files: a read-only root file system still works

RESTART_AFTER = 1.0  # seconds between two starts of the scanner process, at least
STOP_WAIT = 10.0  # seconds a stopping scanner may take before it is killed (its work is transactional)
log = logging.getLogger("feedsvc.server")


class ScannerProcess:
    """`feedsvc scanner` as a child of the master, kept running."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._keep_running, name="feedsvc-scanner", daemon=True)

    def _keep_running(self) -> None:
        while not self.stopping.is_set():
            started = time.monotonic()
            self.process = subprocess.Popen([sys.executable, "-m", "feedsvc", "scanner"])
            code = self.process.wait()
            if self.stopping.is_set() or code == 0:
                return  # stopped, not dead: SIGTERM or SIGINT (to the server's process group, say)
            log.error("the scanner process exited with status %d; starting another", code)
            self.stopping.wait(max(0.0, RESTART_AFTER - (time.monotonic() - started)))

    def stop(self) -> None:
        self.stopping.set()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_WAIT)
            except subprocess.TimeoutExpired:
                self.process.kill()


_scanner = ScannerProcess()


def when_ready(server: Any) -> None:
    logs.configure(_settings.log_format)
    _scanner.thread.start()


def on_exit(server: Any) -> None:
    _scanner.stop()


def child_exit(server: Any, worker: Any) -> None:
    """A worker's counts stay in the sums; its live gauges go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
