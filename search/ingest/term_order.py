"""The string order of a run's vocabulary terms, kept from one segment to the next.

Every segment a builder writes sorts its terms as strings twice (its fields' terms, then the
word table's union of them), and its word table looks up each term's count, languages and
length in dicts. The terms come from the process's vocabularies (termids.py), which only grow
and are shared by every builder of a run: here each vocabulary's terms get their rank in string
order once, updated with the new terms only, so a segment orders its term ids with numpy and
takes the word table's columns from arrays by term id.
"""

import numpy as np

from search.query.segment_words import Sorted

_ATTR = "_term_order"  # the vocabulary's TermOrder, kept on it (it lives as long as they)


class TermOrder:
    """One vocabulary's terms in string order, and each term id's place in it (about 16 bytes
    a term: the strings are the vocabulary's)."""

    def __init__(self):
        self.n = 0
        self.in_order: list[str] = []
        self.rank = np.zeros(0, np.int64)  # term id → its place in in_order

    def update(self, names: list[str], ids: dict[str, int]) -> None:
        """Take the terms added to names (their ids in ids) since the last update."""
        if len(names) == self.n:
            return
        merged = self.in_order + sorted(names[self.n:])
        merged.sort()  # two sorted runs: one merge
        by_rank = np.fromiter(map(ids.__getitem__, merged), np.int64, len(merged))
        self.rank = np.empty(len(merged), np.int64)
        self.rank[by_rank] = np.arange(len(merged))
        self.in_order, self.n = merged, len(names)

    def sort(self, ids: np.ndarray) -> np.ndarray:
        """Term ids in their terms' string order."""
        return ids[np.argsort(self.rank[ids])]


def term_order(vocab) -> TermOrder:
    """A vocabulary's TermOrder, up to date with its terms."""
    order = getattr(vocab, _ATTR, None)
    if order is None:
        order = TermOrder()
        setattr(vocab, _ATTR, order)
    order.update(vocab.names, vocab.ids)
    return order


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
        used = term_order(vocab).sort(np.flatnonzero(docs))
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
