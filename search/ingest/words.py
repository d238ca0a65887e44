"""The words of a text field as the bulk builder (segment.py) splits them: WORD_RE's words,
found by a faster regex when the text has no character past the first plane; and which fields
are analysed by our own analyzer (so the builder may analyse them itself)."""

import re

from whoosh.analysis import CompositeAnalyzer
from whoosh.formats import PositionBoosts

from search.analysis import LemmaFilter, WordTokenizer
from search.text import WORD_RE


def _plane0_letters() -> str:
    """The characters of WORD_RE's words ([^\\W_], combining marks, the soft hyphen) of the
    first plane, spelled out as ranges: a class the regex engine tests with one bitmap lookup
    a character, not an alternation with four lookups in the Unicode database."""
    runs = re.finditer(r"(?:[^\W_]|[\u0300-\u036f\u00ad])+", "".join(map(chr, range(0x10000))))
    return "".join(f"\\u{m.start():04x}-\\u{m.end() - 1:04x}" for m in runs)


_LETTERS = _plane0_letters()
# WORD_RE for a text without characters past the first plane (nearly all): the same words, in
# 30–40 % of WORD_RE's CPU. (Possessive: nothing to backtrack into, 5 % faster.)
_PLANE0_WORD = re.compile(rf"[{_LETTERS}]++(?:['’ʼ‘`´\-‐‑][{_LETTERS}]++)*+")


def words_of(text: str) -> list[str]:
    """The words WORD_RE finds in text (as written, whatever their length)."""
    if len(text.encode("utf-16-le", "surrogatepass")) == 2 * len(text):  # no astral character
        return _PLANE0_WORD.findall(text)
    return WORD_RE.findall(text)


def fast_language(fieldobj) -> str | None:
    """The language of a text field analysed by our WordTokenizer | LemmaFilter, else None."""
    ana = getattr(fieldobj, "analyzer", None)
    if not isinstance(fieldobj.format, PositionBoosts) or not isinstance(ana, CompositeAnalyzer):
        return None
    items = ana.items
    if len(items) == 2 and isinstance(items[0], WordTokenizer) and \
            isinstance(items[1], LemmaFilter):
        return items[1].lang
    return None
