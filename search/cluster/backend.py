"""ClusterEngine: Engine.search() over a SphinxQL head node, returning the same Results."""

import logging
import threading
import time
from dataclasses import dataclass, fields

from search.cluster import matching, paging
from search.cluster.config import COPY_GROUP, dist_index
from search.cluster.errors import UNGROUPED, UNRANKED, ClusterError
from search.cluster.health import Health
from search.cluster.reads import RICH_WORK
from search.cluster.rescore import CANDIDATES, Stats
from search.cluster.routing import Routes
from search.cluster.rows import LANG_CODES, date_of, row_id
from search.cluster.shards import Ask
from search.cluster.store import META_QUERY, meta_of
from search.cluster.vocab import VocabReader, tally_path
from search.engine import Hit, Results
from search.morph import LANGS
from search.query.correct import FEW_RESULTS, layout_fix, spelling_fix
from search.query.parse import Parsed
from search.query.plan import Plan

META_SECONDS = 1.0
_COLS = matching.COLUMNS
_LANG_NAMES = {code: lang for lang, code in LANG_CODES.items()}
_RESULT_FIELDS = {f.name for f in fields(Results)}
log = logging.getLogger(__name__)


@dataclass
class ClusterResults(Results):
    """Results, plus whether a shard had no live mirror (then they are incomplete)."""

    partial: bool = False


@dataclass(frozen=True)
class Filters:
    langs: tuple = LANGS
    date_from: object = None
    date_to: object = None
    sites: tuple = ()


class _Searcher:
    """What web/index.py asks of a searcher: a reader (the vocabulary, for completions)."""

    def __init__(self, engine):
        self._engine = engine

    def reader(self):
        return self._engine.vocabulary()


