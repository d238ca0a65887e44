"""The one search function that the CLI, the page and the API all call."""

import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import numpy as np
from whoosh.scoring import BM25F

from search.engine.arrays import CACHE_BYTES, NO_DATE, ArrayCache
from search.engine.filters import Filters, facets
from search.engine.policy import DEFAULT, Policy
from search.engine.ranking import Ranked, rank
from search.engine.related import related
from search.engine.results import Hit, Results, short_title, shown_date
from search.engine.view import IndexView
from search.ingest import store
from search.ingest.readers import reopen
from search.morph import LANGS
from search.query.correct import FEW_RESULTS, layout_fix, spelling_fix
from search.query.crosslang import english_names, word_pairs
from search.query.parse import Parsed, parse_query
from search.query.plan import Plan
from search.query.spelling import vocabulary
from search.query.suggest import complete
from search.schema import KINDS
from search.snippets import highlight, snippet

SORTS = ("relevance", "date", "recent")
CACHE_SIZE = 512  # results kept per process, per index generation
# Following a commit costs this process a refresh (new segments' arrays, the view's
# near-duplicate groups). One cheaper than REFRESH_FREE CPU seconds is done at the first search
# after the commit; a costlier one is not repeated for as long as it took (at least half of the
# time left to searching), nor longer than REFRESH_MAX_WAIT, as Elasticsearch's refresh_interval.
REFRESH_FREE = 0.1
REFRESH_MAX_WAIT = 1.0


@dataclass
class _Found:
    """One run of a query: its parse and its ranking."""

    parsed: Parsed
    ranked: Ranked


