"""Whoosh analysis chain: word tokenizer, then a per-language lemma filter.

Whoosh pickles the schema with its analyzers, so these classes live at a stable import path
and carry only small picklable state (the language code).
"""

from whoosh.analysis import Filter, Token, Tokenizer

from search.morph import EXTRA_BOOST, lemmas
from search.text import tokenize


class WordTokenizer(Tokenizer):
    """Words with inner apostrophes/hyphens; token text normalised, offsets true to the source."""

    def __eq__(self, other):
        return type(self) is type(other)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize_=True, mode="",
                 **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, (word, start, end) in enumerate(tokenize(value), start_pos):
            t.text = word
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = value[start:end]
            if positions:
                t.pos = pos
            if chars:
                t.startchar, t.endchar = start_char + start, start_char + end
            yield t


class LemmaFilter(Filter):
    """Replace each word by all its distinct lemmas at the same position, extras boosted lower."""

    def __init__(self, lang: str):
        self.lang = lang

    def __eq__(self, other):
        return type(self) is type(other) and self.lang == other.lang

    def __call__(self, tokens):
        for t in tokens:
            # Whoosh reuses one Token object, so each variant is yielded then overwritten.
            base = t.boost
            for i, term in enumerate(lemmas(t.text, self.lang)):
                t.text = term
                t.boost = base if i == 0 else base * EXTRA_BOOST
                yield t


def language_analyzer(lang: str):
    """The analyzer used for fields in the given language."""
    return WordTokenizer() | LemmaFilter(lang)
