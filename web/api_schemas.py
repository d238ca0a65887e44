"""JSON Schemas of the API's bodies, for its OpenAPI document."""

from search.ingest.records import MAX_ID_CHARS
from search.morph import LANGS
from web.suggesting import MAX_SUGGEST

DATE_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"


def _facet(description):
    return {"type": "array", "items": {"$ref": "#/components/schemas/FacetValue"},
            "description": description}


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
        "type": "object",
        "required": ["id", "title", "title_html", "url", "date", "lang", "source", "score",
                     "snippet"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "title_html": {"type": "string",
                           "description": "The title as escaped HTML, matched words in <mark>."},
            "url": {"type": ["string", "null"], "description": "Source URL, or null."},
            "date": {"type": ["string", "null"], "pattern": DATE_PATTERN,
                     "description": "To its precision: YYYY, YYYY-MM or YYYY-MM-DD; or null."},
            "lang": {"type": "string", "enum": list(LANGS)},
            "source": {"type": ["string", "null"],
                       "description": "The site or publication, or null when unknown."},
            "score": {"type": "number"},
            "snippet": {"type": "string",
                        "description": "Escaped HTML; matched words are in <mark>. Leaves out "
                                       "the title when the text starts with it."},
            "duplicates": {"type": "integer", "minimum": 0,
                           "description": "Near-duplicates (syndicated copies) of this hit "
                                          "among the results, shown once as it; GET "
                                          "/api/doc/{id} lists them."},
        },
    },
    "FacetValue": {
        "type": "object", "required": ["value", "count"],
        "properties": {"value": {"type": "string"}, "count": {"type": "integer", "minimum": 1}},
    },
    "Facets": {
        "type": "object", "required": ["lang", "year", "month", "source"],
        "description": "Counts over every match of the query with its filters. Documents "
                       "without a date or source are not counted in those facets.",
        "properties": {
            "lang": _facet("Languages, by count."),
            "year": _facet("Years (YYYY), newest first."),
            "month": _facet("Months (YYYY-MM), only when from and to lie within one "
                            "calendar year; else empty."),
            "source": _facet("Sources (sites, publications), by count; at most 50."),
        },
    },
    "Document": {
        "type": "object",
        "required": ["id", "title", "url", "date", "lang", "source", "body", "title_html",
                     "body_html", "matches"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "url": {"type": ["string", "null"]},
            "date": {"type": ["string", "null"], "pattern": DATE_PATTERN},
            "lang": {"type": "string", "enum": list(LANGS)},
            "source": {"type": ["string", "null"]},
            "body": {"type": "string", "description": "The stored text."},
            "title_html": {"type": "string", "description": "Escaped HTML; q's words in <mark>."},
            "body_html": {"type": "string",
                          "description": "Escaped HTML; q's words in <mark>, the first one "
                                         "with id=\"first-match\"."},
            "matches": {"type": "integer", "minimum": 0,
                        "description": "Words marked in the title and body."},
            "copies": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"},
                       "description": "Near-duplicates of the document (the same text from "
                                      "other sources, lightly edited)."},
        },
    },
    "Related": {
        "type": "object", "required": ["hits"],
        "properties": {"hits": {"type": "array",
                                "items": {"$ref": "#/components/schemas/Hit"}}},
    },
    "SearchResults": {
        "type": "object",
        "required": ["query", "total", "total_exact", "all_words", "page", "per_page",
                     "took_ms", "hits", "facets", "corrected", "suggestion",
                     "crosslang"],
        "properties": {
            "query": {"type": "string"},
            "total": {"type": "integer", "minimum": 0},
            "total_exact": {"type": "boolean",
                            "description": "Whether total is an exact count (always true: "
                                           "every match is counted)."},
            "all_words": {"type": "integer", "minimum": 0,
                          "description": "Documents with every word of the query. Fewer than "
                                         "total when the results were filled up with documents "
                                         "that have only some of the words; those come after."},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "took_ms": {"type": "number", "minimum": 0},
            "total_collapsed": {"type": "integer", "minimum": 0,
                                "description": "Results shown once near-duplicates are "
                                               "collapsed (equal to total with collapse=0)."},
            "cached": {"type": "boolean",
                       "description": "Whether the answer came from the results cache."},
            "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
            "facets": {"$ref": "#/components/schemas/Facets"},
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
            "crosslang": {
                "description": "Query words that also matched through the other language or "
                               "script (Путін → ru путин, Erdogan → эрдоган); empty with "
                               "exact=1.",
                "type": "array",
                "items": {"type": "object", "required": ["word", "lang", "terms"],
                          "properties": {"word": {"type": "string"},
                                         "lang": {"type": "string", "enum": ["uk", "ru"]},
                                         "terms": {"type": "array",
                                                   "items": {"type": "string"}}}},
            },
            "partial": {"type": "boolean",
                        "description": "Only with a cluster backend (SEARCH_BACKEND "
                                       "sphinxql://): true when a shard did not answer and the "
                                       "results are incomplete."},
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


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description):
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


_TEXT = {"type": "string", "maxLength": 100_000}
INGEST_SCHEMAS = {
    "IngestDocument": {
        "type": "object", "required": ["id"],
        "description": "A document as in a .jsonl record. One of text or body is required; "
                       "an id already indexed is replaced.",
        "properties": {
            "id": {"type": ["string", "integer"], "minLength": 1, "maxLength": MAX_ID_CHARS,
                   "pattern": r"\S"},
            "title": {**_TEXT, "description": "Left out: the text's first sentence is shown."},
            "text": {**_TEXT, "description": "The article's text."},
            "body": {**_TEXT, "description": "The same as text (either may be given)."},
            "summary": {**_TEXT, "description": "A lead, put before the text."},
            "date": {"type": "string", "description": "YYYY-MM-DD (or YYYY-MM, YYYY, or an "
                     "ISO date and time)", "examples": ["2024-05-01"]},
            "lang": {"type": "string", "enum": ["", *LANGS],
                     "description": "Detected from the text when absent."},
            "url": {"type": "string"},
            "site": {"type": "string", "description": "The site or publication (or source)."},
            "source": {"type": "string"},
        },
    },
    "Accepted": {
        "type": "object", "required": ["accepted", "ids"], "additionalProperties": False,
        "properties": {"accepted": {"type": "integer", "minimum": 1},
                       "ids": {"type": "array", "items": {"type": "string"}}},
    },
    "Deleted": {
        "type": "object", "required": ["deleted"], "additionalProperties": False,
        "properties": {"deleted": {"type": "boolean"}},
    },
}
SECURITY_SCHEMES = {"writeToken": {
    "type": "http", "scheme": "bearer",
    "description": "The server's SEARCH_WRITE_TOKEN; writes are disabled (403) without it."}}
_WRITE_ERRORS = {
    "401": _error("The Authorization header is missing or its token is wrong."),
    "403": _error("Writes are disabled on this server (no SEARCH_WRITE_TOKEN)."),
}
INGEST_PATHS = {
    "/api/documents": {"post": {
        "operationId": "putDocuments", "security": [{"writeToken": []}],
        "summary": "Add or replace documents; answered once they are durable, searchable "
                   "within about a second.",
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"oneOf": [
                _ref("IngestDocument"),
                {"type": "array", "minItems": 1, "items": _ref("IngestDocument")}]}},
            "application/x-ndjson": {"schema": {
                "type": "string", "description": "One IngestDocument a line."}},
        }},
        "responses": {
            "200": {"description": "Every document was accepted (stored durably).",
                    "content": {"application/json": {"schema": _ref("Accepted")}}},
            "400": _error("A body that is not JSON, or an invalid document: the message "
                          "names the record (from 1) and the field; nothing is stored."),
            **_WRITE_ERRORS,
            "413": _error("The body is larger than the server's limit (16 MB by default)."),
        },
    }},
    "/api/documents/{doc_id}": {"delete": {
        "operationId": "deleteDocument", "security": [{"writeToken": []}],
        "summary": "Delete a document; it leaves the results within about a second.",
        "parameters": [{"name": "doc_id", "in": "path", "required": True,
                        "schema": {"type": "string"}, "description": "The document's id."}],
        "responses": {
            "200": {"description": "Whether there was such a document.",
                    "content": {"application/json": {"schema": _ref("Deleted")}}},
            **_WRITE_ERRORS,
            "404": _error("An id a URL path cannot carry (a line break)."),
        },
    }},
}
