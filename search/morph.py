"""pymorphy3 lemmas per language, cached per word, and document language detection."""

import functools
import hashlib
import itertools
import os
import re
from importlib.metadata import version
from pathlib import Path

from search import readings, text
from search.readings import (
    _CYRILLIC_WORD,
    _KNOWN_METHODS,
    MAX_LEMMAS,
    _dictionary_lemmas_folded,
    _method,
    _unknown_readings,
    analyzer,
)
from search.text import fold, normalize, tokenize

LANGS = ("uk", "ru")
# Letters that only one of the two languages has.
_OWN_LETTERS = {"uk": re.compile(r"[іїєґ]"), "ru": re.compile(r"[ыэъё]")}
_DIGIT = re.compile(r"\d")
# A lowercase Latin word no dictionary knows: pymorphy3's shape analysers give the word itself as
# its only normal form (LatinAnalyzer; RomanNumberAnalyzer and NumberAnalyzer for "mix", "nan"),
# so it is its own lemma, without parse().
_LATIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
EXTRA_BOOST = 0.5  # weight of a word's second and later readings
MAX_CACHED = 300_000  # words whose lemmas a process keeps, per table (~450 B each, both tables)
CACHE_FILE = "lemmas.cache"  # the lemmas of words seen before, beside an index's generations
_CACHE_HEAD = "newsearch-lemmas-1"  # the cache file's first line, with the analysis version
_cache: dict[tuple[str, str], tuple[str, ...]] = {}
_saved = 0  # entries of _cache that came from (or went to) a cache file
# Words as the texts write them → lemmas(normalize(word)), per language: the bulk builders'
# run-wide table (one lookup for a word every segment has, no normalising again).
_written: dict[str, dict[str, tuple[str, ...]]] = {lang: {} for lang in LANGS}
# lang → its lemma table's lookup (word → _dictionary_lemmas_folded(word) read from a file made
# once per machine), set by lemma_table.use(): a cache in front of pymorphy3's dictionary.
TABLES: dict = {}


def warm() -> None:
    """Load both dictionaries now, so forked workers share them."""
    for lang in LANGS:
        analyzer(lang).parse("тест")


def lemmas(word: str, lang: str) -> tuple[str, ...]:
    """Distinct index terms for a normalised word: most likely lemma first (cached)."""
    found = _cache.get((word, lang))
    if found is None:
        found = _lemmas(word, lang)
        if len(_cache) >= MAX_CACHED:
            clear_cache()
        _cache[word, lang] = found
    return found


def written_lemmas(word: str, lang: str) -> tuple[str, ...]:
    """lemmas(normalize(word), lang) of a word as written (cached per written form)."""
    table = _written[lang]
    found = table.get(word)
    if found is None:
        if len(table) >= MAX_CACHED:
            table.clear()
        lookup = TABLES.get(lang)
        if lookup is not None and word.isalpha():
            # Most new words: a dictionary word, one table lookup. The tables' keys are made
            # of Cyrillic letters, ' and . (tests/test_lemma_table.py), and a word of letters
            # whose lowercase is such a key is one normalize() only lowercases, and _lemmas
            # reads from the table. (Its lemmas are not kept in the lemma cache, which is for
            # the words the table does not know.)
            found = lookup(word.lower())
        if found is None:
            found = lemmas(normalize(word), lang)
        table[word] = found
    return found


def written_table(lang: str) -> dict[str, tuple[str, ...]]:
    """The written forms looked up by written_lemmas so far: form → lemmas (read only)."""
    return _written[lang]


def clear_cache() -> None:
    """Forget every word's lemmas (this process's)."""
    global _saved
    _cache.clear()
    for table in _written.values():
        table.clear()
    _saved = 0


@functools.cache
def analysis_version() -> str:
    """What lemmas() depends on: this module, search/readings.py and search/text.py as
    written, pymorphy3 and its dictionaries. A cache file made under another version is not
    used."""
    h = hashlib.sha256()
    for path in (__file__, readings.__file__, text.__file__):
        h.update(Path(path).read_bytes())
    for dist in ("pymorphy3", "pymorphy3-dicts-ru", "pymorphy3-dicts-uk"):
        h.update(version(dist).encode())
    return h.hexdigest()[:20]


def load_cache(folder) -> int:
    """Add the lemmas a cache file in folder holds (if made by this analysis); how many."""
    global _saved
    try:
        with open(Path(folder, CACHE_FILE), encoding="utf-8") as f:
            head = f.readline()
            if head != f"{_CACHE_HEAD}\t{analysis_version()}\n":
                return 0  # made by another analysis, or not a cache file
            rows = [line.split("\t") for line in f.read().split("\n") if line]
    except (OSError, ValueError):
        return 0  # none yet, or unreadable: lemmas are analysed again
    entries = {(r[1], r[0]): tuple(r[2:]) for r in rows if len(r) > 2}
    room = MAX_CACHED - len(_cache)
    if len(entries) > room:
        entries = dict(list(entries.items())[:room])
    _cache.update(entries)
    _saved = len(_cache)
    return len(entries)


