"""The OpenAPI 3.1 description of the JSON API, built from the same limits the code enforces."""

from search.engine import SORTS
from search.morph import LANGS
from web.api_schemas import INGEST_PATHS, INGEST_SCHEMAS, SCHEMAS, SECURITY_SCHEMES
from web.cors import EXPOSED_HEADERS
from web.searching import (
    DEFAULT_PER_PAGE,
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_QUERY_CHARS,
    MAX_SOURCE_CHARS,
    MAX_SOURCES,
)
from web.suggesting import DEFAULT_SUGGEST, MAX_SUGGEST, MAX_SUGGEST_CHARS


def _param(name, description, schema, required=False):
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema}


def _error(description):
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


SEARCH_PARAMS = [
    _param("q", "The query: words, \"phrases\", -excluded, prefix*, title:word, OR, AND.",
           {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS,
            "pattern": r"\S", "examples": ["вибори", "выборы"]}, required=True),
    _param("page", "Page number, from 1.",
           {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
    _param("per_page", "Hits per page.",
           {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
            "default": DEFAULT_PER_PAGE}),
    _param("lang", "Only documents in this language (empty or absent: all).",
           {"type": "string", "enum": ["", *LANGS]}),
    _param("sort", "Order of hits: relevance; date (newest first, undated last); recent "
           "(relevance times freshness, halving every SEARCH_RECENT_HALF_LIFE_DAYS from the "
           "newest match).", {"type": "string", "enum": list(SORTS), "default": "relevance"}),
    _param("collapse", "1: near-duplicates (syndicated copies) show once, as the best-ranked; "
           "0: every copy.", {"type": "integer", "enum": [0, 1], "default": 1}),
    _param("exact", "1: search the query exactly as typed, without correcting the keyboard "
           "layout or spelling, and without matching through the other language.",
           {"type": "integer", "enum": [0, 1], "default": 0}),
    _param("from", "Earliest publication date, inclusive (YYYY-MM-DD).",
           {"type": "string", "format": "date"}),
    _param("to", "Latest publication date, inclusive (YYYY-MM-DD).",
           {"type": "string", "format": "date"}),
    {**_param("source", "Only documents of these sources (sites or publications, as the "
              "`source` facet names them); repeat for several.",
              {"type": "array", "maxItems": MAX_SOURCES,
               "items": {"type": "string", "maxLength": MAX_SOURCE_CHARS}}),
     "style": "form", "explode": True},
]


def _body_schema(param) -> dict:
    """A query parameter's schema as a JSON body property (numbers as numbers)."""
    schema = dict(param["schema"])
    if param["name"] in ("exact", "collapse"):
        schema = {"type": ["integer", "boolean"], "enum": [0, 1, True, False],
                  "default": param["schema"]["default"]}
    return {**schema, "description": param["description"]}


SEARCH_REQUEST = {
    "type": "object", "required": ["q"], "additionalProperties": False,
    "description": "The same parameters as GET /api/search, as a JSON object.",
    "properties": {p["name"]: _body_schema(p) for p in SEARCH_PARAMS},
}

SUGGEST_PARAMS = [
    _param("q", "What is typed so far: the last word is completed, earlier words are kept. "
           "Surrounding spaces are stripped (and not counted).",
           {"type": "string", "minLength": 1, "maxLength": MAX_SUGGEST_CHARS, "pattern": r"\S",
            "examples": ["пром", "выбо"]}, required=True),
    _param("limit", "Most completions to return.",
           {"type": "integer", "minimum": 1, "maximum": MAX_SUGGEST, "default": DEFAULT_SUGGEST}),
]

def _json(ref, description):
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


_BAD_SEARCH = ("Missing, empty, invalid or unknown parameter (the message names it), a query "
               "with no words, or (POST) a body that is not a JSON object.")
_CACHED = {
    "ETag": {"description": "A weak validator of the results: send it back in If-None-Match "
                            "to get 304 while they are unchanged.", "schema": {"type": "string"}},
    "Cache-Control": {"description": "Results may be kept for a minute.",
                      "schema": {"type": "string"}},
}
_NO_INDEX = _error("The index has not been built yet.")


def _search_ops() -> dict:
    results = _json("SearchResults", "A page of results, with facets.")
    return {
        "get": {
            "operationId": "search", "summary": "Ranked search results, one page at a time.",
            "parameters": SEARCH_PARAMS,
            "responses": {"200": {**results, "headers": _CACHED},
                          "304": {"description": "Unchanged since the ETag in If-None-Match."},
                          "400": _error(_BAD_SEARCH), "503": _NO_INDEX},
        },
        "post": {
            "operationId": "searchPost",
            "summary": "The same search with its parameters in a JSON body.",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/SearchRequest"}}}},
            "responses": {"200": results, "400": _error(_BAD_SEARCH), "503": _NO_INDEX},
        },
    }


def _suggest_op(operation_id, summary, ok) -> dict:
    return {"get": {
        "operationId": operation_id, "summary": summary, "parameters": SUGGEST_PARAMS,
        "responses": {
            "200": {**ok, "headers": {"Cache-Control": {
                "description": "Cacheable for a minute.",
                "schema": {"type": "string", "const": "max-age=60"}}}},
            "400": _error(f"Missing or empty q, q longer than {MAX_SUGGEST_CHARS} characters, "
                          "an invalid limit or an unknown parameter."),
            "503": _NO_INDEX,
        },
    }}


DOC_PARAMS = [
    {"name": "doc_id", "in": "path", "required": True, "schema": {"type": "string"},
     "description": "The document's id (as in hits; may contain '/')."},
    _param("q", "A query whose words are marked in title_html and body_html.",
           {"type": "string", "maxLength": MAX_QUERY_CHARS}),
]

OPENSEARCH_SUGGESTIONS = {
    "description": "The OpenSearch suggestions format: [query, [completions]].",
    "content": {"application/x-suggestions+json": {"schema": {
        # [query, completions]; written without prefixItems, which schemathesis cannot read.
        "type": "array", "minItems": 2, "maxItems": 2, "items": {"anyOf": [
            {"type": "string"},
            {"type": "array", "items": {"type": "string"}, "maxItems": MAX_SUGGEST}]}}}},
}

DESCRIPTION = (
    "Full-text search of Ukrainian and Russian news. Errors are "
    "`{\"error\": {\"code\", \"message\"}}`. The API may be called from web pages of "
    "other origins (CORS: the origins the server allows, all by default; preflight OPTIONS is "
    f"answered with 204; the {EXPOSED_HEADERS} header is exposed)."
)


def spec() -> dict:
    """The OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "News search API", "version": "1.1.0", "description": DESCRIPTION},
        "paths": {
            "/api/search": _search_ops(),
            "/api/doc/{doc_id}": {"get": {
                "operationId": "document",
                "summary": "One document's stored fields, the query's words marked.",
                "parameters": DOC_PARAMS,
                "responses": {"200": _json("Document", "The document."),
                              "400": _error("An unknown parameter."),
                              "404": _error("No document has this id."), "503": _NO_INDEX},
            }},
            "/api/doc/{doc_id}/related": {"get": {
                "operationId": "related",
                "summary": "Articles most like this one (more like this by its most "
                           "distinctive words), without it and its near-duplicates.",
                "parameters": [DOC_PARAMS[0], _param(
                    "per_page", "Most articles to return.",
                    {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 5})],
                "responses": {"200": _json("Related", "Related articles; possibly none."),
                              "400": _error("An invalid per_page or an unknown parameter."),
                              "404": _error("No document has this id."), "503": _NO_INDEX},
            }},
            "/api/suggest": _suggest_op(
                "suggest", "Completions of a partly typed query, for suggest-as-you-type.",
                _json("Suggestions", "Completions; possibly none.")),
            "/api/opensearch-suggest": _suggest_op(
                "opensearchSuggest", "The same completions for browsers' search boxes "
                "(OpenSearch suggestions).", OPENSEARCH_SUGGESTIONS),
            **INGEST_PATHS,
            "/healthz": {"get": {
                "operationId": "health",
                "summary": "Whether the index is readable, its size and generation.",
                "responses": {
                    "200": _json("Health", "The index is readable."),
                    "503": _json("Health", "There is no readable index."),
                },
            }},
        },
        "components": {"schemas": {**SCHEMAS, **INGEST_SCHEMAS, "SearchRequest": SEARCH_REQUEST},
                       "securitySchemes": SECURITY_SCHEMES},
    }
