"""What a search returns: a page of hits with their snippets, totals and facets."""

from dataclasses import asdict, dataclass, field

# The deepest page any client (CLI, page, API) may ask for: deeper pages cost a lot and nobody
# reads them.
MAX_PAGE = 1000


@dataclass
class Hit:
    """One search result."""

    id: str
    title: str
    url: str | None
    date: str | None  # to its known precision: "2011", "2011-07" or "2011-07-26"
    lang: str
    score: float
    snippet: str
    title_html: str
    source: str | None = None  # the site or publication
    duplicates: int = 0  # near-duplicates among the results, shown once as this hit


@dataclass
class Results:
    """A page of search results."""

    query: str
    total: int
    page: int
    per_page: int
    took_ms: float
    hits: list[Hit] = field(default_factory=list)
    # What was searched instead of the query, and why ("layout" or "spelling"), or None.
    corrected: dict | None = None
    suggestion: str | None = None  # a "did you mean" query, offered but not searched
    total_exact: bool = True  # totals are always counted now; kept for API compatibility
    # Documents with every word of the query; fewer than total when the results also have
    # documents with some of the words (ranked after these).
    all_words: int = 0
    facets: dict[str, list[dict]] = field(default_factory=dict)
    # Query words that also matched through the other language or script: {"word", "lang",
    # "terms"} each (Путін → ru путин); empty in an exact search.
    crosslang: list[dict] = field(default_factory=list)
    # Results once near-duplicates are shown once (total counts every document).
    total_collapsed: int = 0
    cached: bool = False  # answered from the results cache

    def to_dict(self) -> dict:
        return asdict(self)


def shown_date(stored: dict) -> str | None:
    """A stored date as text, to the precision it is known."""
    date = stored.get("date")
    if not date:
        return None
    precision = stored.get("date_precision")
    if precision == "year":
        return f"{date.year:04d}"
    if precision == "month":
        return f"{date.year:04d}-{date.month:02d}"
    return date.date().isoformat()


TITLE_CHARS = 100  # a title made up from the body's first sentence is cut near this length


def short_title(title: str, limit: int = TITLE_CHARS) -> str:
    """The title cut at a word boundary near limit characters, with "…", if longer."""
    if len(title) <= limit + 10:  # a few characters over is not worth a cut
        return title
    cut = title.rfind(" ", 0, limit + 1)
    return title[:cut if cut > limit // 2 else limit].rstrip(" ,;:–—-") + "…"
