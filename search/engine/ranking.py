"""Execute a query plan over an IndexView: BM25F as vector operations, then the policy's order."""

from dataclasses import dataclass

import numpy as np

from search.engine.arrays import NO_DATE
from search.engine.policy import DEFAULT, Policy
from search.engine.proximity import bonus, phrase_docs
from search.engine.view import IndexView
from search.query.plan import Clause, Plan

_TIER = 1e6  # added to the score of a document with every word: above any BM25F score


@dataclass
class Ranked:
    """The requested slice of a ranking, plus what is counted over every result."""

    docs: np.ndarray  # global document numbers, in rank order
    scores: np.ndarray
    total: int  # every result
    all_words: int  # results with every content word
    matched: np.ndarray  # bool per document: is a result (for facets)
    shown: int = 0  # results once near-duplicates are collapsed (total when they are not)
    duplicates: np.ndarray | None = None  # per returned document: its other copies matched


def clause_postings(view: IndexView, clause: Clause, policy: Policy, allowed: np.ndarray):
    """(documents, scores) per term or phrase field of a clause: each one's documents unique."""
    for term in clause.terms:
        yield view.bm25(term, policy.k1, policy.b)
    for phrase in clause.phrases:
        yield from phrase_docs(view, phrase, policy, allowed)


def add_clause(view: IndexView, clause: Clause, policy: Policy, allowed: np.ndarray,
               score: np.ndarray | None, count: np.ndarray, weight: float = 1.0) -> None:
    """Add a clause's BM25F (times weight) to score and 1 to count where a document has it."""
    touched = []
    for docs, s in clause_postings(view, clause, policy, allowed):
        if score is not None:
            score[docs] += weight * s if weight != 1.0 else s
        touched.append(docs)
    count[view.union(touched)] += 1  # once per document, whichever of its terms it has


def _top(key: np.ndarray, docs: np.ndarray, k: int) -> np.ndarray:
    """Positions into docs of the k best by key descending, ties by document number."""
    if k <= 0 or not len(docs):
        return np.zeros(0, np.int64)
    if k < len(docs):
        kth = np.partition(key, len(key) - k)[len(key) - k]
        pick = np.flatnonzero(key >= kth)  # every tie at the boundary, then cut after sorting
    else:
        pick = np.arange(len(docs))
    order = np.lexsort((docs[pick], -key[pick]))
    return pick[order[:k]]


_DAY = 86_400_000_000  # Whoosh dates count microseconds
_MIDDLE = np.array([0, 182 * _DAY, 15 * _DAY], np.int64)  # by period: full date, year, month


def freshness(view: IndexView, docs: np.ndarray, half_life_days: float) -> np.ndarray:
    """Per document, 0.5 ** (its age / half-life), its age counted from the newest of docs.

    A year-only or month-only date counts as the middle of its period; an undated document is
    as old as the oldest dated one.
    """
    dates = view.dates()[docs]
    dated = dates != NO_DATE
    if not dated.any():
        return np.ones(len(docs))
    when = np.where(dated, dates + _MIDDLE[view.periods()[docs]], 0)
    when[~dated] = when[dated].min()
    age_days = (when[dated].max() - when) / _DAY
    return 0.5 ** (age_days / half_life_days)


def collapse(view: IndexView, docs: np.ndarray, key: np.ndarray):
    """(positions into docs of the best of each set of copies by key and of every document
    without copies, in order; their copies among docs, not counting themselves)."""
    label, has_copies = view.copies()
    many = np.flatnonzero(has_copies[docs])
    if not len(many):
        return np.arange(len(docs)), np.zeros(len(docs), np.int64)
    groups = label[docs[many]]
    order = many[np.lexsort((docs[many], -key[many], groups))]
    sorted_groups = label[docs[order]]
    first = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    sizes = np.diff(np.r_[first, len(order)])
    dups = np.zeros(len(docs), np.int64)
    dups[order[first]] = sizes - 1
    keep = np.ones(len(docs), bool)
    keep[many] = False
    keep[order[first]] = True
    kept = np.flatnonzero(keep)
    return kept, dups[kept]


def rank(view: IndexView, plan: Plan, allowed: np.ndarray, start: int, stop: int,
         sort: str = "relevance", policy: Policy = DEFAULT, collapse_copies: bool = False,
         ) -> Ranked:
    """Rank every allowed document the plan matches; return positions start..stop of the order.

    sort is relevance, date (newest first, undated last) or recent (relevance times
    freshness). With collapse_copies, near-duplicates show once: the best-ranked of them.
    """
    content = plan.content()
    extra = [c for c in plan.clauses if c not in content]  # function words beside other words
    n = len(content)
    score = np.zeros(view.size)
    count = np.zeros(view.size, np.int16)
    for clause in content:
        add_clause(view, clause, policy, allowed, score, count)
    if policy.stop_weight:
        for clause in extra:
            add_clause(view, clause, policy, allowed, score, np.zeros(view.size, np.int16),
                       policy.stop_weight)
    full = count == n
    if n == 0:
        match = allowed.copy()
    elif n <= policy.all_first_upto:
        full_here = int(np.count_nonzero(full & allowed))
        match = count >= 1 if n >= 2 and full_here < policy.fill_below else full.copy()
    else:
        match = count >= max(1, int(policy.min_share * n))
    if plan.excluded:
        hits = np.zeros(view.size, np.int16)
        for clause in plan.excluded:
            add_clause(view, clause, policy, allowed, None, hits)
        match &= hits == 0
    match &= allowed
    if n and policy.coord_power:
        score *= (count / n) ** policy.coord_power
    docs = np.flatnonzero(match)
    total, all_words = len(docs), int(np.count_nonzero(full[docs])) if n else len(docs)
    tiered = 1 < n <= policy.all_first_upto
    if sort == "date":
        dates = view.dates()[docs]
        key = np.where(dates == NO_DATE, -1, dates).astype(np.float64)  # undated last
    else:
        if sort == "recent":
            score[docs] *= freshness(view, docs, policy.recent_half_life_days)
        key = score[docs] + (_TIER * full[docs] if tiered else 0)
    dups = np.zeros(len(docs), np.int64)
    if collapse_copies:
        kept, dups = collapse(view, docs, key)
        docs, key = docs[kept], key[kept]
    shown = len(docs)
    if sort == "date":
        top = _top(key, docs, stop)
        return Ranked(docs[top][start:], score[docs[top]][start:], total, all_words, match,
                      shown, dups[top][start:])
    top = _top(key, docs, max(stop, policy.candidates))
    dups_of = dict(zip(docs[top].tolist(), dups[top].tolist(), strict=True))
    best, best_key = docs[top], key[top]
    extra_score = bonus(view, content, best[:policy.candidates], policy)
    if extra_score is not None:
        head = len(extra_score)
        best_key = best_key.copy()
        best_key[:head] += extra_score
        order = np.lexsort((best[:head], -best_key[:head]))
        best = np.concatenate([best[:head][order], best[head:]])
        best_key = np.concatenate([best_key[:head][order], best_key[head:]])
    final = best_key - (_TIER * full[best] if tiered else 0)
    page = best[start:stop]
    return Ranked(page, final[start:stop], total, all_words, match, shown,
                  np.array([dups_of[d] for d in page.tolist()], np.int64))

