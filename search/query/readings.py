"""Which readings of a query word to search: the ones its form and capital letter allow."""

from functools import lru_cache

from search.morph import analyzer, is_known, lemmas

# pymorphy3 tags of proper names: a capitalised query word that has such a reading means it.
PROPER = frozenset(("Geox", "Name", "Surn", "Patr", "Orgn", "Trad"))


@lru_cache(maxsize=100_000)
def _proper_lemmas(word: str, lang: str) -> frozenset[str]:
    try:
        parses = analyzer(lang).parse(word)
    except ValueError:
        return frozenset()
    return frozenset(p.normal_form.replace("ё", "е") for p in parses if PROPER & p.tag.grammemes)


DICTIONARY_FORM = 0.5  # weight factor of other words' readings of a word in dictionary form


def weighted_readings(word: str, lang: str, raw: str = "") -> tuple[tuple[str, float], ...]:
    """(index term, weight factor) of a normalised query word in one language, likeliest first.

    A capitalised word with a proper-name reading means the name (Київ is not кий's genitive
    plural: that reading is dropped); a lower-case word that is itself a dictionary form
    (вибори) means that word first, and other words' inflections (вибір's plural) weigh less.
    """
    found = lemmas(word, lang)
    if len(found) < 2 or not is_known(word, lang):
        return tuple((t, 1.0) for t in found)
    proper = _proper_lemmas(word, lang)
    if raw[:1].isupper():
        kept = tuple(t for t in found if t in proper)
        if kept:
            found = kept
        elif word in found:
            return ((word, 1.0),)
    elif word in found and word not in proper:  # сахара is сахар's genitive, not the Sahara
        return ((word, 1.0), *((t, DICTIONARY_FORM) for t in found if t != word))
    return tuple((t, 1.0) for t in found)


def readings(word: str, lang: str, raw: str = "") -> tuple[str, ...]:
    """The readings a query word surely has (weight factor 1), likeliest first."""
    return tuple(t for t, w in weighted_readings(word, lang, raw) if w == 1.0)
