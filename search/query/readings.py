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


def readings(word: str, lang: str, raw: str = "") -> tuple[str, ...]:
    """Index terms of a normalised query word in one language, the likeliest first.

    A word the dictionary knows that is itself a dictionary form (вибори, Київ) means that
    lemma, not another word's inflection (вибір, кий); a capitalised word with a proper-name
    reading (Київ, not the common noun кий) means the name.
    """
    found = lemmas(word, lang)
    if len(found) < 2 or not is_known(word, lang):
        return found
    proper = _proper_lemmas(word, lang)
    if raw[:1].isupper():
        kept = tuple(t for t in found if t in proper)
        if kept:
            found = kept
    elif word in proper:
        return found  # lower case: сахара is сахар's genitive, not the Sahara
    if word in found:
        return (word,)
    return found
