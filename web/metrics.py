"""Prometheus metrics at /metrics: requests, latency, the results cache, the index, ingest.

Under gunicorn every worker counts for itself; gunicorn.conf.py points PROMETHEUS_MULTIPROC_DIR
at a folder where prometheus_client's multiprocess mode adds them up (it must be set before
prometheus_client is imported). Without it (the dev server, tests) one process counts.
"""

import os
import time

from flask import Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from web.index import IndexUnavailable, get_engine

REQUESTS = Counter("search_http_requests", "HTTP requests answered, by endpoint and status.",
                   ["endpoint", "status"])
LATENCY = Histogram("search_http_request_duration_seconds", "Time to answer, by endpoint.",
                    ["endpoint"], buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
CACHE = Counter("search_results_cache_lookups", "Searches, by whether the results cache "
                "answered (hit) or the engine ran (miss).", ["result"])


def record_search(cached: bool) -> None:
    """Count one search as a cache hit or miss."""
    CACHE.labels("hit" if cached else "miss").inc()


def register_ingest_source(app, source) -> None:
    """Report live ingest: source() returns (documents waiting, seconds the oldest has waited).

    Called by whatever runs the ingest queue (web/ingest.py); until one is registered the
    ingest gauges are left out.
    """
    app.extensions.setdefault("metrics_ingest", []).append(source)


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def _cache_ratio(registry) -> float | None:
    counts = {"hit": 0.0, "miss": 0.0}
    for family in registry.collect():
        if family.name == "search_results_cache_lookups":
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    counts[sample.labels["result"]] += sample.value
    lookups = counts["hit"] + counts["miss"]
    return counts["hit"] / lookups if lookups else None


def _gauge(name, text, value):
    family = GaugeMetricFamily(name, text)
    family.add_metric([], value)
    return family


def _scrape_time_metrics(registry) -> list:
    """Gauges read now: the index (this process's view of it), the cache ratio, ingest."""
    out = []
    ratio = _cache_ratio(registry)
    if ratio is not None:
        out.append(_gauge("search_results_cache_hit_ratio",
                          "Share of searches the results cache answered, since start.", ratio))
    try:
        stats = get_engine().stats()
    except IndexUnavailable:
        stats = None
    out.append(_gauge("search_index_readable", "1 when the index can be opened.",
                      0 if stats is None else 1))
    if stats:
        out.append(_gauge("search_index_documents", "Documents in the index.",
                          stats["documents"]))
        if stats.get("segments") is not None:
            out.append(_gauge("search_index_segments", "Segments of the index.",
                              stats["segments"]))
        if stats.get("last_commit") is not None:
            out.append(_gauge("search_index_last_commit_timestamp_seconds",
                              "When the index was last committed (Unix time).",
                              stats["last_commit"]))
    for source in current_app.extensions.get("metrics_ingest", []):
        depth, lag = source()
        out.append(_gauge("search_ingest_queue_depth", "Documents waiting to be indexed.",
                          depth))
        out.append(_gauge("search_ingest_lag_seconds",
                          "How long the oldest waiting document has waited.", lag))
    return out


class _Once:
    def __init__(self, families):
        self.families = families

    def collect(self):
        return self.families


def metrics_view():
    registry = _registry()
    extra = CollectorRegistry()
    extra.register(_Once(_scrape_time_metrics(registry)))
    resp = Response(generate_latest(registry) + generate_latest(extra),
                    mimetype=CONTENT_TYPE_LATEST.split(";")[0])
    resp.headers["Content-Type"] = CONTENT_TYPE_LATEST
    resp.headers["Cache-Control"] = "no-store"
    return resp


def register(app) -> None:
    """Time and count every request, and serve /metrics."""
    app.add_url_rule("/metrics", "metrics", metrics_view)

    @app.before_request
    def _started():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _counted(resp):
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(endpoint, str(resp.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return resp
