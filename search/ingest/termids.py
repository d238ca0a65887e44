"""A segment builder's vocabulary: each field's written words → lemma tuples → term ids.

A word is looked up once per builder and field (Words, a dict that learns what it misses);
each distinct lemma tuple gets a sequence number, whose term ids lie in one flat array, so a
document's words become term ids with numpy (search/ingest/segment.py).
"""

import functools
from array import array

from search.morph import written_lemmas


class Terms:
    """A builder's term ids per (field, term), and per lemma tuple their sequence in flat."""

    def __init__(self):
        self.keys: dict[tuple[str, str], int] = {}  # (field, term) → term id
        self.seqs: dict[tuple[str, tuple[str, ...]], int] = {}
        self.start, self.len, self.flat = array("i"), array("i"), array("i")

    def learn(self, field: str, lang: str, word: str) -> int:
        """A word new to the builder's field: its sequence (made if new)."""
        found = written_lemmas(word, lang)
        seq = self.seqs.get((field, found))
        if seq is None:
            keys, seq = self.keys, len(self.start)
            self.seqs[field, found] = seq
            self.start.append(len(self.flat))
            self.len.append(len(found))
            for term in found:
                k = keys.get((field, term))
                if k is None:
                    k = keys[field, term] = len(keys)
                self.flat.append(k)
        return seq


class Words(dict):
    """A field's words → their sequence numbers (Terms), learnt when missing."""

    def __init__(self, terms: Terms, field: str, lang: str):  # (dict's own takes nothing)
        self.learn = functools.partial(terms.learn, field, lang)

    def __missing__(self, word: str) -> int:
        self[word] = seq = self.learn(word)
        return seq
