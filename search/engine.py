"""The one search function that the CLI, the page and the API all call."""

import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field, replace
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
COUNT_CAP = 2000  # matches counted one by one; past this the total is an estimate
FILL_COUNT_CAP = 200  # the same for the any-word matches that fill up a short page
CACHE_SIZE = 512  # results kept per process, per index generation


@dataclass
class _Found:
    """One run of a query: the hits of the page asked for and the total."""

    parsed: object
    hits: list
    total: int
    exact: bool
    full: int  # documents with every word (the rest of a page may be filled with fewer)


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
    total_exact: bool = True  # False: more than COUNT_CAP matches, total is an estimate
    # Documents with every word of the query; fewer than total when a short page was filled up
    # with documents that have some of the words (ranked after these).
    all_words: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


class Engine:
    """An open index with a reused searcher that follows commits and full-reindex switches."""

    def __init__(self, index_dir, cache_size: int = CACHE_SIZE):
        self.index_dir = Path(index_dir)
        self._path = None  # the generation folder the searcher reads
        self._searcher = None
        self._cache: OrderedDict = OrderedDict()
        self._cache_size = cache_size

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
        return self._generation(self.searcher())

    def _generation(self, s) -> int:
        return store.generation_number(self._path) * 1_000_000 + s.ixreader.generation()

    def search(self, text: str, page: int = 1, per_page: int = 10, langs=LANGS,
               sort: str = "relevance", date_from: datetime | None = None,
               date_to: datetime | None = None, forgiving: bool = True) -> Results:
        """Ranked results for a user query: one page, with snippets.

        With forgiving on, a query typed in the wrong keyboard layout is searched as retyped,
        and one that finds nothing is searched with its misspelt words corrected. Results are
        cached per index generation: a new commit or a full reindex starts a fresh cache.
        """
        started = time.perf_counter()
        # One searcher() call per search: a second one could see a full reindex's switch and
        # close the searcher this search is still reading from.
        s = self.searcher()
        key = (self._generation(s), text, page, per_page, tuple(langs), sort, date_from, date_to,
               forgiving)
        if key in self._cache:
            self._cache.move_to_end(key)
            took = round((time.perf_counter() - started) * 1000, 1)
            return replace(self._cache[key], took_ms=took)
        res = self._search(s, text, page, per_page, tuple(langs), sort, date_from, date_to,
                           forgiving)
        res.took_ms = round((time.perf_counter() - started) * 1000, 1)
        if self._cache and next(iter(self._cache))[0] != key[0]:
            self._cache.clear()  # the index changed: every entry is stale
        self._cache[key] = res
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return res

    def _search(self, s, text, page, per_page, langs, sort, date_from, date_to, forgiving):
        reader = s.reader()
        # No language filter: a query only names the fields of the languages asked for. Dates
        # narrow the query itself (a Whoosh filter would build a set of every matching doc).
        dates = wq.DateRange("date", date_from, date_to) if date_from or date_to else None
        args = dict(page=page, per_page=per_page, langs=langs, sort=sort, dates=dates)
        corrected, suggestion = None, None
        fixed = layout_fix(text, reader, langs) if forgiving else None
        if fixed:
            corrected = {"query": fixed, "reason": "layout"}
        found = self._run(s, fixed or text, **args)
        # Judged by the documents with every word: a page filled up with documents that have
        # the correctly spelt word alone must not hide the misspelt one.
        if forgiving and not fixed and found.full < FEW_RESULTS:
            better = spelling_fix(text, reader, langs)
            again = self._run(s, better, **args) if better and found.full == 0 else None
            if again is not None and (again.full or not found.total):
                found, corrected = again, {"query": better, "reason": "spelling"}
            elif better:
                suggestion = better
        hits = [self._hit(hit, found.parsed) for hit in found.hits]
        return Results(query=text, total=found.total, page=page, per_page=per_page,
                       took_ms=0.0, hits=hits, corrected=corrected, suggestion=suggestion,
                       total_exact=found.exact, all_words=found.full)

    @staticmethod
    def _run(s, text, page, per_page, langs, sort, dates) -> _Found:
        parsed = parse_query(text, langs=langs, reader=s.reader())
        want = page * per_page
        hits, total, exact = _top(s, parsed.query, want, sort, dates)
        full = total
        if parsed.fallback is not None and total < want:
            # Too few documents have every word of a 2-4 word query: fill up with those that
            # have some, ranked after the ones with all (a headline's words are rarely all in
            # its article).
            more, total, exact = _top(s, parsed.fallback, want + len(hits), sort, dates,
                                      cap=FILL_COUNT_CAP)
            seen = {h.docnum for h in hits}
            hits += [h for h in more if h.docnum not in seen]
        return _Found(parsed, hits[(page - 1) * per_page:want], total, exact, full)

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


def _top(s, query, limit, sort, dates, cap=None) -> tuple[list, int, bool]:
    """(best hits up to limit, total, total is exact) of one Whoosh query."""
    query = wq.And([query, dates]) if dates else query
    results = s.search(query, limit=limit, sortedby="date" if sort == "date" else None,
                       reverse=sort == "date")
    # results[:], not list(results): list() asks len(), and Whoosh's len() counts every match
    return results[:], *_count(s, query, results, cap or COUNT_CAP)


def _count(s, query, results, cap: int) -> tuple[int, bool]:
    """(total, exact): matches counted one by one up to cap, then extrapolated.

    Whoosh's own count is a second full pass over every match, as slow as the search itself
    for a frequent word in a large index.
    """
    if results.has_exact_length():
        return len(results), True
    n = 0
    for n, docnum in enumerate(_matching(s, query), 1):
        if n >= cap:
            # Matches come in document order and documents are in no topical order: the share
            # of the index the first matches span tells the total (Whoosh's own
            # estimate adds up its sub-queries' lengths and can exceed the index size).
            return min(s.doc_count(), round(n * s.doc_count_all() / (docnum + 1))), False
    return n, True


def _matching(s, query):
    """Document numbers matching query, in order, found by skipping from match to match.

    Not Whoosh's docs_for_query: its AND reads every posting of every word into sets, a
    full pass over both lists of "украина" and "весь" to find 64 documents.
    """
    for sub, offset in s.leaf_searchers():
        m = query.matcher(sub, sub.boolean_context())
        while m.is_active():
            yield offset + m.id()
            m.next()
