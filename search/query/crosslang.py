"""A query word's counterparts in the other language: news words, place names, spelling rules.

counterparts('Путіна', reader) gives {'ru': ['путин']}: index terms of the other language's
fields. Sources, first found wins per word: the bilingual news-word list and CLDR names of
countries and cities (babel), then the systematic uk↔ru spelling correspondences, whose
results are kept only if the other dictionary (and, given a reader, the index) knows them.
Latin names go through search/query/latin.py.
"""

import hashlib
import math
import os
import pickle
from functools import cache, lru_cache
from importlib import metadata
from pathlib import Path

from search.morph import LANGS, is_known, lemmas, own_language
from search.query.latin import cyrillic, in_index
from search.query.readings import readings
from search.schema import KINDS
from search.text import STOP_WORDS, fold, is_cyrillic, normalize

DATA = Path(__file__).resolve().parent.parent / "data"
# Where the tables built from CLDR and the word lists are kept between processes (set by the
# CLI: loading CLDR through babel and looking up its names cost each run ~0.6 s); None: none.
CACHE_DIR: Path | None = None
OTHER = {"uk": "ru", "ru": "uk"}
MIN_LETTERS = 4  # shorter words turn into other real words by chance too often
MAX_COST = 2  # spelling substitutions per word
# A query whose words are together this many times more frequent, per document, in one
# language's documents than in the other's looks like that language (мир: Russian).
LEAN = 3.0


def _lines(name: str):
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            yield line.split("\t")


@cache
def spelling_rules() -> dict[str, dict[str, list[tuple[str, int]]]]:
    """lang → its letter group → [(the other language's letter group, cost)]."""
    rules: dict[str, dict[str, list[tuple[str, int]]]] = {"uk": {}, "ru": {}}
    for uk, ru, cost in list(_lines("uk_ru_spelling.tsv"))[1:]:
        rules["uk"].setdefault(uk, []).append((ru, int(cost)))
        if ru:
            rules["ru"].setdefault(ru, []).append((uk, int(cost)))
    return rules


def _term(word: str, lang: str) -> str:
    """The index term a dictionary form is found under."""
    word = fold(normalize(word))
    found = lemmas(word, lang)
    return word if word in found else found[0]


