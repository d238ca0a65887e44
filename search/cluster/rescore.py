"""searchd's best candidates ranked again as the embedded engine ranks: the same plan, the same
search/engine code (BM25F, tiers, side-by-side bonus) over the candidates' rank attributes and
the generation's global statistics."""

import json
import threading
import time
from dataclasses import dataclass

import numpy as np
from whoosh.util.numeric import byte_to_length, length_to_byte

from search.cluster.config import RANK_JSON, dist_index
from search.cluster.rows import LANG_CODES, rank_bucket, rank_key, token
from search.cluster.shards import IDS, TABLE, Ask
from search.engine.arrays import NO_DATE
from search.engine.policy import DEFAULT, Policy
from search.engine.ranking import rank
from search.engine.view import bm25_formula
from search.query.plan import Plan, Term

# How many of searchd's best (by its own ranker) are rescored: they held 99.6-100 % of the
# embedded engine's top-10 documents at 50,000 paragraphs (98-99 % with 200), and all of them
# on the relevance sets (bench/README.md, "Cluster ranking parity").
CANDIDATES = 400
STATS_SECONDS = 30.0  # document counts, average lengths and frequencies are reused this long
_PERIODS = {"year": 1, "month": 2}
_MICROS = 1_000_000  # ranking.freshness counts microseconds


def plan_terms(plan: Plan, policy: Policy = DEFAULT) -> list[Term]:
    """Every (field, text) the plan's clauses that rank() scores hold: words and phrase
    steps (function words only when the policy weighs them)."""
    seen: dict[tuple[str, str], Term] = {}
    for clause in plan.clauses if policy.stop_weight else plan.content():
        for t in [*clause.terms, *(t for p in clause.phrases for s in p for t in s)]:
            seen.setdefault((t.field, t.text), Term(t.field, t.text))
    return list(seen.values())


class Stats:
    """A generation's document count, average field lengths and per-field document
    frequencies, asked of the cluster and kept for STATS_SECONDS."""

    def __init__(self):
        self._lock = threading.Lock()
        self._docs: dict = {}
        self._df: dict = {}

    def documents(self, query, gen: str) -> tuple[int, dict[str, float]]:
        """(documents, average length of every field) of generation gen."""
        return self._documents(query, gen)[:2]

    def languages(self, query, gen: str) -> dict[str, int]:
        """Documents of each language in generation gen."""
        return self._documents(query, gen)[2]

    def _documents(self, query, gen: str) -> tuple[int, dict[str, float], dict[str, int]]:
        now = time.monotonic()
        with self._lock:
            got = self._docs.get(gen)
        if got and now - got[0] < STATS_SECONDS:
            return got[1]
        rows = query(f"SELECT lang, COUNT(*) AS n, SUM(len_title) AS t, SUM(len_body) AS b "
                     f"FROM {dist_index(gen)} GROUP BY lang LIMIT 100")
        size = sum(int(r[1]) for r in rows)
        names = {code: lang for lang, code in LANG_CODES.items()}
        avg, langs = {}, {}
        for code, n, title, body in rows:
            lang = names.get(int(code))
            if lang:  # Whoosh's average: over every document, of any language
                avg[f"title_{lang}"] = int(title or 0) / (size or 1) or 1
                avg[f"body_{lang}"] = int(body or 0) / (size or 1) or 1
                langs[lang] = int(n)
        with self._lock:
            self._docs[gen] = (now, (size, avg, langs))
        return size, avg, langs

    def frequencies(self, gen: str, terms: list[Term], tally: dict | None = None,
                    ) -> tuple[dict, list[Term], list]:
        """(the known documents that have each term in its field, over every shard; the
        terms not known; the statements that count them, for `learn`). With the feeder's
        per-field tally of generation gen (`field:token` → documents), every term is known."""
        if tally:
            return {(t.field, t.text): tally.get(f"{t.field}:{token(t.text)}", 0)
                    for t in terms}, [], []
        now = time.monotonic()
        known, ask = {}, []
        with self._lock:
            for t in terms:
                got = self._df.get((gen, t.field, t.text))
                if got and now - got[0] < STATS_SECONDS:
                    known[t.field, t.text] = got[1]
                else:
                    ask.append(t)
        # The field's first readings and its other readings (the _x field) together hold
        # what the embedded index's one field holds.
        return known, ask, [Ask(f"SELECT COUNT(*) FROM {TABLE} WHERE MATCH(%s) OPTION "
                                f"ranker=none", (f"@({t.field},{t.field}_x) {token(t.text)}",),
                                "sum") for t in ask]

    def learn(self, gen: str, terms: list[Term], found: list[list], into: dict) -> None:
        """Keep the counts of `frequencies`' statements, and add them to into."""
        now = time.monotonic()
        with self._lock:
            if len(self._df) > 200_000:
                self._df.clear()
            for t, rows in zip(terms, found, strict=True):
                n = int(rows[0][0]) if rows else 0
                into[t.field, t.text] = n
                self._df[gen, t.field, t.text] = (now, n)


