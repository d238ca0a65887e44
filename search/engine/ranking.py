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


def rank(view: IndexView, plan: Plan, allowed: np.ndarray, start: int, stop: int,
         sort: str = "relevance", policy: Policy = DEFAULT) -> Ranked:
    """Rank every allowed document the plan matches; return positions start..stop of the order."""
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
    if sort == "date":
        dates = view.dates()[docs]
        key = np.where(dates == NO_DATE, -1, dates).astype(np.float64)  # undated last
        top = _top(key, docs, stop)
        return Ranked(docs[top][start:], score[docs[top]][start:], total, all_words, match)
    tiered = 1 < n <= policy.all_first_upto
    key = score[docs] + (_TIER * full[docs] if tiered else 0)
    top = _top(key, docs, max(stop, policy.candidates))
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
    return Ranked(best[start:stop], final[start:stop], total, all_words, match)

