"""Names typed in Latin letters back in Cyrillic: standard romanisations reversed, checked.

names('Erdogan', reader) gives {'ru': ['эрдоган'], 'uk': ['ердоган']}. Every Cyrillic spelling
the Latin letters may stand for is tried; one is kept when a dictionary knows it, a standard
romanisation of it (iuliia's Russian schemas, translitua's Ukrainian and Russian tables) gives
back the word as typed, and (given a reader) the index has it. English names of countries and
cities come from CLDR (search/query/crosslang.py).
"""

import itertools
import warnings
from functools import cache, lru_cache

from search.morph import LANGS, is_known
from search.text import fold, normalize

# Every Cyrillic reading of a Latin letter group in some romanisation of Russian or Ukrainian.
FROM_LATIN = {
    "shch": ["щ"], "sch": ["щ"], "zh": ["ж"], "kh": ["х"], "ts": ["ц"], "tz": ["ц"],
    "ch": ["ч"], "sh": ["ш"], "ya": ["я", "ья", "ия", "ія"], "ia": ["я", "ия", "ія", "ья"],
    "yu": ["ю", "ью"], "iu": ["ю", "ию", "ью"], "ye": ["е", "є", "ье", "ые"],
    "ie": ["е", "є", "ие", "іє", "ье"], "yo": ["ё", "ьо", "йо"], "yi": ["ї", "ий", "ый", "ій"],
    "iy": ["ий", "ый", "ій"], "yy": ["ый", "ий", "ій"], "ii": ["ий", "ій", "ии"],
    "a": ["а"], "b": ["б"], "v": ["в"], "w": ["в"], "g": ["г", "ґ"], "h": ["х", "г"],
    "d": ["д"], "e": ["е", "э", "є"], "z": ["з"], "i": ["и", "й", "і", "ї", "ь"],
    "y": ["ы", "й", "и", "ий", "ый"], "k": ["к"], "c": ["к", "ц"], "l": ["л", "ль"], "m": ["м"],
    "n": ["н", "нь"], "o": ["о", "ё"], "p": ["п"], "r": ["р"], "s": ["с", "сь"], "t": ["т", "ть"],
    "u": ["у"], "f": ["ф"], "x": ["кс"], "q": ["к"], "j": ["й", "дж", "ж"], "'": ["ь", "ъ", ""],
}
_KEYS = sorted(FROM_LATIN, key=len, reverse=True)
MAX_SPELLINGS = 4096  # Cyrillic spellings tried per Latin word
MIN_LETTERS = 4
NOT_IN = {"uk": set("ыэъё"), "ru": set("іїєґ'")}


@cache
def _schemes():
    import iuliia
    import translitua

    ru = [getattr(iuliia, n) for n in ("WIKIPEDIA", "BGN_PCGN", "ICAO_DOC_9303", "MVD_782",
                                       "GOST_52535", "YANDEX_MAPS", "TELEGRAM")]
    uk = [getattr(translitua, n) for n in ("UkrainianKMU", "UkrainianBGN", "UkrainianBGN2019",
                                           "UkrainianPassport2007", "UkrainianNational1996")]
    ru_tables = [translitua.RussianInternationalPassport, translitua.RussianSimple]
    return {
        "ru": [s.translate for s in ru] + [lambda w, t=t: translitua.translit(w, t)
                                           for t in ru_tables],
        "uk": [lambda w, t=t: translitua.translit(w, t) for t in uk],
    }


def romanisations(word: str, lang: str) -> set[str]:
    """The word in every standard romanisation used for the language (lower case, no
    apostrophes)."""
    out = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for scheme in _schemes()[lang]:
            out.add(_plain(scheme(word)))
    return out


def _plain(latin: str) -> str:
    return "".join(c for c in latin.lower() if c.isalpha() or c == "-")


def spellings(word: str, table: dict[str, list[str]], keys: list[str], cap: int,
              options=None) -> list[str]:
    """Cyrillic spellings of a Latin word by table's letter groups (keys: longest first, the
    first that matches at each place), at most cap, likeliest first; options(word, i, key)
    may replace a group's readings."""
    parts, i = [], 0
    while i < len(word):
        key = next((k for k in keys if word.startswith(k, i)), None)
        if key is None:
            parts.append([word[i]])
            i += 1
            continue
        parts.append(options(word, i, key) if options else table[key])
        i += len(key)
    return ["".join(p) for p in itertools.islice(itertools.product(*parts), cap)]


def _spellings(word: str) -> list[str]:
    return spellings(word, FROM_LATIN, _KEYS, MAX_SPELLINGS)


@lru_cache(maxsize=20_000)
def cyrillic(word: str) -> dict[str, tuple[str, ...]]:
    """lang → dictionary words a Latin word is a standard romanisation of."""
    word = normalize(word)
    if not word.isascii() or not word.replace("'", "").isalpha() or len(word) < MIN_LETTERS:
        return {}
    typed = _plain(word)
    out: dict[str, list[str]] = {}
    for cand in dict.fromkeys(_spellings(word)):
        for lang in LANGS:
            if NOT_IN[lang] & set(cand) or not is_known(cand, lang):
                continue
            if typed in romanisations(cand, lang):
                out.setdefault(lang, []).append(fold(cand))
    return {k: tuple(v) for k, v in out.items()}


def in_index(word: str, reader, field: str = "body") -> dict[str, tuple[str, ...]]:
    """lang → index terms (names no dictionary knows) a Latin word is a romanisation of."""
    word = normalize(word)
    if not word.isascii() or not word.isalpha() or len(word) < MIN_LETTERS:
        return {}
    typed, out = _plain(word), {}
    for cand in dict.fromkeys(_spellings(word)):
        for lang in LANGS:
            if (not NOT_IN[lang] & set(cand) and (f"{field}_{lang}", fold(cand)) in reader
                    and typed in romanisations(cand, lang)):
                out.setdefault(lang, []).append(fold(cand))
    return {k: tuple(v) for k, v in out.items()}
