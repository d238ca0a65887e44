"""Suggest as you type: index terms starting with what was typed, most frequent first.

Terms are lemmas with ё→е and ґ→г folded, as the index holds them; function words are left out.
Completions show them as the documents write them (surface.py): alone, the lemma with the capital
the texts give it; after other words, its most frequent written form; one per lemma. They stay
in the language of the words typed before them, and Latin prefixes of Ukrainian place names
complete to their Latin names. The terms, the top terms of every 1–3 letter prefix and the
titles come from each segment's word table, written with the segment (lexicon.py): a commit
never makes a call rebuild them; a call is a few binary searches per segment.
"""

import heapq
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from search.morph import LANGS, is_known, lemmas, own_language
from search.query.layout import convert
from search.query.lexicon import Lexicon, norm_title
from search.query.spelling import vocabulary
from search.query.surface import all_proper, may_be_a_name
from search.query.variants import ADJECTIVE_KINDS, PLACES, terms_of
from search.text import WORD_RE, fold, is_cyrillic, normalize

TOP = 20  # completions kept per short prefix; callers ask for fewer
SHORT_PREFIX = 3  # prefixes up to this long are precomputed
MIN_FREQ = 2  # in a big index a term in a single document is too often a typo or noise
BIG_INDEX = 1000  # documents from which MIN_FREQ applies
_LAST_WORD = re.compile(r"(\S*)$")
CASE_SAMPLE_DOCS = 3  # documents read to see whether a word is written with a capital
_SENTENCE_END = re.compile(r"[.!?…:»\"]\s*$|^\s*$")


@dataclass
class Completions:
    """A generation's terms (its segments' word tables) and its best terms of short prefixes."""

    lexicon: Lexicon
    min_freq: int
    top: dict[tuple[str | None, str], list[str]] = field(default_factory=dict)

    @property
    def by_lang(self):
        return self.lexicon.by_lang

    @property
    def proper(self) -> dict[str, bool]:
        return _proper


# term → written with a capital; a property of the texts, kept across commits.
_proper: dict[str, bool] = {}
MAX_PROPER = 100_000


def completions(reader) -> Completions:
    """The completion table of the reader's index generation (made in microseconds)."""
    vocab = vocabulary(reader)
    table = vocab.extra.get("completions")
    if table is None:
        min_freq = MIN_FREQ if reader.doc_count() >= BIG_INDEX else 1
        table = vocab.extra["completions"] = Completions(vocab, min_freq)
    return table


def _scan(table: Completions, prefix: str, limit: int, lang=None) -> list[str]:
    found = table.lexicon.prefixed(prefix, lang, table.min_freq)
    return [t for _, t in heapq.nlargest(limit, ((n, t) for t, n in found.items()))]


def _complete_word(table: Completions, prefix: str, limit: int, lang=None) -> list[str]:
    if len(prefix) > SHORT_PREFIX:
        return _scan(table, prefix, limit, lang)
    key = (lang, prefix)
    if key not in table.top:
        table.top[key] = table.lexicon.top(prefix, lang, TOP, table.min_freq)
    return table.top[key][:limit]


def phrase_language(text: str, by_lang=None) -> str | None:
    """The language the words of text are in ("uk" or "ru"), or None if they do not say: by
    letters only one language has, then the dictionaries, then (by_lang: index terms per
    language) which language's documents use the word."""
    votes: Counter = Counter()
    for m in WORD_RE.finditer(text):
        word = normalize(m.group())
        lang = own_language(word)
        if lang is None:
            known = [lang for lang in LANGS if is_known(word, lang)]
            if len(known) != 1 and by_lang:
                # "уряд" is in both dictionaries; Russian news does not use it.
                known = [lang for lang in LANGS
                         if lemmas(word, lang)[0] in by_lang.get(lang, ())]
            lang = known[0] if len(known) == 1 else None
        if lang:
            votes[lang] += 1
    ranked = votes.most_common()
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


@cache
def latin_places() -> tuple[tuple[str, str, tuple[tuple[str, str], ...], str], ...]:
    """(folded Latin name, Latin name, its (index term, lang) pairs, kind) of the place-name
    table, the official spelling of each place first."""
    rows = []
    for line in PLACES.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith(("#", "kind\t")):
            continue
        kind, uk, ru, latin = line.split("\t")
        terms = tuple(dict.fromkeys(
            (terms_of(fold(normalize(name.split()[0].lstrip("~"))), lang, kind), lang)
            for lang, col in (("uk", uk), ("ru", ru)) for name in col.split("|")))
        rows += [(name.casefold(), name, terms, kind) for name in latin.split("|")]
    return tuple(rows)


def _complete_place(table: Completions, word: str, limit: int) -> list[str]:
    """Latin names of indexed places that start with word ("zapor" → Zaporizhzhia)."""
    out, seen = [], set()
    for key, name, terms, _ in latin_places():
        if key.startswith(word) and terms not in seen and any(
                t in table.by_lang.get(lang, ()) for t, lang in terms):
            seen.add(terms)
            out.append(name)
    return out[:limit]


