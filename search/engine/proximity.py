"""Word positions, read only for candidates: phrases and the side-by-side bonuses."""

import numpy as np

from search.query.plan import Clause, Step, Term

_SHIFT = 23  # (document << _SHIFT) + position: positions stay below 2**23 (MAX_BODY_CHARS)
_ROOM = 64  # added to position - step so that it never goes below 0 (MAX_QUERY_WORDS)


def term_scores_at(view, terms: list[Term], docs: np.ndarray, policy,
                   boosted: bool = False) -> np.ndarray:
    """Summed BM25 (unboosted unless asked) of terms at each of sorted docs (0 where absent):
    computed for those documents only."""
    out = np.zeros(len(docs))
    for t in terms:
        ids, w = view.postings(t)
        if not len(ids) or not len(docs):
            continue
        at = np.minimum(np.searchsorted(ids, docs), len(ids) - 1)
        have = ids[at] == docs
        out[have] += view.bm25_of(t if boosted else Term(t.field, t.text), len(ids),
                                  docs[have], w[at[have]], policy.k1, policy.b)
    return out


def _starts(view, steps: list[list[Term]], docs: np.ndarray) -> list[np.ndarray]:
    """Per step i, the keys (document, position - i) of its words: where a sequence of steps
    stands side by side, their keys are equal."""
    keys = []
    for i, alts in enumerate(steps):
        parts = [view.positions(t, docs) for t in alts]
        d = np.concatenate([p[0] for p in parts])
        pos = np.concatenate([p[1] for p in parts]).astype(np.int64) + (_ROOM - i)
        k = (d << _SHIFT) + pos
        # One term's keys come sorted and distinct (documents, then positions, ascending).
        keys.append(k if len(parts) == 1 else np.unique(k))
    return keys


def in_sequence(view, steps: list[list[Term]], docs: np.ndarray) -> np.ndarray:
    """The documents (of sorted docs) where the steps stand at consecutive positions."""
    keys = _starts(view, steps, docs)
    found = keys[0]
    for k in keys[1:]:
        found = np.intersect1d(found, k, assume_unique=True)
    return np.unique(found >> _SHIFT)


def _by_field(steps) -> dict[str, list[list[Term]]]:
    """The steps' alternatives per field that every step has."""
    fields = set.intersection(*({t.field for t in step} for step in steps))
    return {f: [[t for t in step if t.field == f] for step in steps] for f in sorted(fields)}


def phrase_docs(view, phrase: tuple[Step, ...], policy, allowed: np.ndarray):
    """(documents, score) per field where the phrase stands: every document with all its words
    is checked, so a phrase's total is exact. The score is its words' BM25 in that field."""
    for steps in _by_field(phrase).values():
        have = [view.union([view.postings(t)[0] for t in alts]) for alts in steps]
        rarest = min(have, key=len)
        keep = allowed[rarest]
        for docs in have:  # the rarest word's documents that have every other word
            if not len(docs):
                keep[:] = False
                break
            keep &= docs[np.minimum(np.searchsorted(docs, rarest), len(docs) - 1)] == rarest
        cand = rarest[keep]
        hit = in_sequence(view, steps, cand) if len(cand) else cand
        if len(hit):  # scored for these documents only
            yield hit, sum(term_scores_at(view, alts, hit, policy, boosted=True)
                           for alts in steps)


def bonus(view, content: list[Clause], cands: np.ndarray, policy) -> np.ndarray | None:
    """Side-by-side bonus of each candidate, or None when the policy gives none to this query.

    The whole query in order in one field adds sequence_weight times its words' scores there;
    each ordered adjacent pair adds pair_weight times the pair's scores there.
    """
    n = len(content)
    whole = policy.sequence_weight and 2 <= n <= policy.sequence_upto
    pairs = policy.pair_weight and n >= 2
    if not (whole or pairs) or not len(cands) or not all(c.is_word and c.terms for c in content):
        return None
    docs = np.sort(cands)
    add = np.zeros(len(docs))
    memo: dict = {}

    def word(i: int, field: str):
        """(keys, scores at docs) of content word i in field, keyed as if it stood first."""
        if (i, field) not in memo:
            alts = [t for t in content[i].terms if t.field == field]
            memo[i, field] = (_starts(view, [alts], docs)[0],
                              term_scores_at(view, alts, docs, policy))
        return memo[i, field]

    def together(words: list[int], field: str, weight: float):
        """Add weight times the words' scores where they stand side by side, in order."""
        found, total = None, 0.0
        for step, i in enumerate(words):
            keys, scores = word(i, field)
            keys = keys - step  # a word one further along stands one position later
            found = keys if found is None else np.intersect1d(found, keys, assume_unique=True)
            total = total + scores
        add[:] += np.where(np.isin(docs, found >> _SHIFT), weight * total, 0.0)

    fields = [{t.field for t in c.terms} for c in content]
    if whole:
        for f in sorted(set.intersection(*fields)):
            together(list(range(n)), f, policy.sequence_weight)
    for i in range(n - 1) if pairs else ():
        for f in sorted(fields[i] & fields[i + 1]):
            together([i, i + 1], f, policy.pair_weight)
    return add[np.searchsorted(docs, cands)]
