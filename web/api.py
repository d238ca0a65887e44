"""JSON API: search, one document, suggestions as you type, its OpenAPI description, health."""

import hashlib
import json

from flask import Blueprint, abort, jsonify, request

from web import document
from web.hits import facets, hit_dict
from web.index import health
from web.openapi import spec
from web.searching import (
    MAX_PER_PAGE,
    SEARCH_ARGS,
    ParamError,
    _int,
    args_from_json,
    check_known,
    run_search,
    shown_total,
)
from web.suggesting import SUGGEST_ARGS, parse_suggest_params, suggest

bp = Blueprint("api", __name__)

SUGGEST_MAX_AGE = 60  # seconds
# Results change only with the index; a minute of staleness is harmless, and a client can
# revalidate with If-None-Match for the price of a cached search.
SEARCH_MAX_AGE = 60
RELATED_PER_PAGE = 5


def search_body(params, res) -> dict:
    """The /api/search response body."""
    return {
        "query": params.q, "total": res.total, "total_exact": res.total_exact,
        # What is shown once near-duplicates are collapsed (collapse=0 or a cluster: total).
        "total_collapsed": shown_total(params, res), "cached": res.cached,
        "all_words": res.all_words,
        "page": res.page, "per_page": res.per_page, "took_ms": res.took_ms,
        "hits": [hit_dict(h) for h in res.hits], "facets": facets(res),
        "corrected": res.corrected, "suggestion": res.suggestion, "crosslang": res.crosslang,
        # Cluster backend only: true when a shard did not answer (results incomplete).
        **({"partial": res.partial} if hasattr(res, "partial") else {}),
    }


def _etag(body: dict) -> str:
    # Of the content, not of took_ms: the same results are the same representation.
    same = {k: v for k, v in body.items() if k not in ("took_ms", "cached")}
    text = json.dumps(same, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _json_args():
    if request.args:
        raise ParamError(next(iter(request.args)),
                         "POST /api/search takes its parameters in the JSON body only")
    return args_from_json(json_body())


def json_body():
    """The request's JSON body, or ParamError invalid_json (wrong type, bad or too deep JSON)."""
    if not request.is_json:
        raise ParamError("body", "the body must be JSON (Content-Type: application/json)",
                         "invalid_json")
    try:
        return json.loads(request.get_data(as_text=True) or "null")
    except ValueError as e:
        raise ParamError("body", f"the body is not valid JSON: {e}", "invalid_json") from None
    except RecursionError:
        raise ParamError("body", "the body's JSON is nested too deeply",
                         "invalid_json") from None


@bp.route("/api/search", methods=["GET", "POST"])
def search():
    args = _json_args() if request.method == "POST" else request.args
    check_known(args, SEARCH_ARGS)
    params, res = run_search(args)
    body = search_body(params, res)
    resp = jsonify(body)
    if request.method == "POST":
        resp.headers["Cache-Control"] = "no-store"
        return resp
    resp.set_etag(_etag(body), weak=True)
    resp.headers["Cache-Control"] = f"public, max-age={SEARCH_MAX_AGE}"
    return resp.make_conditional(request)


@bp.get("/api/doc/<path:doc_id>")
def doc(doc_id):
    check_known(request.args, ("q",))
    found = document.load(doc_id, request.args.get("q", ""))
    if found is None:
        abort(404, f"no document with id '{doc_id}'")
    return jsonify(found)


@bp.get("/api/doc/<path:doc_id>/related")
def related(doc_id):
    check_known(request.args, ("per_page",))
    per_page = _int(request.args, "per_page", RELATED_PER_PAGE, 1, MAX_PER_PAGE)
    hits = document.related(doc_id, per_page)
    if hits is None:
        abort(404, f"no document with id '{doc_id}'")
    return jsonify({"hits": hits})


@bp.get("/api/suggest")
def suggestions():
    check_known(request.args, SUGGEST_ARGS)
    params = parse_suggest_params(request.args)
    resp = jsonify({"query": params.q, "suggestions": suggest(params)})
    # Completions change only with the index; a minute of staleness is harmless.
    resp.headers["Cache-Control"] = f"max-age={SUGGEST_MAX_AGE}"
    return resp


@bp.get("/api/opensearch-suggest")
def opensearch_suggestions():
    """The OpenSearch suggestions format: [query, [completions]]."""
    check_known(request.args, SUGGEST_ARGS)
    params = parse_suggest_params(request.args)
    resp = jsonify([params.q, suggest(params)])
    resp.mimetype = "application/x-suggestions+json"
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
