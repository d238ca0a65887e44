"""Snippets: the best sentences of a document with the query's original words marked."""

import functools
import re
from html import escape

from search.morph import lemmas
from search.text import HOMOGLYPHS, MAX_WORD, WORD_RE, normalize

SNIPPET_CHARS = 260
SCAN_CHARS = 200_000  # beyond this a match is not looked for: snippets must stay fast
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_SPACES = re.compile(r"\s+")
HEAD = 2  # letters of a query term that a candidate word must start with
# How else a term's letter may be written in a text: terms are folded (ё→е, ґ→г) and Cyrillic.
_SPELLINGS = {"е": "ё", "г": "ґ", "'": "’ʼ‘`´"}
for _latin, _cyr in HOMOGLYPHS.items():
    _SPELLINGS[_cyr] = _SPELLINGS.get(_cyr, "") + chr(_latin)


@functools.lru_cache(maxsize=4096)
def _candidates(heads: frozenset[str]) -> re.Pattern:
    """A regex for word starts that could be a form of the terms (their first letters)."""
    alts = []
    for head in sorted(heads):
        alts.append("".join(f"[{re.escape(c + _SPELLINGS.get(c, ''))}]" for c in head))
    return re.compile(r"(?<![^\W_])(?:" + "|".join(alts) + ")", re.IGNORECASE)


def match_spans(text: str, lang: str, terms: set[str], prefixes=()) -> list[tuple[int, int]]:
    """(start, end) of every word in text that is one of the query's lemmas or prefixes."""
    spans = []
    if not terms and not prefixes:
        return spans
    prefixes = tuple(prefixes)
    # Only words that start like a query term are analysed: a C-speed scan skips the rest.
    # (A form that shares no first letters with its lemma or the query word is not marked.)
    heads = _candidates(frozenset(t[:HEAD] for t in (*terms, *prefixes) if t))
    end = min(len(text), SCAN_CHARS)
    pos = 0
    while True:
        c = heads.search(text, pos, end)
        if not c:
            break
        m = WORD_RE.match(text, c.start(), end)
        if not m:
            pos = c.end()
            continue
        forms = _forms(m.group(), lang)
        if not terms.isdisjoint(forms) or (prefixes and any(f.startswith(prefixes) for f in forms)):
            spans.append(m.span())
        pos = m.end()
    return spans


@functools.lru_cache(maxsize=300_000)
def _forms(surface: str, lang: str) -> tuple[str, ...]:
    """A word as written → itself normalised plus its lemmas (cached: snippets are a hot path)."""
    if len(surface) > MAX_WORD:
        return ()
    word = normalize(surface)
    return (word, *lemmas(word, lang))


def mark(text: str, spans, start: int = 0, end: int | None = None) -> str:
    """HTML of text[start:end], escaped, with spans wrapped in <mark>."""
    end = len(text) if end is None else end
    out, pos = [], start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(escape(text[pos:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    return "".join(out)


def _sentences(text: str) -> list[tuple[int, int]]:
    bounds, pos = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > pos:
            bounds.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        bounds.append((pos, len(text)))
    return bounds


def _window(text: str, spans, size: int) -> tuple[int, int]:
    """Sentence-aligned [start, end) of about size characters holding the most matches."""
    sentences = _sentences(text[:SCAN_CHARS])
    if not sentences:
        return 0, 0
    words = [{text[s:e].lower() for s, e in spans if a <= s < b} for a, b in sentences]
    # Distinct words first (a sentence with both query words beats one word twice).
    best = max(range(len(sentences)), key=lambda i: (len(words[i]), -i))
    a, b = sentences[best]
    nxt, prev = best + 1, best - 1
    while b - a < size * 0.7 and (nxt < len(sentences) or prev >= 0):
        if nxt < len(sentences) and sentences[nxt][1] - a <= size:
            b, nxt = sentences[nxt][1], nxt + 1
        elif prev >= 0 and b - sentences[prev][0] <= size:
            a, prev = sentences[prev][0], prev - 1
        else:
            break
    if b - a > size:
        # One long sentence: centre the window on its first match, cut at spaces.
        first = next((s for s, _ in spans if a <= s < b), a)
        a = max(a, first - size // 3)
        b = min(b, a + size)
        if a > sentences[best][0]:
            a = text.find(" ", a, first) + 1 or a
        if b < sentences[best][1]:
            b = text.rfind(" ", first, b) if text.rfind(" ", first, b) > first else b
    return a, b


def snippet(text: str, lang: str, terms: set[str], prefixes=(), size: int = SNIPPET_CHARS) -> str:
    """Safe HTML: about size characters of text around the best matches, matches in <mark>."""
    spans = match_spans(text, lang, terms, prefixes)
    a, b = _window(text, spans, size)
    html = _SPACES.sub(" ", mark(text, spans, a, b)).strip()
    return ("… " if a > 0 else "") + html + (" …" if b < len(text) else "")


def highlight(text: str, lang: str, terms: set[str], prefixes=()) -> str:
    """Safe HTML of the whole text with matches in <mark>."""
    return mark(text, match_spans(text, lang, terms, prefixes))
