"""Flask web front end: search page and JSON API."""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from flask import Flask

from search import lemma_table
from search.cli_cache import cache_dir

CSP = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def public_url(value: str) -> str:
    """SEARCH_PUBLIC_URL without its trailing slash, or ValueError if it is not an http(s) URL."""
    value = value.strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"SEARCH_PUBLIC_URL must be http(s)://host[:port][/path], not {value!r}")
    return value


def local_location(location: str, public: str) -> str:
    """A redirect target on this site: under the public URL, or a path (never the Host header)."""
    parts = urlsplit(location)
    if not parts.netloc and not parts.scheme:
        return location
    path = urlunsplit(("", "", "/" + parts.path.lstrip("/"), parts.query, parts.fragment))
    return public + path


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then environment, then test_config."""
    app = Flask(__name__)
    # SEARCH_CORS_ORIGINS: web origins that may read the API from a browser ("*": any).
    # SEARCH_ARRAY_CACHE_MB: postings arrays read from segments without a sidecar, per worker.
    # SEARCH_BACKEND: whoosh (the index in SEARCH_INDEX_DIR) or sphinxql://host:port (a cluster).
    # SEARCH_WRITE_TOKEN: enables POST/DELETE /api/documents for `Bearer <token>` (web/ingest.py);
    # SEARCH_WRITE_MAX_MB: the largest write body; SEARCH_COMMIT_INTERVAL: seconds a live write
    # waits for others to join its commit; SEARCH_COMMITTER_NICE: added to the committer
    # process's niceness (-5: commits wait less for the CPU behind busy workers, but searches
    # lose throughput; needs CAP_SYS_NICE); SEARCH_INGEST_TRACE: a file to which every commit
    # appends a JSON line of its stages (bench/ingest.py reads it).
    # SEARCH_CACHE_DIR: where `search lemma-tables` (make install) built the dictionaries' lemma
    # tables (default $XDG_CACHE_HOME/newsearch or ~/.cache/newsearch), read by live ingest.
    # SEARCH_RECENT_HALF_LIFE_DAYS: sort=recent halves a match's weight per this many days
    # older than the newest match.
    app.config.from_mapping(SEARCH_INDEX_DIR="index", SEARCH_CACHE_SIZE=512,
                            SEARCH_CORS_ORIGINS="*", SEARCH_ARRAY_CACHE_MB=256,
                            SEARCH_BACKEND="whoosh", SEARCH_WRITE_TOKEN="",
                            SEARCH_WRITE_MAX_MB=16, SEARCH_COMMIT_INTERVAL=0.2,
                            SEARCH_COMMITTER_NICE=0, SEARCH_INGEST_TRACE="",
                            SEARCH_PUBLIC_URL="", SEARCH_RECENT_HALF_LIFE_DAYS=30.0,
                            SEARCH_CACHE_DIR=str(cache_dir()))  # (reads SEARCH_CACHE_DIR)
    # SEARCH_PUBLIC_URL: the site's address as its users see it (https://news.example.org), for
    # absolute links; without it links are relative, never built from the Host header.
    for name in ("SEARCH_INDEX_DIR", "SEARCH_CORS_ORIGINS", "SEARCH_BACKEND",
                 "SEARCH_WRITE_TOKEN", "SEARCH_PUBLIC_URL", "SEARCH_INGEST_TRACE"):
        if name in os.environ:
            app.config[name] = os.environ[name]
    for name in ("SEARCH_CACHE_SIZE", "SEARCH_ARRAY_CACHE_MB", "SEARCH_WRITE_MAX_MB"):
        if os.environ.get(name, "").isdigit():  # results kept (0: none); MiB
            app.config[name] = int(os.environ[name])
    if os.environ.get("SEARCH_COMMITTER_NICE", "").lstrip("-").isdigit():
        app.config["SEARCH_COMMITTER_NICE"] = int(os.environ["SEARCH_COMMITTER_NICE"])
    if os.environ.get("SEARCH_COMMIT_INTERVAL"):
        app.config["SEARCH_COMMIT_INTERVAL"] = float(os.environ["SEARCH_COMMIT_INTERVAL"])
    try:
        if os.environ.get("SEARCH_RECENT_HALF_LIFE_DAYS"):
            app.config["SEARCH_RECENT_HALF_LIFE_DAYS"] = float(
                os.environ["SEARCH_RECENT_HALF_LIFE_DAYS"])
    except ValueError:
        raise ValueError("SEARCH_RECENT_HALF_LIFE_DAYS must be a number of days") from None
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config["SEARCH_RECENT_HALF_LIFE_DAYS"] > 0:
        raise ValueError("SEARCH_RECENT_HALF_LIFE_DAYS must be more than 0")
    backend = app.config["SEARCH_BACKEND"]
    if backend != "whoosh" and not backend.startswith("sphinxql://"):
        raise ValueError(f"SEARCH_BACKEND must be whoosh or sphinxql://host:port, not {backend!r}")
    app.config["SEARCH_PUBLIC_URL"] = public_url(app.config["SEARCH_PUBLIC_URL"])
    # Loaded here, in gunicorn's master: its workers and the committer process share them.
    lemma_table.use(Path(app.config["SEARCH_CACHE_DIR"]))
    app.json.ensure_ascii = False  # Cyrillic stays readable in API responses

    from web import api, cors, errors, feed, ingest, metrics, pages

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(ingest.bp)
    app.register_blueprint(feed.bp)
    metrics.register(app)
    if backend == "whoosh":
        metrics.register_ingest_source(app, ingest.queue_source(app.config["SEARCH_INDEX_DIR"]))
    errors.register(app)
    cors.register(app)

    @app.after_request
    def security_headers(resp):
        for name, value in SECURITY_HEADERS.items():
            resp.headers.setdefault(name, value)
        if resp.location:  # routing's redirects are built from the Host header
            resp.location = local_location(resp.location, app.config["SEARCH_PUBLIC_URL"])
        return resp

    return app