class Engine:
    """An open index with a reused searcher that follows commits and full-reindex switches."""

    def __init__(self, index_dir, cache_size: int = CACHE_SIZE, array_bytes: int = CACHE_BYTES,
                 policy: Policy = DEFAULT, arrays: ArrayCache | None = None):
        self.index_dir = Path(index_dir)
        self.policy = policy
        # Arrays of every generation's segments; a gunicorn master fills one for its workers.
        self.arrays = arrays if arrays is not None else ArrayCache(array_bytes)
        self._path = None  # the generation folder the searcher reads
        self._searcher = None
        self._view: IndexView | None = None
        self._cache: OrderedDict = OrderedDict()
        self._cache_size = cache_size
        self._next_refresh = 0.0  # (monotonic) no commit is followed before this
        self.refresh_seconds = 0.0  # what following the last commit took
        self._groups_used = False  # whether searches here collapse near-duplicates

    def searcher(self, fresh: bool = False):
        """A searcher on the latest committed state of the current generation (fresh), or, while
        the last refresh was slow, one up to REFRESH_MAX_WAIT behind it."""
        path = store.current_path(self.index_dir)
        if self._searcher is None or path != self._path:
            # First use, or a full reindex switched `current`.
            self._open(path, refresh=False)
        elif (fresh or time.monotonic() >= self._next_refresh) and \
                not self._searcher.up_to_date():
            # Its cost in CPU: on a busy machine the wall time counts others' work too.
            cpu = time.thread_time()
            self._open(path, refresh=True)
            took = time.thread_time() - cpu
            self.refresh_seconds = took
            self._next_refresh = time.monotonic() + (
                min(took, REFRESH_MAX_WAIT) if took > REFRESH_FREE else 0.0)
        return self._searcher

    def _open(self, path, refresh: bool) -> None:
        for attempt in range(3):
            try:
                ix = store.open_current(self.index_dir, create=False)
                if refresh:
                    self._searcher = reopen(ix, self._searcher)
                else:
                    self.close()
                    self._searcher = ix.searcher(weighting=BM25F())
                self._path, self._view = path, None
                # Map the new segments' files now: a later commit may merge them away.
                view = self.view(self._searcher)
                view.warm(self._fields())
                vocabulary(self._searcher.reader())
                if refresh and self._groups_used:
                    # Searches here collapse copies: pay for the groups here, where the
                    # refresh's cost is measured and paced, not in the next search.
                    view.copies()
                return
            except FileNotFoundError:
                # A commit merged away a segment (or its TOC) just read: read them again.
                if attempt == 2:
                    raise

    def view(self, s=None) -> IndexView:
        """The arrays of a searcher (the current one by default)."""
        s = s or self.searcher()
        if self._view is None or self._view.searcher is not s:
            self._view = IndexView(s, self.arrays)
        return self._view

    def close(self):
        if self._searcher is not None:
            try:
                self._searcher.close()
            except OSError:
                pass  # its generation may be gone already; nothing left to release
            self._searcher = None
            self._view = None

    @staticmethod
    def _fields() -> list[str]:
        return [f"{kind}_{lang}" for kind in KINDS for lang in LANGS]

    def warm(self) -> None:
        """Build the spelling and completion tables and map the index's arrays now."""
        complete(self.searcher().reader(), "а")
        word_pairs(), english_names()  # the cross-language tables (CLDR through babel)
        self.view().warm(self._fields())

    def doc_count(self) -> int:
        return self.searcher().doc_count()

    def stats(self) -> dict:
        """Documents, segments and the time of the last commit (Unix seconds)."""
        s = self.searcher()
        tocs = list(self._path.glob("_*.toc")) if self._path else []
        return {"documents": s.doc_count(), "segments": len(s.leaf_searchers()),
                "last_commit": max((t.stat().st_mtime for t in tocs), default=None)}

    def generation(self) -> int:
        """A number that grows with every commit and every switch of generation."""
        return self._generation(self.searcher())

    def _generation(self, s) -> int:
        return store.generation_number(self._path) * 1_000_000 + s.ixreader.generation()

    def search(self, text: str, page: int = 1, per_page: int = 10, langs=LANGS,
               sort: str = "relevance", date_from: datetime | None = None,
               date_to: datetime | None = None, forgiving: bool = True,
               sites=(), collapse: bool = True) -> Results:
        """Ranked results for a user query: one page, with snippets, totals and facets.

        With forgiving on, a query typed in the wrong keyboard layout is searched as retyped,
        and one that finds nothing is searched with its misspelt words corrected. Results are
        cached per index generation: a new commit or a full reindex starts a fresh cache.
        With collapse on, near-duplicates (syndicated copies) show once, as the best-ranked.
        """
        started = time.perf_counter()
        self._groups_used = self._groups_used or collapse
        # One searcher() call per search: a second one could see a full reindex's switch and
        # close the searcher this search is still reading from.
        s = self.searcher()
        filters = Filters(tuple(langs), date_from, date_to, tuple(sites))
        key = (self._generation(s), text, page, per_page, sort, filters, forgiving, collapse)
        if key in self._cache:
            self._cache.move_to_end(key)
            took = round((time.perf_counter() - started) * 1000, 1)
            return replace(self._cache[key], took_ms=took, cached=True)
        res = self._search(s, text, page, per_page, sort, filters, forgiving, collapse)
        res.took_ms = round((time.perf_counter() - started) * 1000, 1)
        if self._cache_size:
            if self._cache and next(iter(self._cache))[0] != key[0]:
                self._cache.clear()  # the index changed: every entry is stale
            self._cache[key] = res
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return res

    def _search(self, s, text, page, per_page, sort, filters, forgiving, collapse) -> Results:
        reader = s.reader()
        view = self.view(s)
        allowed = filters.mask(view)
        run = lambda q: self._run(view, q, page, per_page, sort, filters.langs, allowed,  # noqa: E731
                                  forgiving, collapse)
        corrected, suggestion = None, None
        fixed = layout_fix(text, reader, filters.langs) if forgiving else None
        if fixed:
            corrected = {"query": fixed, "reason": "layout"}
        found = run(fixed or text)
        # Judged by the documents with every word: results that have the correctly spelt word
        # alone must not hide the misspelt one.
        if forgiving and not fixed and found.ranked.all_words < FEW_RESULTS:
            better = spelling_fix(text, reader, filters.langs,
                                  real_words=found.ranked.all_words == 0)
            again = run(better) if better and found.ranked.all_words == 0 else None
            if again is not None and again.ranked.all_words:  # never a query that finds some
                found, corrected = again, {"query": better, "reason": "spelling"}
            elif better:
                suggestion = better
        ranked = found.ranked
        hits = [self._hit(s, int(d), float(score), found.parsed)
                for d, score in zip(ranked.docs, ranked.scores, strict=True)]
        for hit, dups in zip(hits, ranked.duplicates.tolist(), strict=True):
            hit.duplicates = dups
        return Results(query=text, total=ranked.total, page=page, per_page=per_page,
                       took_ms=0.0, hits=hits, corrected=corrected, suggestion=suggestion,
                       all_words=ranked.all_words, crosslang=found.parsed.crosslang,
                       facets=facets(view, ranked.matched, filters),
                       total_collapsed=ranked.shown)

    def _run(self, view, text, page, per_page, sort, langs, allowed, cross=True,
             collapse=True) -> _Found:
        parsed = parse_query(text, langs=langs, reader=view.searcher.reader(), crosslang=cross)
        ranked = rank(view, parsed.plan, allowed, (page - 1) * per_page, page * per_page, sort,
                      self.policy, collapse)
        return _Found(parsed, ranked)

    @staticmethod
    def _hit(s, docnum: int, score: float, parsed: Parsed) -> Hit:
        stored = s.stored_fields(docnum)
        lang, terms = stored["lang"], parsed.terms.get(stored["lang"], set())
        title = stored["title"]
        if not s.doc_field_length(docnum, f"title_{lang}"):  # made up from the first sentence
            title = short_title(title)
        return Hit(
            id=stored["id"], title=title, url=stored.get("url") or None,
            date=shown_date(stored), lang=lang, score=round(score, 4),
            snippet=snippet(stored["body"], lang, terms, parsed.prefixes),
            title_html=highlight(title, lang, terms, parsed.prefixes),
            source=stored.get("site") or None,
        )

    def document(self, doc_id: str, fresh: bool = False) -> dict | None:
        """Stored fields of one document, or None (fresh: as of the latest commit)."""
        return self.searcher(fresh).document(id=doc_id)

    def _docnum(self, s, doc_id: str) -> int | None:
        docnum = s.document_number(id=doc_id)
        return None if docnum is None or not self.view(s).live()[docnum] else int(docnum)

    def related(self, doc_id: str, per_page: int = 5) -> list[Hit] | None:
        """Documents most like doc_id (more like this), without it and its copies; None if no
        such document."""
        s = self.searcher()
        docnum = self._docnum(s, doc_id)
        if docnum is None:
            return None
        stored = s.stored_fields(docnum)
        _, docs, scores = related(self.view(s), docnum, stored, per_page, self.policy)
        # Snippets are the articles' openings: a list of related articles marks no words.
        plain = Parsed(plan=Plan())
        return [self._hit(s, int(d), float(score), plain)
                for d, score in zip(docs, scores, strict=True)]

    def copies(self, doc_id: str) -> list[Hit] | None:
        """Near-duplicates of doc_id (newest first), without it; None if no such document."""
        s = self.searcher()
        docnum = self._docnum(s, doc_id)
        if docnum is None:
            return None
        view = self.view(s)
        label, has_copies = view.copies()
        if not has_copies[docnum]:
            return []
        same = np.flatnonzero((label == label[docnum]) & view.live())
        same = same[same != docnum]
        order = np.lexsort((same, -np.where(view.dates()[same] == NO_DATE, -1,
                                             view.dates()[same]).astype(np.float64)))
        empty = Parsed(plan=Plan())
        return [self._hit(s, int(d), 0.0, empty) for d in same[order]]
