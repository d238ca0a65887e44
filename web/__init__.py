"""Flask web front end: search page and JSON API."""

import os

from flask import Flask

CSP = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then environment, then test_config."""
    app = Flask(__name__)
    # SEARCH_CORS_ORIGINS: web origins that may read the API from a browser ("*": any).
    # SEARCH_ARRAY_CACHE_MB: postings arrays read from segments without a sidecar, per worker.
    # SEARCH_BACKEND: whoosh (the index in SEARCH_INDEX_DIR) or sphinxql://host:port (a cluster).
    # SEARCH_RECENT_HALF_LIFE_DAYS: sort=recent halves a match's weight per this many days
    # older than the newest match.
    app.config.from_mapping(SEARCH_INDEX_DIR="index", SEARCH_CACHE_SIZE=512,
                            SEARCH_CORS_ORIGINS="*", SEARCH_ARRAY_CACHE_MB=256,
                            SEARCH_BACKEND="whoosh", SEARCH_RECENT_HALF_LIFE_DAYS=30.0)
    for name in ("SEARCH_INDEX_DIR", "SEARCH_CORS_ORIGINS", "SEARCH_BACKEND"):
        if name in os.environ:
            app.config[name] = os.environ[name]
    for name in ("SEARCH_CACHE_SIZE", "SEARCH_ARRAY_CACHE_MB"):  # results kept; 0: none
        if os.environ.get(name, "").isdigit():
            app.config[name] = int(os.environ[name])
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
    app.json.ensure_ascii = False  # Cyrillic stays readable in API responses

    from web import api, cors, errors, feed, metrics, pages

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(feed.bp)
    metrics.register(app)
    errors.register(app)
    cors.register(app)

    @app.after_request
    def security_headers(resp):
        for name, value in SECURITY_HEADERS.items():
            resp.headers.setdefault(name, value)
        return resp

    return app
