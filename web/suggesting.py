"""Suggest as you type: completions of what is in the search box, for the JSON API."""

from dataclasses import dataclass

from search.query.suggest import complete, complete_title
from web.index import get_engine
from web.searching import ParamError, _int

MAX_SUGGEST_CHARS = 100
DEFAULT_SUGGEST = 10
MAX_SUGGEST = 20
SUGGEST_ARGS = ("q", "limit")


@dataclass
class SuggestParams:
    """Validated suggest parameters."""

    q: str
    limit: int = DEFAULT_SUGGEST


def parse_suggest_params(args) -> SuggestParams:
    """SuggestParams from request arguments, or ParamError."""
    q = args.get("q", "").strip()
    if not q:
        raise ParamError("q", "the text to complete 'q' is missing or empty")
    if len(q) > MAX_SUGGEST_CHARS:
        raise ParamError("q", f"'q' is longer than {MAX_SUGGEST_CHARS} characters")
    return SuggestParams(q=q, limit=_int(args, "limit", DEFAULT_SUGGEST, 1, MAX_SUGGEST))


def _suggest(reader, q: str, limit: int) -> list[str]:
    # Words of the index first (the last word completed, most frequent first), then titles.
    found = complete(reader, q, limit, cased=True)
    if len(found) < limit:
        found += complete_title(reader, q, limit)
    return list(dict.fromkeys(found))[:limit]


def suggest(params: SuggestParams) -> list[str]:
    """Up to params.limit completions (IndexUnavailable passes through)."""
    return get_engine().with_reader(_suggest, params.q, params.limit)
