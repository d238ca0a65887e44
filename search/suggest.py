"""Suggest as you type: index terms starting with what was typed, most frequent first.

Terms are lemmas with ё→е and ґ→г folded, as the index holds them. The sorted term list and the
top terms of every 1–3 letter prefix are built once per index generation (with the spelling
vocabulary) and cached, so a call is a dict lookup or a binary search plus a short scan.
"""

import bisect
import heapq
import itertools
import re
from dataclasses import dataclass

from search.layout import convert
from search.morph import LANGS, lemmas
from search.spelling import vocabulary
from search.text import fold, is_cyrillic, normalize

TOP = 20  # completions kept per short prefix; callers ask for fewer
SHORT_PREFIX = 3  # prefixes up to this long are precomputed
MIN_FREQ = 2  # in a big index a term in a single document is too often a typo or noise
BIG_INDEX = 1000  # documents from which MIN_FREQ applies
MIN_LEN = 3  # shorter terms are prepositions and particles, not worth offering
_LAST_WORD = re.compile(r"(\S*)$")


@dataclass
class Completions:
    """Sorted terms with frequencies, and the best terms of each short prefix."""

    terms: list[str]
    freq: list[int]
    top: dict[str, list[str]]
    titles: list[tuple[str, str]] | None = None  # (normalised title, title), sorted


def completions(reader) -> Completions:
    """The cached completion table of the reader's index generation."""
    vocab = vocabulary(reader)
    table = vocab.extra.get("completions")
    if table is None:
        min_freq = MIN_FREQ if reader.doc_count() >= BIG_INDEX else 1
        table = vocab.extra["completions"] = _build(vocab.freq, min_freq)
    return table


def _build(freq: dict[str, int], min_freq: int) -> Completions:
    terms = sorted(t for t, n in freq.items() if n >= min_freq and len(t) >= MIN_LEN
                   and not t.isdigit())
    counts = [freq[t] for t in terms]
    groups: dict[str, list[tuple[int, str]]] = {}
    for t, n in zip(terms, counts, strict=True):
        for k in range(1, SHORT_PREFIX + 1):
            if len(t) > k:
                groups.setdefault(t[:k], []).append((n, t))
    top = {p: [t for _, t in heapq.nlargest(TOP, g, key=lambda x: (x[0], x[1]))]
           for p, g in groups.items()}
    return Completions(terms, counts, top)


def _complete_word(table: Completions, prefix: str, limit: int) -> list[str]:
    if len(prefix) <= SHORT_PREFIX:
        return table.top.get(prefix, [])[:limit]
    lo = bisect.bisect_left(table.terms, prefix)
    hi = bisect.bisect_left(table.terms, prefix + "\U0010ffff")
    best = heapq.nlargest(limit, range(lo, hi), key=table.freq.__getitem__)
    return [table.terms[i] for i in best]


def complete(reader, prefix: str, limit: int = 10) -> list[str]:
    """Up to limit completions of the last word of prefix (earlier words kept as typed)."""
    last = _LAST_WORD.search(prefix).group(1)
    head = prefix[: len(prefix) - len(last)]
    word = fold(normalize(last))
    if not word:
        return []
    table = completions(reader)
    found = _complete_word(table, word, limit)
    if len(found) < limit and len(word) > SHORT_PREFIX:
        # A whole inflected word ("Запоріжжі") completes to its lemma.
        for lang in LANGS:
            for lemma in lemmas(word, lang):
                if lemma != word:
                    found += _complete_word(table, lemma, limit)
    if len(found) < limit and not is_cyrillic(word) and len(word) >= 2:
        # Typed in the US layout while meaning Ukrainian or Russian.
        for lang in LANGS:
            found += _complete_word(table, fold(normalize(convert(last, "en", lang))), limit)
    out = list(dict.fromkeys(found))[:limit]
    return [head + t for t in out]


def _norm_title(title: str) -> str:
    return " ".join(fold(normalize(w)) for w in title.split())


def complete_title(reader, prefix: str, limit: int = 5) -> list[str]:
    """Titles of indexed documents that start with prefix (case and apostrophes ignored)."""
    key = _norm_title(prefix)
    if len(key) < SHORT_PREFIX:
        return []
    table = completions(reader)
    if table.titles is None:
        # Built on first use: reading every stored title costs more than the term list.
        table.titles = sorted({(_norm_title(f.get("title") or ""), f.get("title") or "")
                               for f in reader.all_stored_fields() if f.get("title")})
    lo = bisect.bisect_left(table.titles, (key,))
    out = []
    for norm, title in itertools.islice(table.titles, lo, None):
        if not norm.startswith(key) or len(out) >= limit:
            break
        out.append(title)
    return out