class ClusterEngine:
    """The search backend `sphinxql://host:port`: the head of a sharded SphinxQL cluster."""

    def __init__(self, url: str, cache_size: int = 0):
        self.url = url
        self._lock = threading.Lock()
        self.health = Health()
        # A search's own statements go straight to the shards' mirrors (the head's hop skipped);
        # the head answers them when a shard cannot be reached from here, or one is down.
        self.routes = Routes(url, self.health, lambda: self._meta)
        self.client = self.routes.client
        self._vocab: tuple = (None, None)
        self._meta: dict | None = None
        self._meta_at = 0.0
        self.stats = Stats()  # the generation's statistics, for rescoring (matching.py)
        self._warned: set[str] = set()  # the warnings given (once per engine)
        self.candidates = CANDIDATES  # searchd's best rescored per query (a bench varies it)
        self.rich_work = RICH_WORK  # the most JSON cells read with the candidates (reads.py)
        self.last_candidates: list[int] = []  # their row ids, in searchd's order (bench)
        self.partial = False  # whether the last search (or lookup) met a shard with no mirror

    def close(self) -> None:
        self.health.stop()
        self.routes.close()

    def lost_shards(self) -> list[str]:
        """Shards of the live generation without a mirror that answers the heads."""
        return self.health.lost_shards(self._meta or self.meta())

    def health_problem(self) -> str | None:
        """Why the cluster cannot answer in full (None when it can)."""
        return self.health.problem(self._meta or self.meta())

    @property
    def degraded(self) -> bool:
        return self.health.degraded

    def meta(self, fresh: bool = True) -> dict:
        """The head's meta row (live generation, layout); reused for META_SECONDS unless
        fresh (a search may read the old generation that long after a switch: it is kept)."""
        now = time.monotonic()
        if fresh or self._meta is None or now - self._meta_at > META_SECONDS:
            rows, _, _ = self.client.query(META_QUERY, meta=False)
            self._meta, self._meta_at = meta_of(rows), now
        return self._meta

    def searcher(self):
        self.meta()  # raises ClusterError when the head does not answer
        return _Searcher(self)

    def vocabulary(self) -> VocabReader:
        """The live generation's vocabulary (empty when its tally is not on this machine)."""
        meta = self._meta or self.meta()
        path = tally_path(meta["layout"], meta["live"])
        key = (path, path.stat().st_mtime_ns if path else 0)
        if self._vocab[0] != key:
            self._vocab = (key, VocabReader.load(path) if path else VocabReader({}, 0, 0))
        return self._vocab[1]

    def warm(self) -> None:
        self.meta()

    def doc_count(self) -> int:
        meta = self.meta()
        _, info, _ = self.client.query(f"SELECT id FROM {dist_index(meta['live'])} LIMIT 1")
        return int(info.get("total_found", 0))

    def generation(self) -> int:
        """A number that changes with every full rebuild's switch."""
        return self.meta()["switched"]

    def document(self, doc_id: str) -> dict | None:
        """Stored fields of one document, or None."""
        meta = self.meta()
        rows, _, _ = self.client.query(
            f"SELECT {_COLS}, source FROM {dist_index(meta['live'])} WHERE id = "
            f"{row_id(doc_id)} LIMIT 1")
        if not rows:
            return None
        r = rows[0]
        date, _ = date_of(r[9], r[8], r[10])
        out = {"id": r[2], "title": r[3], "body": r[4], "url": r[5], "site": r[6],
               "lang": _LANG_NAMES[r[7]], "source": r[11]}
        if date:
            out["date"] = date
        if r[10]:
            out["date_precision"] = r[10]
        return out

    def copies(self, doc_id: str) -> list[Hit] | None:
        """Near-duplicates of doc_id (newest first), without it; None if no such document."""
        meta = self.meta()
        rid = row_id(doc_id)
        rows, _ = self.q(f"SELECT id, {COPY_GROUP if meta['copies'] else '0'} FROM "
                         f"{dist_index(meta['live'])} WHERE id = {rid} LIMIT 1", meta=False)
        if not rows:
            return None
        if not rows[0][1]:
            return []
        rows, _ = self.q(f"SELECT {_COLS} FROM {dist_index(meta['live'])} WHERE {COPY_GROUP} = "
                         f"{int(rows[0][1])} ORDER BY has_date DESC, date_ts DESC, id ASC "
                         f"LIMIT 1000", meta=False)
        plain = Parsed(plan=Plan())
        return [paging.hit((r[0], 0.0, *r[2:]), plain) for r in rows if r[0] != rid]

    def search(self, text: str, page: int = 1, per_page: int = 10, langs=LANGS,
               sort: str = "relevance", date_from=None, date_to=None, forgiving: bool = True,
               sites=(), collapse: bool = True) -> ClusterResults:
        """Ranked results for a user query, as Engine.search() gives them (with collapse on,
        near-duplicates show once, as the best-ranked)."""
        started = time.perf_counter()
        with self._lock:
            meta = self.meta(fresh=False)
            self.partial = False
            filters = Filters(tuple(langs), date_from, date_to, tuple(sites))
            res = self._search(meta["live"], text, page, per_page, sort, filters, forgiving,
                               collapse and self.ranked() and self._kept("copies", UNGROUPED))
        res.took_ms = round((time.perf_counter() - started) * 1000, 1)
        return res

    def _search(self, gen, text, page_number, per_page, sort, filters, forgiving,
                grouped) -> ClusterResults:
        reader = self.vocabulary()
        if reader.docs and self.ranked():  # the query's language, judged as the embedded
            # engine judges it (an unranked generation lacks the length columns asked with it)
            reader.lang_docs = self.stats.languages(lambda sql: self.q(sql, meta=False)[0], gen)
        corrected, suggestion = None, None
        fixed = layout_fix(text, reader, filters.langs) if forgiving and reader.docs else None
        if fixed:
            corrected = {"query": fixed, "reason": "layout"}
        parsed, run = matching.run(self, gen, fixed or text, page_number, per_page, sort,
                                   filters, reader, forgiving, grouped)
        if forgiving and not fixed and reader.docs and run.all_words < FEW_RESULTS:
            better = spelling_fix(text, reader, filters.langs, real_words=run.all_words == 0)
            again = (matching.run(self, gen, better, page_number, per_page, sort, filters,
                                  reader, forgiving, grouped)
                     if better and run.all_words == 0 else None)
            if again is not None and again[1].all_words:  # never a query that finds some
                (parsed, run), corrected = again, {"query": better, "reason": "spelling"}
            elif better:
                suggestion = better
        extra = {}
        hits, found, shown = paging.read(self, gen, run, parsed, filters, sort,
                                         (page_number - 1) * per_page, per_page, grouped)
        if "facets" in _RESULT_FIELDS:
            extra["facets"] = found
        return ClusterResults(query=text, total=run.total, page=page_number, per_page=per_page,
                              took_ms=0.0, hits=hits, corrected=corrected, suggestion=suggestion,
                              all_words=run.all_words, partial=self.partial,
                              crosslang=parsed.crosslang, total_collapsed=shown, **extra)

    def q(self, sql: str, args=None, meta: bool = True) -> tuple[list, dict]:
        """(rows, SHOW META) of one statement; a shard that did not answer marks the search
        partial."""
        rows, meta, partial = self.routes.query(sql, args, meta)
        if partial:
            self.health.mark_degraded(self._meta)
        self.partial = self.partial or partial
        return rows, meta

    def ranked(self) -> bool:
        """Whether the live generation's rows carry the rank attributes (else: warned once)."""
        return self._kept("ranked", UNRANKED)

    def _kept(self, what: str, warning: str) -> bool:
        """Whether the live generation's rows carry what (else: the warning, once)."""
        if self._meta.get(what):
            return True
        if what not in self._warned:
            log.warning(warning)
            self._warned.add(what)
        return False

    def aside(self, gen: str, asks: list[Ask]):
        """Routes.aside: facets counted by searchd while the page is read."""
        return self.routes.aside(gen, asks)

    def fanout(self, gen: str, asks: list[Ask]) -> list[list]:
        """The rows of each Ask, merged (Routes.fanout); a shard lost marks the search partial."""
        found, partial = self.routes.fanout(gen, asks)
        self.partial = self.partial or partial
        return found

    def batch(self, statements) -> list[list]:
        """The rows of each statement, sent together through the head (as q: partial)."""
        found, partial = self.routes.batch(statements)
        self.partial = self.partial or partial
        return found


def check(url: str) -> None:
    """Raise ClusterError unless url is a cluster head that answers."""
    ClusterEngine(url).meta()


__all__ = ["ClusterEngine", "ClusterError", "ClusterResults", "check"]
