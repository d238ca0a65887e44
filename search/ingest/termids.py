"""A process's vocabulary of one language: written words → lemma tuples → term ids.

A word is looked up once per process (Vocabulary, a dict that learns what it misses), not once
per segment builder and field: the builders of a run and a language's fields (title, body)
share it. Each distinct lemma tuple gets a sequence number, whose term ids lie in one flat
array, so a document's words become term ids with numpy (search/ingest/segment.py); a builder
maps the term ids it used to its own (field, term) order when it writes.
"""

import threading
from array import array

from search.morph import written_lemmas, written_table
from search.text import MAX_WORD

# Written forms a vocabulary learns before a new builder starts a new one (~250 B each with
# its lemma tuples and terms): below morph's MAX_CACHED, so its forms stay in morph's table.
MAX_FORMS = 200_000

# Per thread: a builder's numpy views of the arrays stop them growing while they live.
_local = threading.local()


class Vocabulary(dict):
    """Written forms → their sequence numbers; per sequence its term ids (start, len, flat),
    per term id its text (names). Learns a missing form from morph.written_lemmas; a form
    longer than text.MAX_WORD is -1, and never kept."""

    def __init__(self, lang: str):
        super().__init__()
        self.lang = lang
        self.seqs: dict[tuple[str, ...], int] = {}
        self.ids: dict[str, int] = {}  # term → term id
        self.names: list[str] = []  # term id → term
        self.start, self.len, self.flat = array("i"), array("i"), array("i")
        self.first = None  # the first form learnt (see current)

    def __missing__(self, word: str) -> int:
        if len(word) > MAX_WORD:
            return -1  # junk (base64, URLs glued together), not a word: not indexed, not kept
        found = written_lemmas(word, self.lang)
        seq = self.seqs.get(found)
        if seq is None:
            seq = self.seqs[found] = len(self.start)
            self.start.append(len(self.flat))
            self.len.append(len(found))
            ids, flat = self.ids, self.flat
            for term in found:
                k = ids.get(term)
                if k is None:
                    k = ids[term] = len(self.names)
                    self.names.append(term)
                flat.append(k)
        if self.first is None:
            self.first = word
        self[word] = seq
        return seq

    def fresh(self) -> bool:
        """Whether a new builder may go on with it: not full, and morph's table of written
        forms not cleared since it started (a cleared table may mean another analysis, and
        the word table reads its forms' terms there: surface.py)."""
        table = written_table(self.lang)
        return len(self) < MAX_FORMS and (self.first is None or self.first in table)


def vocabulary(lang: str) -> Vocabulary:
    """The process's vocabulary of a language, for a builder to keep (a new one when full)."""
    current = _local.__dict__.setdefault("current", {})
    v = current.get(lang)
    if v is None or not v.fresh():
        v = current[lang] = Vocabulary(lang)
    return v
