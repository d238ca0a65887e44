"""The one search function that the CLI, the page and the API all call."""

import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from whoosh import query as wq
from whoosh.scoring import BM25F

from search import store
from search.correct import FEW_RESULTS, layout_fix, spelling_fix
from search.morph import LANGS
from search.query import parse_query
from search.snippets import highlight, snippet
from search.suggest import complete

SORTS = ("relevance", "date")


@dataclass
class Hit:
    """One search result."""

    id: str
    title: str
    url: str
    date: str | None
    lang: str
    score: float
    snippet: str
    title_html: str


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

    def to_dict(self) -> dict:
        return asdict(self)


class Engine:
    """An open index with a reused searcher that follows commits and full-reindex switches."""

    def __init__(self, index_dir):
        self.index_dir = Path(index_dir)
        self._path = None  # the generation folder the searcher reads
        self._searcher = None

    def searcher(self):
        """A searcher on the latest committed state of the current generation."""
        path = store.current_path(self.index_dir)
        if self._searcher is None or path != self._path:
            # First use, or a full reindex switched `current`: open the new generation.
            ix = store.open_current(self.index_dir, create=False)
            self.close()
            self._path, self._searcher = path, ix.searcher(weighting=BM25F())
        elif not self._searcher.up_to_date():
            self._searcher = self._searcher.refresh()
        return self._searcher

    def close(self):
        if self._searcher is not None:
            try:
                self._searcher.close()
            except OSError:
                pass  # its generation may be gone already; nothing left to release
            self._searcher = None

    def warm(self) -> None:
        """Build the spelling and completion tables of this generation now, not mid-request."""
        complete(self.searcher().reader(), "а")

    def doc_count(self) -> int:
        return self.searcher().doc_count()

    def generation(self) -> int:
        """A number that grows with every commit and every switch of generation."""
        s = self.searcher()
        return store.generation_number(self._path) * 1_000_000 + s.ixreader.generation()

    def search(self, text: str, page: int = 1, per_page: int = 10, langs=LANGS,
               sort: str = "relevance", date_from: datetime | None = None,
               date_to: datetime | None = None, forgiving: bool = True) -> Results:
        """Ranked results for a user query: one page, with snippets.

        With forgiving on, a query typed in the wrong keyboard layout is searched as retyped,
        and one that finds nothing is searched with its misspelt words corrected.
        """
        started = time.perf_counter()
        s = self.searcher()
        reader = s.reader()
        # No language filter: a query only names the fields of the languages asked for. Dates
        # narrow the query itself (a Whoosh filter would build a set of every matching doc).
        dates = wq.DateRange("date", date_from, date_to) if date_from or date_to else None
        args = dict(page=page, per_page=per_page, langs=langs, sort=sort, dates=dates)
        corrected, suggestion = None, None
        fixed = layout_fix(text, reader, langs) if forgiving else None
        if fixed:
            corrected = {"query": fixed, "reason": "layout"}
        parsed, page_obj = self._run(s, fixed or text, **args)
        if forgiving and not fixed and page_obj.total < FEW_RESULTS:
            better = spelling_fix(text, reader, langs)
            if better and page_obj.total == 0:
                parsed, page_obj = self._run(s, better, **args)
                corrected = {"query": better, "reason": "spelling"}
            elif better:
                suggestion = better
        hits = []
        if (page - 1) * per_page < page_obj.total:  # Whoosh clamps a page past the end
            hits = [self._hit(hit, parsed) for hit in page_obj]
        took = (time.perf_counter() - started) * 1000
        return Results(query=text, total=page_obj.total, page=page, per_page=per_page,
                       took_ms=round(took, 1), hits=hits, corrected=corrected,
                       suggestion=suggestion)

    @staticmethod
    def _run(s, text, page, per_page, langs, sort, dates):
        parsed = parse_query(text, langs=langs, reader=s.reader())
        for query in (parsed.query, parsed.fallback):
            if query is None:
                break
            page_obj = s.search_page(
                wq.And([query, dates]) if dates else query, page, pagelen=per_page,
                sortedby="date" if sort == "date" else None, reverse=sort == "date",
            )
            if page_obj.total:
                break
        return parsed, page_obj

    @staticmethod
    def _hit(hit, parsed) -> Hit:
        stored = hit.fields()
        lang, terms = stored["lang"], parsed.terms.get(stored["lang"], set())
        return Hit(
            id=stored["id"], title=stored["title"], url=stored.get("url") or "",
            date=stored["date"].date().isoformat() if stored.get("date") else None,
            lang=lang, score=round(hit.score or 0.0, 4),
            snippet=snippet(stored["body"], lang, terms, parsed.prefixes),
            title_html=highlight(stored["title"], lang, terms, parsed.prefixes),
        )

    def document(self, doc_id: str) -> dict | None:
        """Stored fields of one document, or None."""
        return self.searcher().document(id=doc_id)
