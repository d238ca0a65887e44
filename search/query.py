"""Turn what a user typed into a Whoosh query: words analysed as Ukrainian and as Russian."""

import re
from dataclasses import dataclass, field

from whoosh import query as wq

from search.morph import LANGS, lemmas
from search.text import tokenize
from search.variants import variants

MAX_QUERY_WORDS = 64  # more words add cost, not precision
MAX_PREFIX_TERMS = 64  # a prefix expands to at most this many of the most frequent terms
MIN_PREFIX = 2
AND_MAX_WORDS = 4  # up to this many words must all match; longer queries rank by overlap
KINDS = ("title", "body")

# Quoted phrase, or a bare item; either may be preceded by - and/or title:.
_ITEM = re.compile(r'(?P<neg>-)?(?P<field>title:)?(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))',
                   re.IGNORECASE)


class QueryError(ValueError):
    """The query has nothing that can be searched."""


@dataclass
class Parsed:
    """A user query as a Whoosh query plus what snippets should highlight."""

    query: wq.Query
    terms: dict[str, set[str]] = field(default_factory=dict)  # lang → lemmas to highlight
    prefixes: set[str] = field(default_factory=set)
    words: list[str] = field(default_factory=list)  # normalised positive words, in order


def _fields(kinds, langs):
    return [(f"{k}_{lang}", lang) for k in kinds for lang in langs]


VARIANT_BOOST = 0.8  # another name of the same place (Запорожье for Запоріжжя)


def word_alternatives(word: str, lang: str, raw: str = "") -> list[tuple[str, float]]:
    """(term, boost) of a query word in one language: its lemmas, then names of the same place.

    raw is the word as typed (capitalisation tells a place name from a common word).
    """
    out = {t: 1.0 if i == 0 else 0.6 for i, t in enumerate(lemmas(word, lang))}
    for term, term_lang in variants(raw or word):
        if term_lang == lang:
            out.setdefault(term, VARIANT_BOOST)
    return list(out.items())


def _word_query(word, raw, kinds, langs, parsed):
    subs = []
    for lang in langs:
        # The word as typed is highlighted too (and its first letters find its forms fast).
        parsed.terms.setdefault(lang, set()).add(word)
    for fname, lang in _fields(kinds, langs):
        for term, boost in word_alternatives(word, lang, raw):
            subs.append(wq.Term(fname, term, boost=boost))
            parsed.terms.setdefault(lang, set()).add(term)
    return wq.Or(subs)


def _prefix_query(prefix, kinds, langs, reader, parsed):
    subs = []
    for fname, _lang in _fields(kinds, langs):
        if fname not in reader.schema:
            continue
        expanded = []
        for term in reader.expand_prefix(fname, prefix):
            expanded.append((reader.doc_frequency(fname, term), term))
            if len(expanded) >= MAX_PREFIX_TERMS * 16:
                break
        expanded.sort(reverse=True)
        subs.extend(wq.Term(fname, t) for _, t in expanded[:MAX_PREFIX_TERMS])
    parsed.prefixes.add(prefix)
    return wq.Or(subs) if subs else wq.NullQuery


def _phrase_query(words, raws, kinds, langs, parsed):
    options = []
    for fname, lang in _fields(kinds, langs):
        steps = []
        for w, raw in zip(words, raws, strict=True):
            alts = word_alternatives(w, lang, raw)
            parsed.terms.setdefault(lang, set()).update([w, *(t for t, _ in alts)])
            steps.append(wq.Or([wq.Term(fname, t) for t, _ in alts]))
        options.append(wq.Sequence(steps))
    return wq.Or(options)


def _item_query(m, langs, reader, parsed):
    """The query of one item of the query string, or None if it has no words."""
    kinds = ("title",) if m.group("field") else KINDS
    text = m.group("phrase") if m.group("phrase") is not None else m.group("word")
    if text.lower() == "title:":  # a field with no value searches nothing
        return None
    tokens = list(tokenize(text))
    words = [w for w, _, _ in tokens]
    raws = [text[a:b] for _, a, b in tokens]
    if not words:
        return None
    if m.group("phrase") is None and text.endswith("*") and len(words) == 1:
        prefix = words[0]
        if len(prefix) >= MIN_PREFIX and reader is not None:
            return _prefix_query(prefix, kinds, langs, reader, parsed)
    if len(words) == 1:
        return _word_query(words[0], raws[0], kinds, langs, parsed)
    return _phrase_query(words, raws, kinds, langs, parsed)


def parse_query(text: str, langs=LANGS, reader=None) -> Parsed:
    """Parse a user query. Never fails on syntax; raises QueryError if nothing is searchable."""
    parsed = Parsed(wq.NullQuery)
    groups: list[list[wq.Query]] = []  # OR-groups, AND-ed together
    excluded: list[wq.Query] = []
    join_next = False
    count = 0
    for m in _ITEM.finditer(text or ""):
        if m.group("word") == "OR" and not m.group("neg") and not m.group("field"):
            join_next = bool(groups)
            continue
        if count >= MAX_QUERY_WORDS:
            break
        neg = bool(m.group("neg"))
        before = {k: set(v) for k, v in parsed.terms.items()}
        q = _item_query(m, langs, reader, parsed)
        if q is None:
            continue
        count += 1
        if neg:
            parsed.terms = before  # excluded words are not highlighted
            excluded.append(q)
            continue
        parsed.words.append(m.group(0))
        if join_next:
            groups[-1].append(q)
        else:
            groups.append([q])
        join_next = False
    if not groups and not excluded:
        raise QueryError("the query has no words to search for")
    clauses = [g[0] if len(g) == 1 else wq.Or(g) for g in groups]
    if not clauses:
        positive = wq.Every()
    elif len(clauses) <= AND_MAX_WORDS:
        positive = wq.And(clauses)
    else:
        positive = wq.Or(clauses)
    parsed.query = wq.AndNot(positive, wq.Or(excluded)) if excluded else positive
    return parsed
