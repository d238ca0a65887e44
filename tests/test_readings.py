"""search/readings.py: what pymorphy3's analysers give, read past parse(), on real dictionaries."""

import pytest
from pymorphy3.units import UnknownPrefixAnalyzer

from search.morph import _lemmas, clear_cache
from search.readings import MAX_LEMMAS, _by_unknown_prefix, analyzer
from search.text import fold


def _unit(lang: str) -> UnknownPrefixAnalyzer:
    return next(u for u, _ in analyzer(lang)._units if isinstance(u, UnknownPrefixAnalyzer))


# Words whose end the dictionary knows (байт+код, зумер+ы), with more readings than _lemmas
# keeps (бу+стали: стать, сталь, …; ыы+души), and none at all (хайпануть, щщмою in Ukrainian).
@pytest.mark.parametrize(("lang", "word"), [
    ("ru", "байткод"), ("ru", "блогерша"), ("ru", "зумеры"), ("ru", "стримил"),
    ("ru", "квазимою"), ("ru", "бустали"), ("ru", "ыыдуши"), ("ru", "хайпануть"),
    ("uk", "байткод"), ("uk", "суперкішка"), ("uk", "ютубери"), ("uk", "квазістали"),
    ("uk", "жжстали"), ("uk", "ъъпечі"), ("uk", "ыыдуші"), ("uk", "щщмою"),
])
def test_unknown_prefix_forms_are_the_analysers_first_distinct_ones(lang, word):
    expected = [p[2] for p in _unit(lang).parse(word, word, set())]
    got = _by_unknown_prefix(word, analyzer(lang))
    assert got == expected[:len(got)]
    assert len({fold(f) for f in got}) == min(MAX_LEMMAS, len({fold(f) for f in expected}))


@pytest.mark.parametrize(("lang", "word", "lemmas"), [
    ("ru", "бустали", ("бустать", "бусталь", "бустали", "бусталя")),
    ("ru", "байткод", ("байткод", "байткода")),
    ("uk", "жжстали", ("жжстати", "жжстанути", "жжстал", "жжстала")),
    ("uk", "квазістали", ("квазістати", "квазістанути")),
])
def test_a_word_read_by_its_known_end_has_those_lemmas(lang, word, lemmas):
    clear_cache()
    assert _lemmas(word, lang) == lemmas
