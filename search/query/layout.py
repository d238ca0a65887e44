"""Wrong keyboard layout: text typed in US QWERTY meant as Ukrainian/Russian ЙЦУКЕН, and back.

The Ukrainian table is the Windows "Ukrainian (Enhanced)" layout (the default since Vista):
it is Russian ЙЦУКЕН with і on the S key, ї on ], є on ', ґ on \\ and the apostrophe on `.
"""

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

from search.morph import is_known
from search.text import is_cyrillic, normalize

# Keys in US QWERTY order, and what each gives in the Cyrillic layout (same position).
US = "qwertyuiop[]asdfghjkl;'zxcvbnm,./`\\" + 'QWERTYUIOP{}ASDFGHJKL:"ZXCVBNM<>?~|' + "@#$^&"
LAYOUTS = {
    "ru": "йцукенгшщзхъфывапролджэячсмитьбю.ё\\" + "ЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮ,Ё/" + '"№;:?',
    "uk": "йцукенгшщзхїфівапролджєячсмитьбю.'ґ" + "ЙЦУКЕНГШЩЗХЇФІВАПРОЛДЖЄЯЧСМИТЬБЮ,₴Ґ" + '"№;:?',
}
assert all(len(v) == len(US) for v in LAYOUTS.values())
TABLES = {
    **{("en", lang): str.maketrans(US, cyr) for lang, cyr in LAYOUTS.items()},
    **{(lang, "en"): str.maketrans(cyr, US) for lang, cyr in LAYOUTS.items()},
}
LANGS = tuple(LAYOUTS)
MIN_LETTERS = 3  # shorter strings turn into some real word by chance too often
_DATA = Path(__file__).resolve().parent.parent / "data"
_LATIN_WORD = re.compile(r"[a-z][a-z'\-]*")
_HAS_DIGIT = re.compile(r"\d")
_TRAILING = ",.;:!?"  # punctuation at the end of a word is punctuation, not б/ю/ж

Known = Callable[[str], bool]


def convert(text: str, src: str, dst: str) -> str:
    """Retype text as if typed with layout dst instead of src ('en', 'uk' or 'ru')."""
    return text.translate(TABLES[(src, dst)])


@cache
def latin_words() -> frozenset[str]:
    """Known Latin words: English function words plus brands and terms common in the news."""
    words = set()
    for line in (_DATA / "latin_words.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            words.add(line.strip().strip(",.").lower())
    return frozenset(words)


def is_latin_word(word: str, known: Known | None = None) -> bool:
    """True if a normalised Latin word is a word people really type (list or index)."""
    return word in latin_words() or bool(known and known(word))


def is_cyrillic_word(word: str, known: Known | None = None) -> bool:
    """True if a normalised Cyrillic word is in a dictionary or the index."""
    return any(is_known(word, lang) for lang in LANGS) or bool(known and known(word))


def _looks_like_latin_name(word: str) -> bool:
    # Digits (COVID-19), inner capitals (iPhone) and short all-caps words (NATO) are names.
    letters = [c for c in word if c.isalpha()]
    inner_capital = any(c.isupper() for c in word[1:]) and not word.isupper()
    acronym = word.isupper() and len(letters) <= 4
    return bool(_HAS_DIGIT.search(word)) or inner_capital or acronym


def detect_layout(word: str, known: Known | None = None) -> list[tuple[str, str]]:
    """(retyped word, lang) if the word was typed in the wrong layout, best first; else []."""
    core = word.rstrip(_TRAILING) or word
    tail = word[len(core):]
    found = _detect(word, known)
    if not found and tail:
        found = [(w + tail, lang) for w, lang in _detect(core, known)]
    return found


def _detect(word: str, known: Known | None) -> list[tuple[str, str]]:
    if sum(c.isalpha() for c in word) < MIN_LETTERS:
        return []
    norm = normalize(word)
    if is_cyrillic(word):
        if is_cyrillic_word(norm, known):
            return []
        out = []
        for lang in LANGS:
            latin = convert(word, lang, "en")
            if (_LATIN_WORD.fullmatch(latin.lower()) and is_latin_word(latin.lower(), known)
                    and (latin, "en") not in out):
                out.append((latin, "en"))
        return out
    if not re.search(r"[A-Za-z]", word) or _looks_like_latin_name(word):
        return []
    if is_latin_word(norm, known):
        return []
    out = []
    for lang in LANGS:
        cyr = convert(word, "en", lang)
        cyr_norm = normalize(cyr)
        if not is_cyrillic(cyr) or re.search(r"[^\w'\-]", cyr_norm):
            continue
        if is_known(cyr_norm, lang) or (known and known(cyr_norm)):
            out.append((cyr, lang))
    return out


def correct_layout(query: str, known: Known | None = None) -> str | None:
    """The query retyped in the right layout if most of its words were mistyped, else None."""
    chunks = query.split()
    found = [detect_layout(c, known) for c in chunks]
    wrong = sum(bool(f) for f in found)
    if not chunks or wrong * 2 <= len(chunks):
        return None
    votes: dict[str, int] = {}
    for f in found:
        if f:
            votes[f[0][1]] = votes.get(f[0][1], 0) + 1
    lang = max(votes, key=votes.get)
    fixed = []
    for chunk, f in zip(chunks, found, strict=True):
        if f:
            fixed.append(next((w for w, lg in f if lg == lang), f[0][0]))
        elif _keep(chunk, known):
            fixed.append(chunk)
        else:
            # An unrecognised word in a mistyped query was most likely mistyped too.
            src, dst = ("en", lang) if lang != "en" else (_source_lang(chunk), "en")
            fixed.append(convert(chunk, src, dst))
    return " ".join(fixed)


def _keep(chunk: str, known: Known | None) -> bool:
    norm = normalize(chunk)
    if _HAS_DIGIT.search(chunk) or not any(c.isalpha() for c in chunk):
        return True
    if is_cyrillic(chunk):
        return is_cyrillic_word(norm, known)
    return is_latin_word(norm, known) or _looks_like_latin_name(chunk)


def _source_lang(chunk: str) -> str:
    return "uk" if re.search(r"[іїєґІЇЄҐ]", chunk) else "ru"
