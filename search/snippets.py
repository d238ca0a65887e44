"""Snippets: the best sentences of a document with the query's original words marked."""

import functools
import re
from html import escape

from search.morph import lemmas
from search.text import HOMOGLYPHS, MAX_WORD, STOP_WORDS, WORD_RE, normalize

SNIPPET_CHARS = 260
SCAN_CHARS = 200_000  # beyond this a match is not looked for: snippets must stay fast
# A sentence ends at . ! ? … followed by space, or at a line break (the punctuation stays).
_SENTENCE_END = re.compile(r"[.!?…]\s+|\n+")
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


REACH = 400  # characters looked at around a match for its sentence's ends


def _sentence_at(text: str, pos: int) -> tuple[int, int]:
    """[start, end) of the sentence around pos, looking at most REACH characters each way."""
    lo = max(0, pos - REACH)
    start = lo
    for m in _SENTENCE_END.finditer(text, lo, pos):
        start = m.end()
    if start == lo and lo > 0:  # no sentence start within reach: start at a space
        start = text.find(" ", lo, pos) + 1 or lo
    m = _SENTENCE_END.search(text, pos, min(len(text), pos + REACH))
    if m:
        end = m.start() + (text[m.start()] != "\n")  # the full stop stays with its sentence
    else:
        end = min(len(text), pos + REACH)
        end = text.rfind(" ", pos, end) if end < len(text) and text.rfind(" ", pos, end) > pos \
            else end
    return start, end


MAX_SPANS = 16  # matches considered for the best sentence (the earliest ones)


def _window(text: str, spans, size: int) -> tuple[int, int]:
    """Sentence-aligned [start, end) of about size characters holding the most matches.

    Sentences are found around the matches only, not over the whole text: a long article's
    snippet costs what its first matches cost.
    """
    if not text.strip():
        return 0, 0
    found: dict[tuple[int, int], set[str]] = {}
    # Sentences with the query's content words: a function word (у, на, и) alone says nothing
    # of why the document matched, and many of them early would crowd the others out.
    content = [(s, e) for s, e in spans if text[s:e].lower() not in STOP_WORDS]
    for s, e in (content or spans)[:MAX_SPANS]:
        bounds = next((b for b in found if b[0] <= s < b[1]), None) or _sentence_at(text, s)
        found.setdefault(bounds, set()).add(text[s:e].lower())
    if not found:
        found[_sentence_at(text, 0)] = set()
    # Distinct words first (a sentence with both query words beats one word twice).
    a, b = max(found, key=lambda bounds: (len(found[bounds]), -bounds[0]))
    first_a, first_b = a, b
    while b - a < size * 0.7:
        if b < len(text) and (nxt := _sentence_at(text, _skip_space(text, b)))[1] - a <= size \
                and nxt[1] > b:
            b = nxt[1]
        elif a > 0 and b - (prev := _sentence_at(text, max(0, _back_space(text, a) - 1)))[0] \
                <= size and prev[0] < a:
            a = prev[0]
        else:
            break
    if b - a > size:
        # One long sentence: centre the window on its first match, cut at spaces.
        first = next((s for s, _ in spans if a <= s < b), a)
        a = max(a, first - size // 3)
        b = min(b, a + size)
        if a > first_a:
            a = text.find(" ", a, first) + 1 or a
        if b < first_b:
            b = text.rfind(" ", first, b) if text.rfind(" ", first, b) > first else b
    return a, b


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return min(pos, len(text) - 1)


def _back_space(text: str, pos: int) -> int:
    while pos > 0 and text[pos - 1].isspace():
        pos -= 1
    return pos


def snippet(text: str, lang: str, terms: set[str], prefixes=(), size: int = SNIPPET_CHARS) -> str:
    """Safe HTML: about size characters of text around the best matches, matches in <mark>."""
    spans = match_spans(text, lang, terms, prefixes)
    a, b = _window(text, spans, size)
    html = _SPACES.sub(" ", mark(text, spans, a, b)).strip()
    return ("… " if a > 0 else "") + html + (" …" if b < len(text) else "")


def highlight(text: str, lang: str, terms: set[str], prefixes=()) -> str:
    """Safe HTML of the whole text with matches in <mark>."""
    return mark(text, match_spans(text, lang, terms, prefixes))
