"""The string order of a run's vocabulary terms, kept from one segment to the next.

Every segment a builder writes sorts its terms as strings twice (its fields' terms, then the
word table's union of them), and its word table looks up each term's count, languages and
length in dicts. The terms come from the process's vocabularies (termids.py), which only grow
and are shared by every builder of a run: here each vocabulary's terms get their rank in string
order once, updated with the new terms only, so a segment orders its term ids with numpy and
takes the word table's columns from arrays by term id.
"""

from bisect import bisect_left

import numpy as np

from search.query.segment_words import Sorted

_ATTR = "_term_order"  # the vocabulary's TermOrder, kept on it (it lives as long as they)


class TermOrder:
    """One vocabulary's terms in string order: each term id's place, and the term ids by place
    (about 16 bytes a term: the strings are the vocabulary's)."""

    def __init__(self):
        self.n = 0
        self.rank = np.zeros(0, np.int64)  # term id → its place
        self.by_place = np.zeros(0, np.int64)  # place → its term id

    def update(self, names: list[str]) -> None:
        """Take the terms added to names (term id → term) since the last update."""
        n, total = self.n, len(names)
        if total == n:
            return
        term = names.__getitem__
        new = sorted(range(n, total), key=term)
        if len(new) * 64 < n:
            # A few new terms (a live commit's, to a vocabulary of up to 200k): each placed by a
            # binary search among the old. An old term moves up by the new ones placed before
            # it; the k-th new term has its place among the old, plus the k new before it.
            at = np.fromiter((bisect_left(self.by_place, names[i], key=term) for i in new),
                             np.int64, len(new))
            rank = np.empty(total, np.int64)
            rank[:n] = self.rank + np.searchsorted(at, self.rank, side="right")
            rank[np.array(new, np.int64)] = at + np.arange(len(new))
            by_place = np.empty(total, np.int64)
            by_place[rank] = np.arange(total)
        else:
            # Many: the two sorted runs merged by one sort (it finds the runs), by term id.
            by_place = np.array(sorted(self.by_place.tolist() + new, key=term), np.int64)
            rank = np.empty(total, np.int64)
            rank[by_place] = np.arange(total)
        self.rank, self.by_place, self.n = rank, by_place, total

    def sort(self, ids: np.ndarray) -> np.ndarray:
        """Term ids in their terms' string order."""
        return ids[np.argsort(self.rank[ids])]


def term_order(vocab) -> TermOrder:
    """A vocabulary's TermOrder, up to date with its terms."""
    order = getattr(vocab, _ATTR, None)
    if order is None:
        order = TermOrder()
        setattr(vocab, _ATTR, order)
    order.update(vocab.names)
    return order


def in_string_order(vocab, ids: np.ndarray) -> np.ndarray:
    """A vocabulary's term ids in their terms' string order: by its TermOrder, or, for a few
    of a large vocabulary's (a live commit's), by sorting those terms alone."""
    if len(ids) * 16 < len(vocab.names):
        return np.array(sorted(ids.tolist(), key=vocab.names.__getitem__), np.int64)
    return term_order(vocab).sort(ids)


def sorted_terms(groups) -> Sorted:
    """The word table's terms (segment_words.Sorted: sorted, with their documents and language
    bits) of (bit, vocabulary, term ids, each one's documents) groups, one a field: summed per
    (language, vocabulary) over the term ids, ordered by the vocabularies' ranks; a term in two
    vocabularies (a uk and ru segment) summed over both."""
    summed: dict[tuple[int, int], tuple] = {}
    for bit, vocab, ids, docs in groups:
        acc = summed.get((bit, id(vocab)))
        if acc is None:
            acc = summed[bit, id(vocab)] = (vocab, np.zeros(len(vocab.names), np.int64))
        acc[1][ids] += docs  # (a field's ids are distinct)
    parts = []
    for (bit, _), (vocab, docs) in summed.items():
        used = in_string_order(vocab, np.flatnonzero(docs))
        parts.append((list(map(vocab.names.__getitem__, used.tolist())), docs[used],
                      np.full(len(used), bit, np.uint8)))
    terms = [t for p in parts for t in p[0]]
    text = np.array(terms) if terms else np.zeros(0, "<U1")
    counts = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
    bits = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, np.uint8)
    if len(parts) > 1:  # several vocabularies: merged by string, a term in more than one summed
        order = np.argsort(text, kind="stable")
        text, counts, bits = text[order], counts[order], bits[order]
        first = np.ones(len(text), bool)
        first[1:] = text[1:] != text[:-1]
        starts = np.flatnonzero(first)
        if len(starts):
            counts = np.add.reduceat(counts, starts)
            bits = np.bitwise_or.reduceat(bits, starts)
        text = text[starts]
        terms = text.tolist()
    return Sorted(terms, text, counts, bits)