def save_cache(folder) -> bool:
    """Write this process's lemmas to folder's cache file, if it has learnt new words."""
    global _saved
    if len(_cache) <= _saved:
        return False
    path = Path(folder, CACHE_FILE)
    tmp = path.with_name(f"{CACHE_FILE}.{os.getpid()}.tmp")
    try:
        # A line per word: language, word, its lemmas, tab-separated (words are WORD_RE's,
        # never with a tab or a line break): a third of JSON's cost to write, as fast to read.
        data = "\n".join(["\t".join((lang, word, *found))
                          for (word, lang), found in _cache.items()])
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(f"{_CACHE_HEAD}\t{analysis_version()}\n{data}\n")
        os.replace(tmp, path)  # readers see the old file or the new one, never half of one
    except OSError:
        tmp.unlink(missing_ok=True)
        return False  # only an optimisation
    _saved = len(_cache)
    return True


def learnt() -> dict[tuple[str, str], tuple[str, ...]]:
    """The lemmas this process analysed since its cache was loaded or saved (a writer
    process's, for its parent to save)."""
    return dict(itertools.islice(_cache.items(), _saved, None))


def learn(entries: dict[tuple[str, str], tuple[str, ...]]) -> None:
    """Add lemmas another process analysed (learnt()), to be saved with this one's."""
    for key, found in entries.items():
        if len(_cache) >= MAX_CACHED:
            break
        _cache.setdefault(key, found)


def _lemmas(word: str, lang: str) -> tuple[str, ...]:
    if _DIGIT.search(word):
        # Numbers are not lemmatised, the letters beside them are: "формулы-1" → "формула-1".
        # A number of two or more digits is a term of its own ("1220-го" → "1220"); "1" is not.
        # So is the word beside a number: "Берлинале-2015" is found by "Берлинале".
        parts = word.split("-")
        lemma = "-".join(p if not p or _DIGIT.search(p) else lemmas(p, lang)[0] for p in parts)
        numbers = [p for p in parts if _DIGIT.search(p) and len(p) >= 2 and p != word]
        words = [lemmas(p, lang)[0] for p in parts if len(p) >= 3 and not _DIGIT.search(p)]
        return tuple(dict.fromkeys([lemma, word, *numbers, *words]))
    known = None if "-" in word else _known_lemmas(word, lang)
    if known is not None:
        return known
    if _LATIN_WORD.fullmatch(word):
        return (word,)
    try:
        found = _unknown_readings(word, lang) if _CYRILLIC_WORD.fullmatch(word) else None
        if found is None:
            found = [(p.normal_form, _method(p)) for p in analyzer(lang).parse(word)]
    except ValueError:
        # pymorphy3 asks unicodedata.name() about letters; some (Tangut, new CJK) have none.
        return (word,)
    known = [form for form, method in found if method in _KNOWN_METHODS]
    if known:
        out = known
    else:
        # An unknown word: the predicted lemma is a guess, so keep the word itself too.
        out = [found[0][0], word] if found else [word]
    if "-" in word:
        for part in word.split("-"):
            if part:
                out.extend(lemmas(part, lang)[:1])
    return tuple(dict.fromkeys(fold(t) for t in out))[:MAX_LEMMAS + word.count("-")]


def _known_lemmas(word: str, lang: str) -> tuple[str, ...] | None:
    """The lemmas of a word without digits or hyphens that the dictionary knows, or None: read
    from the language's lemma table when lemma_table.use() loaded one (it holds every such word)."""
    table = TABLES.get(lang)
    if table is not None:
        return table(word.lower())
    return _dictionary_lemmas_folded(word, lang)


def own_language(word: str) -> str | None:
    """The language whose own letters the word has (і ї є ґ / ы э ъ ё), or None."""
    found = [lang for lang, rx in _OWN_LETTERS.items() if rx.search(word)]
    return found[0] if len(found) == 1 else None


def is_known(word: str, lang: str) -> bool:
    """True if the language's dictionary knows the word."""
    return analyzer(lang).word_is_known(word)


def detect_language(text: str, sample_words: int = 400) -> str:
    """'uk' or 'ru': letters only one language has, then dictionary coverage."""
    sample = text[:20_000].lower()
    counts = {lang: len(rx.findall(sample)) for lang, rx in _OWN_LETTERS.items()}
    uk, ru = counts["uk"], counts["ru"]
    if uk != ru and (uk == 0 or ru == 0 or max(uk, ru) >= 3 * min(uk, ru)):
        return "uk" if uk > ru else "ru"
    words = [w for w, _, _ in tokenize(sample) if w.isalpha()][:sample_words]
    if not words:
        return "uk"
    cover = {lang: sum(is_known(w, lang) for w in words) for lang in LANGS}
    return "ru" if cover["ru"] > cover["uk"] else "uk"