# What a candidate is rescored from. searchd's candidates are read with their weight (the
# shards' answers are merged by it) and language only: each column costs, in parsing, over
# hundreds of rows. Then, by id once the candidates are known (searchd works a JSON column out
# for every match of a MATCH, not only for those it returns: 40 ms against 3 on 20,000), their
# field lengths and ordinal, their date when freshness counts, and each term's [weight,
# positions...] (NULL where it has none).
CANDIDATE_COLUMNS = "id, WEIGHT() AS w, lang"
RANK_COLUMNS = "len_title, len_body, ordinal"
DATE_COLUMNS = "has_date, date_ts, date_precision"
UNDATED = (0, 0, "")
FIRST_TERM = 8  # the column of a rescored row where its terms' columns start


def terms_statements(terms: list[Term], rows, extra=(), sort: str = "relevance",
                     ) -> list[tuple[Ask, list[Term]]]:
    """Per language of the candidates rows (CANDIDATE_COLUMNS), the statement that reads their
    rank columns (with dates for sort=recent), the `extra` columns, and the rank attributes of
    that language's terms (a document has only its own language's fields), with those terms."""
    out = []
    attrs = f"{RANK_COLUMNS}, {DATE_COLUMNS}" if sort == "recent" else RANK_COLUMNS
    for lang, code in LANG_CODES.items():
        ids = tuple(r[0] for r in rows if r[2] == code)
        if not ids:
            continue
        mine = [t for t in terms if t.field.endswith(f"_{lang}")]
        keys = [rank_key(t.field, t.text) for t in mine]
        cols = ", ".join(["id", attrs, *extra,
                          *(f"{RANK_JSON}.{rank_bucket(k)}.{k}" for k in keys)])
        out.append((Ask(f"SELECT {cols} FROM {TABLE} WHERE id IN ({IDS}) LIMIT {{n}} "
                        f"OPTION max_matches={{n}}", ids=ids), mine))
    return out


def with_terms(rows, terms: list[Term], statements, found, extra: int = 0,
               sort: str = "relevance") -> tuple[list, dict]:
    """(rows (id, lang, RANK_COLUMNS, DATE_COLUMNS (undated if not read), then a column per
    term), {row id: its extra columns}): what the statements of terms_statements found for
    the candidates rows, in their order (a row deleted meanwhile is left out)."""
    at = {(t.field, t.text): k for k, t in enumerate(terms)}
    width = 6 if sort == "recent" else 3
    read: dict[int, list] = {}
    extras: dict = {}
    for (_, mine), got in zip(statements, found, strict=True):
        where = [at[t.field, t.text] for t in mine]
        for r in got:
            cells = [None] * len(terms)
            for k, value in zip(where, r[1 + width + extra:], strict=True):
                cells[k] = value
            dates = r[4:7] if width == 6 else UNDATED
            read[r[0]] = [*r[1:4], *dates, *cells]
            extras[r[0]] = r[1 + width:1 + width + extra]
    return [(r[0], r[2], *read[r[0]]) for r in rows if r[0] in read], extras


