"""CORS for the read-only JSON API: which web origins may call it from a browser."""

from flask import request

API_PREFIX = "/api/"
ALLOWED_HEADERS = "Accept, Content-Type, If-None-Match"
EXPOSED_HEADERS = "ETag"  # not CORS-safelisted, and a client needs it for If-None-Match
PREFLIGHT_MAX_AGE = 86400  # seconds a browser may keep a preflight answer


def parse_origins(value: str) -> tuple[str, ...]:
    """The SEARCH_CORS_ORIGINS setting: "*" or origins separated by commas or spaces."""
    return tuple(o.rstrip("/") for o in value.replace(",", " ").split())


def _allowed_origin(setting) -> str | None:
    origins = parse_origins(setting) if isinstance(setting, str) else tuple(setting)
    if "*" in origins:
        return "*"
    origin = request.headers.get("Origin", "")
    return origin if origin and origin in origins else None


def register(app):
    """Answer preflights of API routes and add the CORS headers to API responses."""

    @app.before_request
    def preflight():
        # A route's OPTIONS answered here, not by Flask's default 200 with an empty body.
        if (request.method == "OPTIONS" and request.path.startswith(API_PREFIX)
                and request.url_rule is not None):
            resp = app.make_default_options_response()
            resp.status_code = 204
            return resp
        return None

    @app.after_request
    def cors_headers(resp):
        if not request.path.startswith(API_PREFIX):
            return resp
        setting = app.config["SEARCH_CORS_ORIGINS"]
        origin = _allowed_origin(setting)
        if origin != "*":
            resp.vary.add("Origin")  # the answer differs per origin: caches must keep them apart
        if origin is None:
            return resp
        resp.headers["Access-Control-Allow-Origin"] = origin
        resp.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        if request.method == "OPTIONS" and resp.status_code == 204:
            resp.headers["Access-Control-Allow-Methods"] = resp.headers.get("Allow", "GET")
            resp.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            resp.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        return resp
