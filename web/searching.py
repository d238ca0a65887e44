"""The one search call behind both the HTML page and the JSON API: validate, then search."""

from dataclasses import dataclass
from datetime import date, datetime, time

from flask import current_app
from werkzeug.datastructures import MultiDict

from search.engine import MAX_PAGE, SORTS, Results
from search.morph import LANGS
from web.index import get_engine
from web.metrics import record_search

MAX_QUERY_CHARS = 500
MAX_SOURCES = 20  # source filters per request
MAX_SOURCE_CHARS = 200
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 10


class ParamError(ValueError):
    """A request parameter is missing or invalid (HTTP 400)."""

    def __init__(self, param: str, message: str, code: str = "invalid_parameter"):
        super().__init__(message)
        self.param = param
        self.message = message
        self.code = code


@dataclass
class SearchParams:
    """Validated search parameters."""

    q: str
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    lang: str = ""  # "" means all languages
    sort: str = "relevance"
    date_from: date | None = None
    date_to: date | None = None
    exact: bool = False  # search the query as typed: no layout or spelling correction
    sources: tuple[str, ...] = ()  # only documents of these sources (sites, publications)
    collapse: bool = True  # near-duplicates (syndicated copies) shown once


SEARCH_ARGS = ("q", "page", "per_page", "lang", "sort", "from", "to", "exact", "source",
               "collapse")


def check_known(args, known) -> None:
    """ParamError naming the first argument that is not one of known."""
    for name in args:
        if name not in known:
            raise ParamError(name, f"unknown parameter '{name}'; known: {', '.join(known)}",
                             "unknown_parameter")


def args_from_json(body) -> MultiDict:
    """Request arguments from a JSON object body, typed values written as a query string has
    them (lists repeat the argument; null means absent)."""
    if not isinstance(body, dict):
        raise ParamError("body", "the request body must be a JSON object of parameters")
    args = MultiDict()
    for name, value in body.items():
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            if isinstance(item, bool):
                item = "1" if item else "0"
            elif isinstance(item, int):
                item = str(item)
            elif not isinstance(item, str):
                raise ParamError(name, f"'{name}' must be a string, a whole number, true/false "
                                 "or a list of those")
            args.add(name, item)
    return args


def _int(args, name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name, "")
    if raw == "":
        return default
    if not raw.isascii() or not raw.isdigit():
        raise ParamError(name, f"'{name}' must be a whole number from {low} to {high}")
    value = int(raw)
    if not low <= value <= high:
        raise ParamError(name, f"'{name}' must be from {low} to {high}")
    return value


def _date(args, name: str) -> date | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise ParamError(name, f"'{name}' must be a date as YYYY-MM-DD") from None


def _sources(args) -> tuple[str, ...]:
    raw = [s.strip() for s in args.getlist("source") if s.strip()]
    if len(raw) > MAX_SOURCES:
        raise ParamError("source", f"at most {MAX_SOURCES} 'source' values")
    if any(len(s) > MAX_SOURCE_CHARS for s in raw):
        raise ParamError("source", f"a 'source' is longer than {MAX_SOURCE_CHARS} characters")
    return tuple(dict.fromkeys(raw))


def _choice(args, name: str, allowed, default: str) -> str:
    raw = args.get(name, "")
    if raw == "":
        return default
    if raw not in allowed:
        raise ParamError(name, f"'{name}' must be one of: {', '.join(allowed)}")
    return raw


def parse_params(args) -> SearchParams:
    """SearchParams from request arguments, or ParamError."""
    q = args.get("q", "")
    if not q.strip():
        raise ParamError("q", "the query 'q' is missing or empty")
    if len(q) > MAX_QUERY_CHARS:
        raise ParamError("q", f"the query is longer than {MAX_QUERY_CHARS} characters")
    params = SearchParams(
        q=q.strip(),
        page=_int(args, "page", 1, 1, MAX_PAGE),
        per_page=_int(args, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE),
        lang=_choice(args, "lang", LANGS, ""),
        sort=_choice(args, "sort", SORTS, "relevance"),
        date_from=_date(args, "from"),
        date_to=_date(args, "to"),
        exact=_choice(args, "exact", ("0", "1"), "0") == "1",
        sources=_sources(args),
        collapse=_choice(args, "collapse", ("0", "1"), "1") == "1",
    )
    if params.date_from and params.date_to and params.date_from > params.date_to:
        raise ParamError("from", "'from' is after 'to'")
    return params


def cluster_backend() -> bool:
    """Whether this app searches a cluster (which does not rank by freshness: docs/deploy.md
    says why)."""
    return current_app.config.get("SEARCH_BACKEND", "whoosh") != "whoosh"


def execute(params: SearchParams) -> Results:
    """Run validated params on this app's engine (QueryError, IndexUnavailable pass through)."""
    if cluster_backend() and params.sort == "recent":
        raise ParamError("sort", "sort=recent is not available on the cluster backend")
    return get_engine().search(
        params.q, page=params.page, per_page=params.per_page,
        langs=(params.lang,) if params.lang else LANGS, sort=params.sort,
        date_from=datetime.combine(params.date_from, time.min) if params.date_from else None,
        # The "to" day is included whole.
        date_to=datetime.combine(params.date_to, time.max) if params.date_to else None,
        forgiving=not params.exact, sites=params.sources, collapse=params.collapse,
    )


def run_search(args) -> tuple[SearchParams, Results]:
    """Validate request arguments and search: the single computation both renderings use."""
    params = parse_params(args)
    res = execute(params)
    record_search(getattr(res, "cached", False))
    return params, res


def shown_total(params: SearchParams, res: Results) -> int:
    """Results to page through: copies shown once unless collapse=0."""
    return res.total_collapsed if params.collapse else res.total
