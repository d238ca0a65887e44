"""Forgiving queries: wrong keyboard layout and misspelt words, decided per search."""

import re

from search.morph import lemmas
from search.query.crosslang import counterparts
from search.query.layout import correct_layout
from search.query.parse import straight_quotes
from search.query.spelling import suggest_word
from search.schema import KINDS
from search.text import WORD_RE, fold, normalize

FEW_RESULTS = 3  # below this many results a spelling suggestion is offered
_SYNTAX = re.compile(r'["*:]|(^|\s)-|\bOR\b')


def index_known(reader, langs):
    """known(word): the word, or its first lemma, is a term of the index (a cheap lookup)."""
    def known(word: str) -> bool:
        w = fold(normalize(word))
        return any((f"{kind}_{lang}", term) in reader
                   for lang in langs for term in {w, lemmas(w, lang)[0]} for kind in KINDS)

    return known


def layout_fix(text: str, reader, langs) -> str | None:
    """The query retyped in the layout the user meant, or None if it was typed right."""
    if _SYNTAX.search(straight_quotes(text)):
        return None  # operators mean the user typed on purpose
    known = index_known(reader, langs)

    def known_or_name(word: str) -> bool:
        # A Latin name the index has in Cyrillic: Зщкщырутлщ → poroshenko → Порошенко.
        return known(word) or (word.isascii() and bool(counterparts(word, word, reader)))

    fixed = correct_layout(text, known_or_name)
    return fixed if fixed and fixed != text else None


def spelling_fix(text: str, reader, langs, real_words: bool = False) -> str | None:
    """The query with words the index lacks replaced by the closest indexed words, or None.

    real_words: the query found nothing, so words a dictionary knows may be corrected too."""
    if _SYNTAX.search(straight_quotes(text)):
        return None
    out, pos, changed = [], 0, False
    for m in WORD_RE.finditer(text):
        better = suggest_word(reader, m.group(), langs, real_words)
        if better and fold(normalize(better)) != fold(normalize(m.group())):
            out.append(text[pos:m.start()])
            out.append(better)
            pos, changed = m.end(), True
    out.append(text[pos:])
    return "".join(out) if changed else None