class CandidateView:
    """What search/engine/ranking.rank() reads of an IndexView, over the candidates only
    (documents 0..n-1), with the generation's global statistics for BM25F."""

    def __init__(self, rows, terms: list[Term], size: int, avg: dict[str, float],
                 df: dict[tuple[str, str], int], groups=None):
        self.size = len(rows)
        # Each candidate's group of near-duplicates (0: it has none), when they are collapsed.
        self._groups = np.array([int(g or 0) for g in groups] if groups is not None
                                else np.zeros(len(rows)), np.int64)
        self.total, self.avg, self.df = size, avg, df
        cols = list(zip(*rows, strict=True))  # column by column
        lang = np.array([int(x) for x in cols[1]], np.int64)
        quantized = {}  # Whoosh keeps a field length as one lossy byte

        def length(n) -> float:
            if n not in quantized:
                quantized[n] = float(byte_to_length(length_to_byte(int(n))))
            return quantized[n]

        self._lengths = {}
        for kind, col in (("title", 2), ("body", 3)):
            lengths = np.array([length(n) for n in cols[col]], np.float32)
            for g, code in LANG_CODES.items():
                self._lengths[f"{kind}_{g}"] = np.where(lang == code, lengths, 0.0).astype(
                    np.float32)
        stamps = np.array([int(x) for x in cols[6]], np.int64) * _MICROS
        self._dates = np.where(np.array([int(x) for x in cols[5]]) == 1, stamps, NO_DATE)
        self._periods = np.array([_PERIODS.get(p or "", 0) for p in cols[7]], np.int8)
        self._post: dict[tuple[str, str], tuple] = {}
        for k, t in enumerate(terms):
            ids = [i for i, cell in enumerate(cols[FIRST_TERM + k]) if cell]
            # [weight, position, ...]: positions made arrays only when read
            values = json.loads("[" + ",".join(cols[FIRST_TERM + k][i] for i in ids) + "]")
            self._post[t.field, t.text] = (np.array(ids, np.int64),
                                           np.array([v[0] for v in values], np.float32),
                                           values)

    def postings(self, term: Term) -> tuple[np.ndarray, np.ndarray]:
        ids, w, _ = self._post.get((term.field, term.text), _NONE)
        return ids, w

    def union(self, parts: list[np.ndarray]) -> np.ndarray:
        parts = [p for p in parts if len(p)]
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)

    def lengths(self, field: str) -> np.ndarray:
        return self._lengths.get(field, np.zeros(self.size, np.float32))

    def avg_length(self, field: str) -> float:
        return self.avg.get(field, 1.0)

    def bm25(self, term: Term, k1: float, b: float) -> tuple[np.ndarray, np.ndarray]:
        ids, w = self.postings(term)
        return ids, self.bm25_of(term, len(ids), ids, w, k1, b)

    def bm25_of(self, term: Term, df: int, docs: np.ndarray, w: np.ndarray, k1: float,
                b: float) -> np.ndarray:
        """As IndexView.bm25_of, with the term's frequency over the whole generation (df,
        counted over the candidates only, is not used)."""
        return bm25_formula(self.total, self.df.get((term.field, term.text), 0), w,
                            self.lengths(term.field)[docs], self.avg_length(term.field), k1,
                            b, term.boost)

    def positions(self, term: Term, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ids, _, positions = self._post.get((term.field, term.text), _NONE)
        keep = np.flatnonzero(np.isin(ids, docs))
        if not len(keep):
            return np.zeros(0, np.int64), np.zeros(0, np.int32)
        # Positions are read only for the side-by-side bonus and phrases: lists until then.
        pos = [positions[k][1:] for k in keep]
        return (np.repeat(ids[keep], [len(p) for p in pos]),
                np.fromiter((p for ps in pos for p in ps), np.int32))

    def dates(self) -> np.ndarray:
        return self._dates

    def copies(self) -> tuple[np.ndarray, np.ndarray]:
        """(group label per candidate, True where it has near-duplicates), as IndexView's."""
        return self._groups, self._groups != 0

    def periods(self) -> np.ndarray:
        return self._periods


_NONE = (np.zeros(0, np.int64), np.zeros(0, np.float32), [])


@dataclass
class Reranked:
    order: list[tuple[int, float]]  # (row id, score) of the page
    duplicates: list[int]  # per row of the page: its copies among the candidates
    shown: int  # candidates once each group of copies shows once


def rerank(rows, terms: list[Term], plan: Plan, size: int, avg, df, start: int, stop: int,
           sort: str = "relevance", policy: Policy = DEFAULT, groups=None) -> Reranked:
    """Positions start..stop of the candidates (rows as with_terms gives them) ranked by
    search/engine's rank() as the embedded engine ranks every document; the plan's exclusions
    are already applied by the MATCH. With groups ({row id: copy group}), each group of
    near-duplicates shows once, as its best candidate."""
    if not rows:
        return Reranked([], [], 0)
    # In the order they were written: rank() breaks ties by position, as the embedded engine
    # does by document number.
    rows = sorted(rows, key=lambda r: int(r[4] or 0))
    view = CandidateView(rows, terms, size, avg, df,
                         None if groups is None else [groups.get(r[0], 0) for r in rows])
    ranked = rank(view, Plan(list(plan.clauses), []), np.ones(view.size, bool), start, stop,
                  sort, policy, collapse_copies=groups is not None)
    return Reranked([(int(rows[d][0]), float(s))
                     for d, s in zip(ranked.docs.tolist(), ranked.scores.tolist(), strict=True)],
                    ranked.duplicates.tolist(), ranked.shown)
