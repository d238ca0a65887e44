"""The one search function that the CLI, the page and the API all call."""

import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from whoosh import query as wq
from whoosh.scoring import BM25F

from search import store
from search.morph import LANGS
from search.query import parse_query
from search.snippets import highlight, snippet

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

    def doc_count(self) -> int:
        return self.searcher().doc_count()

    def generation(self) -> int:
        """A number that grows with every commit and every switch of generation."""
        s = self.searcher()
        return store.generation_number(self._path) * 1_000_000 + s.ixreader.generation()

    def search(self, text: str, page: int = 1, per_page: int = 10, langs=LANGS,
               sort: str = "relevance", date_from: datetime | None = None,
               date_to: datetime | None = None) -> Results:
        """Ranked results for a user query: one page, with snippets."""
        started = time.perf_counter()
        s = self.searcher()
        parsed = parse_query(text, langs=langs, reader=s.reader())
        filters = [wq.Or([wq.Term("lang", lang) for lang in langs])]
        if date_from or date_to:
            filters.append(wq.DateRange("date", date_from, date_to))
        page_obj = s.search_page(
            parsed.query, page, pagelen=per_page, filter=wq.And(filters),
            sortedby="date" if sort == "date" else None, reverse=sort == "date",
        )
        hits = []
        if (page - 1) * per_page < page_obj.total:  # Whoosh clamps a page past the end
            for hit in page_obj:
                stored = hit.fields()
                lang, terms = stored["lang"], parsed.terms.get(stored["lang"], set())
                hits.append(Hit(
                    id=stored["id"], title=stored["title"], url=stored.get("url") or "",
                    date=stored["date"].date().isoformat() if stored.get("date") else None,
                    lang=lang, score=round(hit.score or 0.0, 4),
                    snippet=snippet(stored["body"], lang, terms, parsed.prefixes),
                    title_html=highlight(stored["title"], lang, terms, parsed.prefixes),
                ))
        took = (time.perf_counter() - started) * 1000
        return Results(query=text, total=page_obj.total, page=page, per_page=per_page,
                       took_ms=round(took, 1), hits=hits)

    def document(self, doc_id: str) -> dict | None:
        """Stored fields of one document, or None."""
        return self.searcher().document(id=doc_id)
