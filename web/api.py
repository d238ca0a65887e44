"""JSON API: search, suggestions as you type, its OpenAPI description, the health check."""

from flask import Blueprint, jsonify, request

from web.index import health
from web.openapi import spec
from web.searching import run_search
from web.suggesting import parse_suggest_params, suggest

bp = Blueprint("api", __name__)

HIT_FIELDS = ("id", "title", "url", "date", "lang", "score", "snippet")
SUGGEST_MAX_AGE = 60  # seconds


@bp.get("/api/search")
def search():
    params, res = run_search(request.args)
    return jsonify({
        "query": params.q, "total": res.total, "total_exact": res.total_exact,
        "all_words": res.all_words,
        "page": res.page, "per_page": res.per_page, "took_ms": res.took_ms,
        "hits": [{k: getattr(h, k) for k in HIT_FIELDS} for h in res.hits],
        "corrected": res.corrected, "suggestion": res.suggestion,
    })


@bp.get("/api/suggest")
def suggestions():
    params = parse_suggest_params(request.args)
    resp = jsonify({"query": params.q, "suggestions": suggest(params)})
    # Completions change only with the index; a minute of staleness is harmless.
    resp.headers["Cache-Control"] = f"max-age={SUGGEST_MAX_AGE}"
    return resp


@bp.get("/api/openapi.json")
def openapi():
    return jsonify(spec())


@bp.get("/healthz")
def healthz():
    body, status = health()
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp, status
