"""The word tables of an index generation: its segments' tables (segment_words.py) together.

Made in microseconds per generation: a commit adds one small segment table, and the tables of
the segments it left alone are the ones already mapped.
"""

import bisect
import heapq
from collections import Counter

import numpy as np

from search.morph import LANGS
from search.query.segment_words import (
    LANG_BIT,
    MIN_LEN,
    SegmentTable,
    bigrams,
    completable,
    from_reader,
    norm_title,
    segment_table,
)

__all__ = ["MIN_LEN", "Lexicon", "generation_lexicon", "norm_title", "subreaders"]


class _Freq:
    """term → documents containing it, summed over segments (a read-only mapping)."""

    def __init__(self, lex: "Lexicon"):
        self._lex = lex

    def __getitem__(self, term: str) -> int:
        n = self._lex.frequency(term)
        if not n:
            raise KeyError(term)
        return n

    def get(self, term: str, default=None):
        return self._lex.frequency(term) or default

    def __contains__(self, term: str) -> bool:
        return self._lex.frequency(term) > 0


class _LangTerms:
    """The terms of one language (supports `in`)."""

    def __init__(self, lex: "Lexicon", lang: str):
        self._lex, self._lang = lex, lang

    def __contains__(self, term) -> bool:
        return isinstance(term, str) and self._lex.has(term, (self._lang,))


class Lexicon:
    """The word tables of one index generation: each segment's, looked up together."""

    def __init__(self, parts: list[tuple[SegmentTable, object]]):
        self.parts = parts  # (table, Whoosh segment: its deletions)
        self.freq = _Freq(self)
        self.by_lang = {lang: _LangTerms(self, lang) for lang in LANGS}
        self.extra: dict = {}  # other modules' caches of this generation

    def _hits(self, term: str):
        for table, _ in self.parts:
            i = table.lookup(term)
            if i >= 0:
                yield table, i

    def frequency(self, term: str) -> int:
        """Documents containing term (title and body counted apart), over all segments."""
        return sum(int(t.freq[i]) for t, i in self._hits(term))

    def shown(self, term: str, lang: str | None = None) -> tuple[str, str] | None:
        """(the term's most frequent surface form, the term itself as written) in the language
        (else either) and segment that write it most, or None when none saw it written."""
        forms = [(int(n[i]), f[i], c[i] or term) for t, i in self._hits(term)
                 for la in ((lang,) if lang else LANGS)
                 for f, c, n in (t.written[la],) if n[i]]
        return max(forms)[1:] if forms else None

    def hidden(self, term: str) -> bool:
        """Whether every segment has the term only as a lesser reading of other words."""
        hits = list(self._hits(term))
        return bool(hits) and all(t.hidden[i] for t, i in hits)

    def has(self, term: str, langs=LANGS) -> bool:
        bits = sum(LANG_BIT[lang] for lang in langs)
        return any(t.langs[i] & bits for t, i in self._hits(term))

    def near(self, word: str, limit: int) -> set[str]:
        """Alphabetic terms sharing all but 3 × limit of word's bigrams, of a length within
        limit of word's (each edit changes at most 3 bigrams: a transposition)."""
        grams = bigrams(word)
        need = len(grams) - 3 * limit
        out: set[str] = set()
        lengths = range(len(word) - limit, len(word) + limit + 1)
        for table, _ in self.parts:
            lists = [table.gram_ids(g, n) for n in lengths for g in grams]
            lists = [a for a in lists if len(a)]
            if not lists:
                continue
            ids, counts = np.unique(np.concatenate(lists), return_counts=True)
            out.update(table.terms[int(i)] for i in ids[counts >= need])
        return out

    def prefixed(self, prefix: str, lang: str | None, min_freq: int) -> dict[str, int]:
        """Completable terms starting with prefix (in lang if given) → frequency."""
        found: Counter = Counter()
        bit = LANG_BIT[lang] if lang else 0xFF
        for table, _ in self.parts:
            span = table.terms.span(prefix)
            if not len(span):
                continue
            langs = table.langs[span.start:span.stop]
            for i in np.flatnonzero(langs & bit) + span.start:
                found[table.terms[int(i)]] += 0
        for term in found:
            found[term] = self.frequency(term)
        return {t: n for t, n in found.items()
                if n >= min_freq and completable(t) and not self.hidden(t)}

    def top(self, prefix: str, lang: str | None, limit: int, min_freq: int) -> list[str]:
        """The most frequent completable terms of a 1–3 letter prefix: each segment's stored
        best ones, ranked by their frequency in the whole index."""
        cands = {table.terms[int(i)] for table, _ in self.parts
                 for i in table.top_ids(prefix, lang)}
        scored = [(self.frequency(t), t) for t in cands if len(t) > len(prefix)]
        return [t for n, t in heapq.nlargest(limit, scored) if n >= min_freq]

    def titles(self, key: str, limit: int) -> list[str]:
        """Titles of live documents whose normalised title starts with key, in order."""
        rows = []
        for table, segment in self.parts:
            i = bisect.bisect_left(table.tnorm, key)
            taken = 0
            while i < len(table.tnorm) and taken < limit:
                norm = table.tnorm[i]
                if not norm.startswith(key):
                    break
                if not segment.is_deleted(int(table.title_doc[i])):
                    rows.append((norm, table.titles[i]))
                    taken += 1
                i += 1
        return list(dict.fromkeys(title for _, title in sorted(rows)))[:limit]


def subreaders(reader) -> list:
    return getattr(reader, "readers", None) or [reader]


def generation_lexicon(reader) -> Lexicon:
    """The Lexicon of a reader's generation: its segments' tables, mapped once per segment."""
    subs = subreaders(reader)
    if not all(getattr(r, "_segment", None) is not None for r in subs):
        # Not segments of a Whoosh index (a cluster's vocabulary): built whole, once per
        # generation by the caller's cache.
        if hasattr(reader, "is_empty") and reader.is_empty():
            return Lexicon([])
        return Lexicon([(SegmentTable(from_reader(reader)), _NoDeletions())])
    return Lexicon([(segment_table(r), r._segment) for r in subs])


class _NoDeletions:
    def is_deleted(self, docnum: int) -> bool:
        return False
