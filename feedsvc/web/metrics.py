"""Prometheus metrics with prometheus_client, added up over every process.

Under gunicorn each worker counts its own requests; in prometheus_client's
multiprocess mode (PROMETHEUS_MULTIPROC_DIR, which feedsvc.server sets
before the workers start) each process writes its counts to a file there,
and a scrape of any worker adds up all the files. Without it (the
development server, tests), the counts are this process's. What the store
knows (source files, the last scan) is read from it at each scrape.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector

from feedsvc.errors import StoreError
from feedsvc.store import Store

REQUESTS = Counter("feedsvc_http_requests", "HTTP requests answered, by route and status", ["route", "status"])
CACHE = Counter("feedsvc_render_cache", "Feeds and pages asked of the render cache, by outcome", ["outcome"])
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def counted_lookup(hit: bool) -> None:
    """What the publisher calls on each lookup of its cache."""
    CACHE.labels("hit" if hit else "miss").inc()


class _StoreFacts(Collector):
    """Gauges read from the store at each scrape."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        try:
            counts, report = self.store.file_counts(), self.store.last_report()
        except StoreError:
            return
        files = GaugeMetricFamily("feedsvc_source_files", "Source files by state", labels=["state"])
        for state, count in counts.items():
            files.add_metric([state], count)
        yield files
        if report is not None:
            yield GaugeMetricFamily("feedsvc_scan_seconds", "How long the last full scan took", report.seconds)
            for name in ("seen", "read", "parsed", "changed", "removed", "rejected"):
                yield GaugeMetricFamily(f"feedsvc_scan_{name}", f"Files or articles {name} by the last full scan",
                                        getattr(report, name))


def exposition(store: Store) -> bytes:
    """The text a scrape of /metrics answers."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)  # type: ignore[no-untyped-call]
    else:
        counted = REGISTRY
    facts = CollectorRegistry()
    facts.register(_StoreFacts(store))
    return generate_latest(counted) + generate_latest(facts)