def _cache_key() -> str:
    """What the cached tables are made from: the code, the word lists and the versions of the
    CLDR data and the dictionaries."""
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent.parent
    for path in (Path(__file__), here / "morph.py", here / "readings.py", here / "text.py",
                 DATA / "news_words.tsv", DATA / "en_names.tsv"):
        h.update(path.read_bytes())
    for dist in ("babel", "pymorphy3", "pymorphy3-dicts-uk", "pymorphy3-dicts-ru"):
        try:
            h.update(f"{dist}={metadata.version(dist)};".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{dist}=?;".encode())
    return h.hexdigest()[:20]


def _cached(name: str, build):
    """build(), kept in CACHE_DIR (if set) for the next process, rebuilt when what it is made
    from changes."""
    if CACHE_DIR is None:
        return build()
    path = CACHE_DIR / f"{name}-{_cache_key()}.pickle"
    try:
        return pickle.loads(path.read_bytes())  # noqa: S301 (written by this function)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError):
        pass
    value = build()
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
        tmp.replace(path)  # atomic: another run may write the same file
    except OSError:  # a read-only home, say: built again next time
        tmp.unlink(missing_ok=True)
    return value


@cache
def word_pairs() -> dict[tuple[str, str], tuple[str, ...]]:
    """(lang, index term) → index terms of the other language: news words, then CLDR names."""
    return _cached("word_pairs", _word_pairs)


def _word_pairs() -> dict[tuple[str, str], tuple[str, ...]]:
    pairs: dict[tuple[str, str], list[str]] = {}

    def add(uk_words: list[str], ru_words: list[str]) -> None:
        for src, dst, words, others in (("uk", "ru", uk_words, ru_words),
                                        ("ru", "uk", ru_words, uk_words)):
            for w in words:
                found = pairs.setdefault((src, _term(w, src)), [])
                found += [t for t in (_term(o, dst) for o in others) if t not in found]

    for uk, ru in list(_lines("news_words.tsv"))[1:]:
        add(uk.split("|"), ru.split("|"))
    for names in cldr_names():
        uk, ru = names["uk"], names["ru"]
        if len(uk) == len(ru):  # word by word: Південна Корея / Южная Корея
            for u, r in zip(uk, ru, strict=True):
                if u.isalpha() and r.isalpha() and len(u) > 2:
                    add([u], [r])
    return {k: tuple(v) for k, v in pairs.items()}


@cache
def english_names() -> dict[str, dict[str, tuple[str, ...]]]:
    """An English name of a country or city (one word) → lang → its index terms there."""
    return _cached("english_names", _english_names)


def _english_names() -> dict[str, dict[str, tuple[str, ...]]]:
    out: dict[str, dict[str, list[str]]] = {}
    # CLDR's names, then the names English news also uses (Turkey, Washington).
    extra = [{"en": [en], "uk": uk.split("|"), "ru": ru.split("|")}
             for en, uk, ru in list(_lines("en_names.tsv"))[1:]]
    for names in [*cldr_names(), *extra]:
        if all(len(names[k]) == 1 for k in names) or names in extra:
            found = out.setdefault(fold(normalize(names["en"][0])), {})
            for lang in LANGS:
                for name in names[lang]:
                    term = _term(name, lang)
                    if term not in found.setdefault(lang, []):
                        found[lang].append(term)
    return {k: {lang: tuple(v) for lang, v in d.items()} for k, d in out.items()}


@cache
def cldr_names() -> list[dict[str, list[str]]]:
    """Countries, territories and time-zone cities in uk, ru and en, as CLDR (babel) has them."""
    from babel import Locale

    loc = {lang: Locale(lang) for lang in ("uk", "ru", "en")}
    out = []
    for code in loc["en"].territories:
        if code.isalpha() and len(code) == 2 and all(code in loc[k].territories for k in loc):
            out.append({k: loc[k].territories[code].split() for k in loc})
    for zone in loc["uk"].time_zones:
        cities = {k: loc[k].time_zones.get(zone, {}).get("city") for k in ("uk", "ru")}
        if all(cities.values()) and "/" in zone:
            en = loc["en"].time_zones.get(zone, {}).get("city") or zone.split("/")[-1]
            out.append({k: v.split() for k, v in cities.items()} | {"en": en.split("_")})
    return out


@lru_cache(maxsize=100_000)
def spellings(word: str, src: str) -> tuple[tuple[int, str, bool], ...]:
    """(cost, word, known to the dictionary) of the other language's spellings of a word,
    cheapest first: dictionary words up to MAX_COST, any other word up to a cost of 1 (a name
    only the index may know)."""
    dst, rules = OTHER[src], spelling_rules()[src]
    keys = sorted(rules, key=len, reverse=True)
    found: dict[str, int] = {}

    def walk(i: int, built: str, cost: int) -> None:
        if cost > MAX_COST:
            return
        if i == len(word):
            if built != word and (cost <= 1 or is_known(built, dst)):
                found[built] = min(cost, found.get(built, cost))
            return
        ch = word[i]
        if not (ch in "іїєґ'" and dst == "ru") and not (ch in "ыэъё" and dst == "uk"):
            walk(i + 1, built + ch, cost)
        for key in keys:
            if word.startswith(key, i):
                for rep, c in rules[key]:
                    walk(i + len(key), built + rep, cost + c)

    walk(0, "", 0)
    return tuple(sorted((c, w, is_known(w, dst)) for w, c in found.items()))


def _indexed(reader, lang: str, term: str) -> int:
    """Documents of the index with the term in the language's fields (0: none)."""
    return max(reader.doc_frequency(f"{k}_{lang}", term) for k in KINDS)


def _best(cands, dst: str, reader, name: bool) -> list[str]:
    """The cheapest candidates' index terms; of those, the one most documents have. Words no
    dictionary knows are looked up in the index only for a name, and only if no dictionary
    word is there (each lookup costs)."""
    ranked = []
    for known in (True, False):
        if ranked or (not known and (reader is None or not name)):
            break
        for cost, word, is_word in cands:
            if is_word != known:
                continue
            term = _term(word, dst) if known else word
            freq = _indexed(reader, dst, term) if reader is not None else 1
            if freq:
                ranked.append((cost, -freq, term))
    ranked.sort()
    return [ranked[0][2]] if ranked else []


def counterparts(word: str, raw: str = "", reader=None) -> dict[str, list[str]]:
    """lang → index terms of the word's counterparts in that language (not the word's own)."""
    norm = fold(normalize(word))
    out: dict[str, list[str]] = {}
    if not is_cyrillic(norm):
        return _from_latin(norm, reader)
    pairs = word_pairs()
    for src in LANGS:
        dst = OTHER[src]
        own = own_language(norm)
        if own not in (None, src):
            continue
        if not is_known(norm, src) and (reader is None or not _indexed(reader, src, norm)):
            continue
        mine = readings(norm, src, raw or word)
        # A word of both languages (народ, сила) already matches there: only the list says
        # what else it is called (уряд, also an old Russian word, is правительство).
        shared = is_known(norm, dst) and bool(set(mine) & set(readings(norm, dst, raw or word)))
        terms: list[str] = []
        for lemma in mine[:2]:
            found = list(pairs.get((src, lemma), ()))
            if reader is not None:
                found = [t for t in found if _indexed(reader, dst, t)]
            if not found and not shared and len(lemma) >= MIN_LETTERS:
                found = _best(spellings(lemma, src), dst, reader, (raw or word)[:1].isupper())
            terms += [t for t in found if t not in terms]
        if terms:
            out.setdefault(dst, []).extend(t for t in terms if t not in out.get(dst, []))
    return out


def query_language(words: list[str], reader=None) -> str | None:
    """The language a query looks like, or None: the one whose own letters its words have,
    else (given a reader) the one whose documents use its words LEAN times more often."""
    owns = {own_language(w) for w in words} - {None}
    if owns or reader is None:
        return owns.pop() if len(owns) == 1 else None
    try:
        docs = {lang: reader.doc_frequency("lang", lang) for lang in LANGS}
    except (KeyError, AttributeError):  # no per-document language (a cluster's vocabulary)
        return None
    if not all(docs.values()):  # one language only: nothing to prefer
        return None
    lean = 0.0
    for word in words:
        if word in STOP_WORDS or not is_cyrillic(word):
            continue
        rate = {}
        for lang in LANGS:
            mine = readings(word, lang, word)
            rate[lang] = ((_indexed(reader, lang, mine[0]) if mine else 0) + 1) / (docs[lang] + 1)
        lean += math.log(rate["ru"] / rate["uk"])
    if abs(lean) < math.log(LEAN):
        return None
    return "ru" if lean > 0 else "uk"


def _from_latin(word: str, reader) -> dict[str, list[str]]:
    """lang → index terms of the Cyrillic names a Latin word spells, and their counterparts."""
    # An English name of a place is not a romanisation (Germany is not германий).
    found = {lang: list(v) for lang, v in english_names().get(word, {}).items()} or {
        lang: [_term(w, lang) for w in words] for lang, words in cyrillic(word).items()}
    if not found and reader is not None:
        found = {lang: list(terms) for lang, terms in in_index(word, reader).items()}
    out: dict[str, list[str]] = {}
    for lang, terms in found.items():
        for term in terms:
            if reader is not None and not _indexed(reader, lang, term):
                continue
            if term not in out.setdefault(lang, []):
                out[lang].append(term)
            for other, more in counterparts(term, term, reader).items():
                out.setdefault(other, []).extend(t for t in more if t not in out[other])
    return {k: v for k, v in out.items() if v}
