"""Tokenizing and normalising token text (never the stored text)."""

import functools
import re
import unicodedata

# Word = letters/digits, joined by inner apostrophes or hyphens. Combining marks (stress U+0301,
# decomposed й/ї) and the soft hyphen U+00AD may sit inside a word; the token text drops them.
WORD_RE = re.compile(
    r"(?:[^\W_]|[\u0300-\u036f\u00ad])+(?:['’ʼ‘`´\-‐‑](?:[^\W_]|[\u0300-\u036f\u00ad])+)*"
)

APOSTROPHES = str.maketrans({c: "'" for c in "’ʼ‘`´"})
HYPHENS = str.maketrans({"‐": "-", "‑": "-"})
_PUNCT = {**APOSTROPHES, **HYPHENS}
# After NFC has composed й, ї, ё, any combining mark left is a stress or accent mark.
STRIP = {c: None for c in [*range(0x300, 0x370), 0xAD]}
# Most words have none of the characters the tables map: a regex search is cheaper than
# str.translate with a dict (a Python lookup per character).
_HAS_MARK = re.compile(r"[\u0300-\u036f\u00ad]")
_HAS_PUNCT = re.compile(r"[’ʼ‘`´‐‑]")
MAX_WORD = 64  # longer "words" are junk (base64, URLs glued together) and are not indexed
# Output-term folding: the same word is spelled with and without these letters.
FOLD = str.maketrans({"ё": "е", "ґ": "г"})

# Latin letters that look like Cyrillic ones; mapped only inside words that contain Cyrillic.
HOMOGLYPHS = str.maketrans({
    "a": "а", "c": "с", "e": "е", "i": "і", "o": "о", "p": "р", "x": "х", "y": "у",
    "k": "к", "m": "м", "h": "н", "t": "т", "b": "в",
})
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-z]")


def is_cyrillic(word: str) -> bool:
    """True if the word contains a Cyrillic letter."""
    return bool(_CYRILLIC.search(word))


@functools.lru_cache(maxsize=400_000)
def normalize(word: str) -> str:
    """Token text as looked up in dictionaries: NFC, lowercase, one apostrophe, no stress marks."""
    word = unicodedata.normalize("NFC", word)
    if _HAS_MARK.search(word):
        word = word.translate(STRIP)
    word = word.lower()  # (may add a combining mark: İ → i̇, kept as before)
    if _HAS_PUNCT.search(word):
        word = word.translate(_PUNCT)
    if _LATIN.search(word) and is_cyrillic(word):
        word = word.translate(HOMOGLYPHS)
    return word


def fold(term: str) -> str:
    """Fold letters that are spelled inconsistently (ё→е, ґ→г) in an output term."""
    return term.translate(FOLD) if "ё" in term or "ґ" in term else term


def tokenize(text: str):
    """Yield (normalised word, start, end) with true offsets into text."""
    for m in WORD_RE.finditer(text):
        if m.end() - m.start() <= MAX_WORD:
            yield normalize(m.group()), m.start(), m.end()


# Function words (either language): a headline's "у", "на", "и" may well be missing from the
# article, so they are never required when a query has other words; the ranking policy says how
# much they weigh (search/engine/policy.py). They are always highlighted.
STOP_WORDS = frozenset((
    # Ukrainian
    "і й та а але чи що як не ні це у в на з із зі до від за по про для при над під об о ж же "
    "бо то ще уже вже так також які який яка яке де коли бути був була було були буде будуть є "
    "цей ця ці цього цієї цих цьому той те ті того тієї тих тому він вона воно вони його її їх "
    "їм йому ми ви ти я нас вас свій своя своє свої свого своєї себе після перед між через без біля"
    # Russian
    " и да но или что как не ни это во с со к ко от из у о об при над под же бы ли то еще уже "
    "так также какой какая какие где когда быть был была было были будет будут есть этот эта "
    "эти этой этого этих этому тот та те той того тех тому он она оно они его ее её их им ему "
    "мы вы ты я нас вас свой своя свое свои своего своей себя после перед между через без около"
).split())
