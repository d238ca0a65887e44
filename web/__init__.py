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
    app.config.from_mapping(SEARCH_INDEX_DIR="index", SEARCH_CACHE_SIZE=512)
    if "SEARCH_INDEX_DIR" in os.environ:
        app.config["SEARCH_INDEX_DIR"] = os.environ["SEARCH_INDEX_DIR"]
    if os.environ.get("SEARCH_CACHE_SIZE", "").isdigit():  # results kept per worker; 0: none
        app.config["SEARCH_CACHE_SIZE"] = int(os.environ["SEARCH_CACHE_SIZE"])
    if test_config:
        app.config.from_mapping(test_config)
    app.json.ensure_ascii = False  # Cyrillic stays readable in API responses

    from web import api, errors, pages

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    errors.register(app)

    @app.after_request
    def security_headers(resp):
        for name, value in SECURITY_HEADERS.items():
            resp.headers.setdefault(name, value)
        return resp

    return app
