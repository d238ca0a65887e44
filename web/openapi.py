"""The OpenAPI 3.1 description of the JSON API, built from the same limits the code enforces."""

from search.engine import SORTS
from search.morph import LANGS
from web.searching import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE, MAX_QUERY_CHARS
from web.suggesting import DEFAULT_SUGGEST, MAX_SUGGEST, MAX_SUGGEST_CHARS


def _param(name, description, schema, required=False):
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema}


def _error(description):
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


SEARCH_PARAMS = [
    _param("q", "The query: words, \"phrases\", -excluded, prefix*, title:word, OR.",
           {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS,
            "pattern": r"\S", "examples": ["вибори", "выборы"]}, required=True),
    _param("page", "Page number, from 1.",
           {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
    _param("per_page", "Hits per page.",
           {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
            "default": DEFAULT_PER_PAGE}),
    _param("lang", "Only documents in this language (empty or absent: all).",
           {"type": "string", "enum": ["", *LANGS]}),
    _param("sort", "Order of hits.", {"type": "string", "enum": list(SORTS),
                                      "default": "relevance"}),
    _param("exact", "1: search the query exactly as typed, without correcting the keyboard "
           "layout or spelling.", {"type": "integer", "enum": [0, 1], "default": 0}),
    _param("from", "Earliest publication date, inclusive (YYYY-MM-DD).",
           {"type": "string", "format": "date"}),
    _param("to", "Latest publication date, inclusive (YYYY-MM-DD).",
           {"type": "string", "format": "date"}),
]

SUGGEST_PARAMS = [
    _param("q", "What is typed so far: the last word is completed, earlier words are kept. "
           "Surrounding spaces are stripped (and not counted).",
           {"type": "string", "minLength": 1, "maxLength": MAX_SUGGEST_CHARS, "pattern": r"\S",
            "examples": ["пром", "выбо"]}, required=True),
    _param("limit", "Most completions to return.",
           {"type": "integer", "minimum": 1, "maximum": MAX_SUGGEST, "default": DEFAULT_SUGGEST}),
]

SCHEMAS = {
    "Error": {
        "type": "object", "required": ["error"], "additionalProperties": False,
        "properties": {"error": {
            "type": "object", "required": ["code", "message"],
            "properties": {"code": {"type": ["string", "integer"]},
                           "message": {"type": "string"}},
        }},
    },
    "Hit": {
        "type": "object", "required": ["id", "title", "url", "date", "lang", "score", "snippet"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "url": {"type": "string", "description": "Source URL; may be empty."},
            "date": {"type": ["string", "null"], "format": "date"},
            "lang": {"type": "string", "enum": list(LANGS)},
            "score": {"type": "number"},
            "snippet": {"type": "string",
                        "description": "Escaped HTML; matched words are in <mark>."},
        },
    },
    "SearchResults": {
        "type": "object",
        "required": ["query", "total", "page", "per_page", "took_ms", "hits"],
        "properties": {
            "query": {"type": "string"},
            "total": {"type": "integer", "minimum": 0},
            "total_exact": {"type": "boolean",
                            "description": "false: over 2,000 matches; total is an estimate."},
            "all_words": {"type": "integer", "minimum": 0,
                          "description": "Documents with every word of the query. Fewer than "
                                         "total when the results were filled up with documents "
                                         "that have only some of the words; those come after."},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "took_ms": {"type": "number", "minimum": 0},
            "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
            "corrected": {
                "description": "What was searched instead of the query, and why.",
                "oneOf": [
                    {"type": "null"},
                    {"type": "object", "required": ["query", "reason"],
                     "properties": {"query": {"type": "string"},
                                    "reason": {"type": "string",
                                               "enum": ["layout", "spelling"]}}},
                ],
            },
            "suggestion": {"type": ["string", "null"],
                           "description": "A 'did you mean' query, offered but not searched."},
        },
    },
    "Suggestions": {
        "type": "object", "required": ["query", "suggestions"],
        "properties": {
            "query": {"type": "string", "description": "q with surrounding spaces stripped."},
            "suggestions": {
                "type": "array", "maxItems": MAX_SUGGEST, "items": {"type": "string"},
                "description": "Index words completing the last word of the query (earlier "
                               "words kept as typed), most frequent first; then titles of "
                               "documents that start with the query.",
            },
        },
    },
    "Health": {
        "type": "object", "required": ["status", "index_readable", "doc_count", "generation"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "unavailable"]},
            "index_readable": {"type": "boolean"},
            "doc_count": {"type": "integer", "minimum": 0},
            "generation": {"type": ["integer", "null"]},
            "message": {"type": "string"},
        },
    },
}


def _json(ref, description):
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def spec() -> dict:
    """The OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "News search API", "version": "1.0.0",
                 "description": "Full-text search of Ukrainian and Russian news."},
        "paths": {
            "/api/search": {"get": {
                "operationId": "search",
                "summary": "Ranked search results, one page at a time.",
                "parameters": SEARCH_PARAMS,
                "responses": {
                    "200": _json("SearchResults", "A page of results."),
                    "400": _error("Missing, empty or invalid parameter, or a query with "
                                  "no words."),
                    "503": _error("The index has not been built yet."),
                },
            }},
            "/api/suggest": {"get": {
                "operationId": "suggest",
                "summary": "Completions of a partly typed query, for suggest-as-you-type.",
                "parameters": SUGGEST_PARAMS,
                "responses": {
                    "200": {**_json("Suggestions", "Completions; possibly none."),
                            "headers": {"Cache-Control": {
                                "description": "Cacheable for a minute.",
                                "schema": {"type": "string", "const": "max-age=60"}}}},
                    "400": _error(f"Missing or empty q, q longer than {MAX_SUGGEST_CHARS} "
                                  "characters, or an invalid limit."),
                    "503": _error("The index has not been built yet."),
                },
            }},
            "/healthz": {"get": {
                "operationId": "health",
                "summary": "Whether the index is readable, its size and generation.",
                "responses": {
                    "200": _json("Health", "The index is readable."),
                    "503": _json("Health", "There is no readable index."),
                },
            }},
        },
        "components": {"schemas": SCHEMAS},
    }
