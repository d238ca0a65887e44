"""JSON API: search, its OpenAPI description, and the health check."""

from flask import Blueprint, jsonify, request

from web.index import health
from web.openapi import spec
from web.searching import run_search

bp = Blueprint("api", __name__)

HIT_FIELDS = ("id", "title", "url", "date", "lang", "score", "snippet")


@bp.get("/api/search")
def search():
    params, res = run_search(request.args)
    return jsonify({
        "query": params.q, "total": res.total, "page": res.page, "per_page": res.per_page,
        "took_ms": res.took_ms,
        "hits": [{k: getattr(h, k) for k in HIT_FIELDS} for h in res.hits],
        "corrected": res.corrected, "suggestion": res.suggestion,
    })


@bp.get("/api/openapi.json")
def openapi():
    return jsonify(spec())


@bp.get("/healthz")
def healthz():
    body, status = health()
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp, status
