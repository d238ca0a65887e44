"""What pymorphy3's parse() gives, read past parse(): the analysers per language, the
dictionary's lemmas of a word, and an unknown Cyrillic word's first readings."""

import functools
import re

import pymorphy3
from pymorphy3.units import (
    AbbreviatedFirstNameAnalyzer,
    AbbreviatedPatronymicAnalyzer,
    DictionaryAnalyzer,
    HyphenAdverbAnalyzer,
    HyphenatedWordsAnalyzer,
    HyphenSeparatedParticleAnalyzer,
    LatinAnalyzer,
    NumberAnalyzer,
    PunctuationAnalyzer,
    RomanNumberAnalyzer,
    UnknownPrefixAnalyzer,
)
from pymorphy3.utils import word_splits

from search.text import fold

_KNOWN_METHODS = {"DictionaryAnalyzer", "HyphenatedWordsAnalyzer"}
# Letters of one word without hyphens or digits: what these analysers never read (the
# dictionary is looked up before; the others want shapes, or hyphens).
_CYRILLIC_WORD = re.compile(r"[\u0400-\u04ff]+(?:'[\u0400-\u04ff]+)*")
_NOTHING_IN_CYRILLIC = {DictionaryAnalyzer, AbbreviatedFirstNameAnalyzer,
                        AbbreviatedPatronymicAnalyzer, NumberAnalyzer, PunctuationAnalyzer,
                        RomanNumberAnalyzer, LatinAnalyzer, HyphenSeparatedParticleAnalyzer,
                        HyphenAdverbAnalyzer, HyphenatedWordsAnalyzer}
MAX_LEMMAS = 4  # more readings than this are noise and cost postings


@functools.cache
def analyzer(lang: str) -> pymorphy3.MorphAnalyzer:
    """One MorphAnalyzer per language per process (load before gunicorn forks)."""
    return pymorphy3.MorphAnalyzer(lang=lang)


def _method(parse) -> str:
    return type(parse.methods_stack[0][0]).__name__


def _dictionary_lemmas_folded(word: str, lang: str) -> tuple[str, ...] | None:
    """What the lemma table stores for a word: its distinct folded dictionary lemmas, or None."""
    known = _dictionary_lemmas(word, lang)
    return None if known is None else tuple(dict.fromkeys(fold(t) for t in known))[:MAX_LEMMAS]


def _unknown_readings(word: str, lang: str) -> list[tuple[str, str]] | None:
    """(normal form, method) of parse(word)'s first readings, in its order, for a Cyrillic word
    without hyphens that the dictionary does not know: those of the first analyser that finds
    any; None when P(tag | word) could reorder them.

    parse() runs its analysers in order, stopping after a terminal one that found readings,
    and keeps that order when P(tag | word) knows no tag of the word (as for nearly every
    unknown word). The dictionary and the analysers of shapes (numbers, Latin, punctuation,
    initials) find nothing in such a word; no reading of the others is a dictionary one, so
    _lemmas keeps only the first reading's normal form, and the analysers after the first that
    finds one (the costly suffix analyser, after the unknown prefix one) need not run. Without
    them, and without building Parse objects and probabilities, it costs about half as much.
    """
    morph = analyzer(lang)
    if morph.prob_estimator is not None and morph.prob_estimator.p_t_given_w.keys(word + ":"):
        return None
    seen: set = set()
    for unit in _predictors(lang):
        if unit.__class__ is UnknownPrefixAnalyzer and not seen:
            forms = _by_unknown_prefix(word, morph)
            if forms:
                return [(form, "DictionaryAnalyzer") for form in forms]
            continue
        found = unit.parse(word, word, seen)
        if found:
            return [(p[2], type(p[4][0][0]).__name__) for p in found]
    return []


def _by_unknown_prefix(word: str, morph: pymorphy3.MorphAnalyzer) -> list[str]:
    """The normal forms of UnknownPrefixAnalyzer.parse(word, word, set()), in its order, up to
    the MAX_LEMMAS-th distinct folded one: all that _lemmas keeps of them (each is a dictionary
    reading of the word's end, its method stack's first).

    What that analyser does, without its parse tuples and method stacks (a third less CPU):
    the dictionary's readings of the word without its first 1–5 letters, productive tags
    only, each (word, tag, paradigm) once, normal forms with the letters put back.
    """
    d, substitutes = morph.dictionary, morph.char_substitutes
    forms: list[str] = []
    folded: set[str] = set()
    seen: set = set()
    for prefix, rest in word_splits(word):
        for fixed, parses in d.words.similar_items(rest, substitutes):
            for para_id, idx in parses:
                tag = d.build_tag_info(para_id, idx)
                if not tag.is_productive() or (prefix + fixed, tag, para_id) in seen:
                    continue
                seen.add((prefix + fixed, tag, para_id))
                forms.append(prefix + d.build_normal_form(para_id, idx, fixed))
                folded.add(fold(forms[-1]))
                if len(folded) == MAX_LEMMAS:
                    return forms
    return forms


@functools.cache
def _predictors(lang: str) -> list:
    """The language's analysers that may read a Cyrillic word without hyphens that the
    dictionary does not know, in parse()'s order."""
    return [unit for unit, _terminal in analyzer(lang)._units
            if unit.__class__ not in _NOTHING_IN_CYRILLIC]


def _dictionary_lemmas(word: str, lang: str) -> list[str] | None:
    """The normal forms of a word the dictionary knows, in parse()'s order, or None.

    What parse() gives for such a word, without building its tags and Parse objects: the
    dictionary's readings, stably sorted by P(tag | word) when there is a choice of lemmas
    (one, when all readings have the same).
    """
    morph = analyzer(lang)
    d = morph.dictionary
    word = word.lower()
    found = d.words.similar_items(word, morph.char_substitutes)
    if not found:
        return None
    readings = [(fixed, para_id, idx) for fixed, parses in found for para_id, idx in parses]
    forms = [d.build_normal_form(para_id, idx, fixed) for fixed, para_id, idx in readings]
    if len(set(forms)) == 1:
        return forms[:1]
    if morph.prob_estimator is None:
        return forms
    prob = morph.prob_estimator.p_t_given_w.prob
    probs = [prob(word, d.build_tag_info(para_id, idx)) for _, para_id, idx in readings]
    return [f for _, f in sorted(zip(probs, forms, strict=True), key=lambda pf: -pf[0])]
