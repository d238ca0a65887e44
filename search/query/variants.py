"""Other names of a query word: Ukrainian/Russian/Latin forms of Ukrainian place names.

variants('Запорожье') gives [('запоріжжя', 'uk'), ('запорожье', 'ru')]: index terms to look
for in the fields of each language. Latin words not in the table are transliterated back with
the official Ukrainian system (CMU resolution No. 55, 2010), kept only if a dictionary knows them.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from search.morph import is_known, lemmas
from search.query.latin import spellings
from search.query.layout import latin_words
from search.text import fold, is_cyrillic, normalize

PLACES = Path(__file__).resolve().parent.parent / "data" / "places.tsv"
ADJECTIVE_KINDS = {"oblast"}  # their words are adjectives: the index term is the masculine lemma

# Official Ukrainian romanisation (CMU No. 55, 27.01.2010); word-initial forms apart.
TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ж": "zh",
    "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu", "я": "ia", "'": "",
}
INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
# Latin → Cyrillic: every reading of each Latin letter group, the likeliest first.
FROM_LATIN = {
    "shch": ["щ"], "zgh": ["зг"], "zh": ["ж"], "kh": ["х"], "ts": ["ц", "ць"], "ch": ["ч"],
    "sh": ["ш"], "ia": ["я", "ія"], "iu": ["ю", "ію"], "ie": ["є", "іє"], "ya": ["я"],
    "yu": ["ю"], "ye": ["є"], "yi": ["ї", "ий"], "a": ["а"], "b": ["б"], "v": ["в"],
    "h": ["г"], "g": ["ґ", "г"], "d": ["д"], "e": ["е"], "z": ["з"], "y": ["и", "й"],
    "i": ["і", "ї", "й"], "k": ["к"], "l": ["л", "ль"], "m": ["м"], "n": ["н", "нь"],
    "o": ["о"], "p": ["п"], "r": ["р"], "s": ["с", "сь"], "t": ["т", "ть"], "u": ["у"],
    "f": ["ф"], "c": ["ц"], "w": ["в"], "x": ["кс"], "q": ["к"], "j": ["й"],
}
_KEYS = sorted(FROM_LATIN, key=len, reverse=True)
MAX_READINGS = 512  # transliteration candidates tried against the dictionary


@dataclass(frozen=True)
class Place:
    """One word position of a place's names: index terms per language."""

    kind: str
    terms: tuple[tuple[str, str], ...]  # (index term, lang)


def to_latin(word: str) -> str:
    """Official Ukrainian romanisation of a word (lowercase)."""
    word = normalize(word).replace("зг", "zgh")
    out = []
    for i, ch in enumerate(word):
        # After an apostrophe я/ю/є/ї are not word-initial: Знам'янка → Znamianka.
        start = i == 0 or not (word[i - 1].isalpha() or word[i - 1] == "'")
        out.append(INITIAL.get(ch, TO_LATIN.get(ch, ch)) if start else TO_LATIN.get(ch, ch))
    return "".join(out)


def _readings(word: str) -> list[str]:
    """Cyrillic spellings a romanised word may come from (capped), likeliest first."""
    return spellings(word, FROM_LATIN, _KEYS, MAX_READINGS, _options)


def _options(word: str, i: int, key: str) -> list[str]:
    """The readings of the letter group key at word[i], with the official scheme's cases."""
    opts = FROM_LATIN[key]
    if key in ("ya", "yu", "ye", "yi") and i > 0 and word[i - 1] not in "aeiouy'-":
        # "kyiv": и then ї, not a digraph
        opts = [*("и" + x for x in FROM_LATIN[key[1]]), *opts]
    if key == "yi" and i + 2 == len(word):
        opts = ["ий", *opts]  # adjective ending: Khmelnytskyi
    if key == "i" and i > 0 and word[i - 1] in "aeou":
        opts = ["ї", "й", "і"]  # after a vowel i is ї or й
    return opts


def from_latin(word: str) -> list[str]:
    """Ukrainian words a Latin word transliterates back to, known to the dictionary."""
    word = normalize(word)
    if is_cyrillic(word) or not word.isascii():
        return []
    return [c for c in dict.fromkeys(_readings(word)) if is_known(c, "uk")]


def _term(word: str, lang: str, kind: str) -> str:
    readings = lemmas(word, lang)
    if kind in ADJECTIVE_KINDS or word not in readings:
        return readings[0]
    return word  # the analyzer indexes every reading; the name itself is the one we mean


@cache
def table() -> dict[str, list[tuple[Place, bool]]]:
    """Lookup key (a normalised form or lemma) → (place word, needs a capital letter)."""
    index: dict[str, list[tuple[Place, bool]]] = {}
    for line in PLACES.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith(("#", "kind\t")):
            continue
        kind, *cols = line.split("\t")
        names = [(lang, name) for lang, col in zip(("uk", "ru", "la"), cols, strict=True)
                 for name in col.split("|")]
        width = len(names[0][1].split())
        for pos in range(width):
            words = [(lang, name.split()[pos]) for lang, name in names]
            terms = tuple(dict.fromkeys(
                (fold(_term(normalize(w.lstrip("~")), lang, kind)), lang)
                for lang, w in words if lang != "la"))
            place = Place(kind, terms)
            for lang, w in words:
                norm = fold(normalize(w.lstrip("~")))
                keys = {norm} | ({terms_of(norm, lang, kind)} if lang != "la" else set())
                for key in keys:
                    index.setdefault(key, []).append((place, w.startswith("~")))
    return index


def terms_of(word: str, lang: str, kind: str) -> str:
    """The index term a table word is found under (its lemma for adjectives)."""
    return fold(_term(word, lang, kind))


def variants(word: str) -> list[tuple[str, str]]:
    """(index term, lang) of every name of the place a query word names; [] if none."""
    norm = fold(normalize(word))
    capital = word[:1].isupper()
    keys = [norm] + [fold(t) for lang in ("uk", "ru") for t in lemmas(norm, lang)]
    found = [place for key in dict.fromkeys(keys) for place, needs_capital in table().get(key, ())
             if capital or not needs_capital]
    if any(p.kind not in ADJECTIVE_KINDS for p in found):
        # "Kyiv" is also the first word of "Kyiv Oblast": alone it means the city.
        found = [p for p in found if p.kind not in ADJECTIVE_KINDS]
    out: dict[tuple[str, str], None] = {}
    for place in found:
        out.update(dict.fromkeys(place.terms))
    if not out and capital and norm.isascii() and norm.isalpha() and norm not in latin_words():
        # A Latin name the table lacks: an official-style romanisation of a Ukrainian word.
        for cand in from_latin(norm)[:1]:
            out[(fold(lemmas(cand, "uk")[0]), "uk")] = None
    return list(out)
