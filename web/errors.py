"""Error responses: one JSON envelope for the API, health, feed and metrics; HTML elsewhere."""

import logging

from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from search.query.parse import QueryError
from web.index import IndexUnavailable
from web.pages import render_error
from web.searching import ParamError

log = logging.getLogger(__name__)

JSON_PREFIXES = ("/api/", "/healthz", "/search.atom", "/metrics")
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 413: "payload_too_large", 500: "internal_error",
         503: "index_unavailable"}


def wants_json() -> bool:
    return request.path == "/api" or request.path.startswith(JSON_PREFIXES)


def envelope(status: int, message: str, code: str | None = None):
    """The JSON error body every API error uses."""
    body = {"error": {"code": code or CODES.get(status, str(status)), "message": message}}
    return jsonify(body), status


def error_response(status: int, message: str, code: str | None = None, headers=None):
    """A JSON envelope or an HTML page, whichever the path serves."""
    if wants_json():
        resp, status = envelope(status, message, code)
    else:
        resp = render_error(status)
    if headers:
        resp.headers.update(headers)
    return resp, status


def register(app):
    """Install the handlers on the app."""

    @app.errorhandler(ParamError)
    def bad_param(e):
        return error_response(400, e.message, e.code)

    @app.errorhandler(QueryError)
    def bad_query(e):
        return error_response(400, f"nothing to search for: {e}", "invalid_query")

    @app.errorhandler(IndexUnavailable)
    def no_index(e):
        return error_response(503, str(e))

    @app.errorhandler(HTTPException)
    def http_error(e):
        headers = {}
        if getattr(e, "valid_methods", None):
            headers["Allow"] = ", ".join(e.valid_methods)
        return error_response(e.code or 500, e.description or e.name, headers=headers)

    @app.errorhandler(Exception)
    def crash(e):
        log.exception("unhandled error on %s", request.path)
        return error_response(500, "internal server error")