@cache
def _place_terms() -> frozenset[str]:
    # Not the adjectives of "Київська область": alone they are common words.
    return frozenset(t for _, _, terms, kind in latin_places() if kind not in ADJECTIVE_KINDS
                     for t, _ in terms)


def _written_with_capital(reader, term: str) -> bool:
    """Whether the texts write the term's words with a capital inside sentences."""
    upper = lower = 0
    candidates = re.compile(rf"(?<!\w){re.escape(term[:3])}\w*", re.IGNORECASE)
    for lang in LANGS:
        for kind in ("body", "title"):
            name = f"{kind}_{lang}"
            if name not in reader.schema or not reader.frequency(name, term):
                continue
            docs = itertools.islice(reader.postings(name, term).all_ids(), CASE_SAMPLE_DOCS)
            for docnum in docs:
                text = reader.stored_fields(docnum).get(kind) or ""
                # Only words that may be forms of term (their first letters); the first word
                # of a sentence is capitalised whatever it is.
                for m in candidates.finditer(text):
                    word = m.group()
                    if (_SENTENCE_END.search(text[max(0, m.start() - 3):m.start()])
                            or term not in lemmas(fold(normalize(word)), lang)):
                        continue
                    upper, lower = upper + word[0].isupper(), lower + word[0].islower()
            if upper + lower:
                return upper > lower
    return False


def _shown(reader, table: Completions, term: str) -> str:
    """The term as a person writes it: proper names with a capital."""
    proper = table.proper.get(term)
    if proper is None:
        if len(_proper) > MAX_PROPER:
            _proper.clear()
        proper = table.proper[term] = may_be_a_name(term) and (
            term in _place_terms() or all_proper(term) or _written_with_capital(reader, term))
    return term[:1].upper() + term[1:] if proper else term


def complete(reader, prefix: str, limit: int = 10, cased: bool = False) -> list[str]:
    """Up to limit completions of the last word of prefix (earlier words kept as typed), in
    the language of the earlier words when they show one; index terms as they are, or with
    cased, proper names capitalised as people write them."""
    last = _LAST_WORD.search(prefix).group(1)
    head = prefix[: len(prefix) - len(last)]
    word = fold(normalize(last))
    if not word:
        return []
    table = completions(reader)
    lang = phrase_language(head, table.by_lang)
    langs = (lang,) if lang else LANGS
    found = _complete_word(table, word, limit, lang)
    if not is_cyrillic(word) and len(word) >= SHORT_PREFIX:
        found = _complete_place(table, word, limit) + found
    if len(found) < limit and len(word) > SHORT_PREFIX:
        # A whole inflected word ("Запоріжжі") completes to its lemma.
        for lang_ in langs:
            for lemma in lemmas(word, lang_):
                if lemma != word:
                    found += _complete_word(table, lemma, limit, lang)
    if len(found) < limit and not is_cyrillic(word) and len(word) >= 2:
        # Typed in the US layout while meaning Ukrainian or Russian.
        for lang_ in langs:
            found += _complete_word(table, fold(normalize(convert(last, "en", lang_))), limit,
                                    lang)
    terms = list(dict.fromkeys(found))
    if not cased:
        return [head + t for t in terms[:limit]]
    # One completion per lemma, as the documents write it.
    out = {}
    for t in terms:
        shown = (_as_written(reader, table, t, word, lang, bool(head.strip()))
                 if is_cyrillic(t) else t)
        out.setdefault(shown.casefold(), head + shown)
    return list(out.values())[:limit]


def _as_written(reader, table: Completions, term: str, word: str, lang: str | None,
                phrase: bool) -> str:
    """In a phrase, the term's most frequent surface form when it extends what was typed;
    alone (or else), the lemma as the texts write it (names with their capital)."""
    found = table.lexicon.shown(term, lang)
    if found is None:  # no segment saw it written (a cluster's vocabulary)
        return _shown(reader, table, term)
    form, lemma = found
    k = min(len(word), len(term))
    if phrase and fold(normalize(form)).startswith(term[:k]):
        return form
    if lemma == term:  # written only first in sentences: the dictionary decides
        return term[:1].upper() + term[1:] if _is_name(term) else term
    # Adjectives and verbs written with a capital are parts of names ("Київська область").
    return lemma if lemma.islower() or may_be_a_name(term) else term


def _is_name(term: str) -> bool:
    """Whether the dictionaries or the place-name table say the lemma is a proper name."""
    if term not in _dictionary_names:
        if len(_dictionary_names) > MAX_PROPER:
            _dictionary_names.clear()
        _dictionary_names[term] = may_be_a_name(term) and (
            term in _place_terms() or all_proper(term))
    return _dictionary_names[term]


_dictionary_names: dict[str, bool] = {}


def complete_title(reader, prefix: str, limit: int = 5) -> list[str]:
    """Titles of indexed documents that start with prefix (case and apostrophes ignored)."""
    key = norm_title(prefix)
    if len(key) < SHORT_PREFIX:
        return []
    return completions(reader).lexicon.titles(key, limit)
