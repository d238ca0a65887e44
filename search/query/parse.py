"""Turn what a user typed into a query plan: words analysed as Ukrainian and as Russian."""

import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from whoosh import query as wq

from search.morph import LANGS, own_language
from search.query.crosslang import OTHER, counterparts, query_language
from search.query.plan import Clause, Plan, Step, Term, all_words_query
from search.query.readings import readings as word_readings
from search.query.readings import weighted_readings
from search.query.spelling import reader_key
from search.query.variants import variants
from search.schema import KINDS
from search.text import STOP_WORDS, tokenize

MAX_QUERY_WORDS = 64  # more words add cost, not precision
MAX_PREFIX_TERMS = 24  # a prefix expands to this many of its most frequent terms per language
MIN_PREFIX = 2
READING_BOOST = 0.6  # a word's second and later lemmas (pymorphy3's first guess is often wrong)
VARIANT_BOOST = 0.8  # another name of the same place (Запорожье for Запоріжжя)
# The word's counterpart in the other language or script (Путін → путин, Erdogan → эрдоган):
# a little less than the word itself, so the reader's own spelling ranks first.
CROSS_BOOST = 0.85
MAX_CROSS_CACHED = 50_000  # words' counterparts kept per process (all index generations)
_CROSS_CACHE: OrderedDict = OrderedDict()
_CROSS_LOCK = threading.Lock()
OPERATORS = ("OR", "AND")  # upper case only: "or"/"and" are words

# Quoted phrase, or a bare item; either may be preceded by - and/or title:.
_ITEM = re.compile(r'(?P<neg>-)?(?P<field>title:)?(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))',
                   re.IGNORECASE)


# Typographic quotes quote a phrase as " does; ’ and ‘ between letters are apostrophes (п’ять).
_QUOTES = re.compile(r"[«»„“”‟″]|(?<![^\W\d_])[‘’‚]|[‘’‚](?![^\W\d_])")


# A query with more words than this outside its typographic quotes, or a longer quotation, is
# pasted text (a headline: «Примем как дорогого гостя»: премьер-министр Японии о визите): its
# quotes mark speech, and requiring it as a phrase loses the article that paraphrases it
# (bench/relevance.py).
MAX_WORDS_BESIDE_QUOTES = 3
MAX_QUOTED_WORDS = 4  # a longer quotation is speech (a headline's), not a phrase to require


def straight_quotes(text: str) -> str:
    """The text with «…», „…“, “…” and ‘…’ as "…" (same length, so offsets stay true), unless it
    is pasted text with quotations in it."""
    straight = _QUOTES.sub('"', text)
    if straight == text:
        return text
    beside = re.sub(r'"[^"]*"?', " ", straight)
    quoted = re.findall(r'"([^"]*)"?', straight)
    if (len(list(tokenize(beside))) > MAX_WORDS_BESIDE_QUOTES
            or any(len(list(tokenize(q))) > MAX_QUOTED_WORDS for q in quoted)):
        return text
    return straight


class QueryError(ValueError):
    """The query has nothing that can be searched."""


@dataclass
class Parsed:
    """A user query as a plan for the engine plus what snippets should highlight."""

    plan: Plan
    terms: dict[str, set[str]] = field(default_factory=dict)  # lang → lemmas to highlight
    prefixes: set[str] = field(default_factory=set)
    words: list[str] = field(default_factory=list)  # normalised positive words, in order
    # Words matched through the other language or script: {"word", "lang", "terms"} each.
    crosslang: list[dict] = field(default_factory=list)
    cross: bool = True  # look for counterparts in the other language (off: exact search)
    reader: object = None
    lean: str | None = None  # the language the query looks like (crosslang.query_language)

    @property
    def query(self) -> wq.Query:
        """The plan with every content word required, as a Whoosh query (baselines, tests)."""
        return all_words_query(self.plan)


def _fields(kinds, langs):
    return [(f"{k}_{lang}", lang) for k in kinds for lang in langs]


def word_alternatives(word: str, lang: str, raw: str = "",
                      cross: dict | None = None) -> list[tuple[str, float]]:
    """(term, boost) of a query word in one language: its lemmas, names of the same place,
    then its counterparts from the other language (cross: counterparts() of the word).

    raw is the word as typed (capitalisation tells a place name from a common word).
    """
    own = own_language(word)
    # A word with letters only one language has is not read in the other (but a place name
    # still brings its other-language names: Київ → Киев).
    readings = weighted_readings(word, lang, raw or word) if own in (None, lang) else ()
    out = {t: 1.0 if i == 0 else READING_BOOST * w for i, (t, w) in enumerate(readings)}
    for term, term_lang in variants(raw or word):
        if term_lang == lang:
            out.setdefault(term, VARIANT_BOOST)
    for term, boost in (cross or {}).get(lang, ()):
        out.setdefault(term, boost)
    return list(out.items())


def _idf(reader, field: str, term: str) -> float:
    """Whoosh's idf, as the engine scores with it."""
    docs = reader.doc_count_all() if hasattr(reader, "doc_count_all") else reader.doc_count()
    return math.log(docs / (reader.doc_frequency(field, term) + 1)) + 1


def _cross_boosts(word: str, raw: str, found: dict, reader) -> dict:
    """lang → (term, boost): CROSS_BOOST, lowered where the counterpart is rarer than the
    word's own spelling, so a rare counterpart (путін beside a frequent путин) never outweighs
    the reader's own word."""
    own = [(f"body_{lang}", t) for lang in LANGS for t in word_readings(word, lang, raw)
           if own_language(word) in (None, lang)]
    if reader is None or not own:
        return {lang: [(t, CROSS_BOOST) for t in terms] for lang, terms in found.items()}
    own_idf = min(_idf(reader, f, t) for f, t in own)
    return {lang: [(t, CROSS_BOOST * min(1.0, own_idf / _idf(reader, f"body_{lang}", t)))
                   for t in terms] for lang, terms in found.items()}


def _cross(word: str, raw: str, langs, parsed: "Parsed") -> dict:
    """The word's counterparts in the other language (none in an exact search), noted for the
    page when the word's own readings in that language do not have them already."""
    if not parsed.cross or word in STOP_WORDS:
        return {}
    reader = parsed.reader
    key = (reader_key(reader) if reader is not None else None, word, raw, tuple(langs))
    with _CROSS_LOCK:
        cached = _CROSS_CACHE.get(key)
    if cached is None:
        found = counterparts(word, raw, reader)
        notes = []
        for lang in langs:
            own = {t for t, _ in word_alternatives(word, lang, raw)}
            new = [t for t in found.get(lang, ()) if t not in own]
            if new:
                notes.append({"word": raw or word, "lang": lang, "terms": new})
        cached = (notes, _cross_boosts(word, raw, found, reader) if found else {})
        with _CROSS_LOCK:
            _CROSS_CACHE[key] = cached
            while len(_CROSS_CACHE) > MAX_CROSS_CACHED:
                _CROSS_CACHE.popitem(last=False)
    notes, boosts = cached
    parsed.crosslang.extend(dict(n) for n in notes if n not in parsed.crosslang)
    return boosts


def _lean_weights(word: str, raw: str, kinds, parsed: "Parsed") -> dict[str, float]:
    """field → weight factor of the word's own readings in the language the query does not
    look like (мир of a Russian-looking query, read as Ukrainian): CROSS_BOOST, lowered where
    that reading is rarer than the other, as for counterparts (_cross_boosts)."""
    lean, reader = parsed.lean, parsed.reader
    if lean is None or word in STOP_WORDS or own_language(word) is not None:
        return {}
    other = OTHER[lean]
    mine, theirs = word_readings(word, lean, raw), word_readings(word, other, raw)
    if not mine or not theirs:
        return {}
    if reader is None:
        return {f"{kind}_{other}": CROSS_BOOST for kind in kinds}
    return {f"{kind}_{other}": CROSS_BOOST * min(1.0, _idf(reader, f"{kind}_{lean}", mine[0])
                                                 / _idf(reader, f"{kind}_{other}", theirs[0]))
            for kind in kinds}


def _word_terms(word, raw, kinds, langs, parsed) -> tuple[Term, ...]:
    terms = []
    for lang in langs:
        # The word as typed is highlighted too (and its first letters find its forms fast).
        parsed.terms.setdefault(lang, set()).add(word)
    cross = _cross(word, raw, langs, parsed)
    alts = {lang: (word_alternatives(word, lang, raw, cross),
                   {t for t, _ in word_alternatives(word, lang, raw)} if cross else None)
            for lang in langs}
    lean = _lean_weights(word, raw, kinds, parsed)
    for fname, lang in _fields(kinds, langs):
        found, own = alts[lang]
        for term, boost in found:
            is_cross = own is not None and term not in own
            terms.append(Term(fname, term, boost if is_cross else boost * lean.get(fname, 1.0),
                              cross=is_cross))
            parsed.terms.setdefault(lang, set()).add(term)
    return tuple(terms)


def _prefix_terms(prefix, kinds, langs, reader, parsed) -> tuple[Term, ...]:
    terms = []
    for lang in langs:
        # Expansions come from the body vocabulary (titles use the same words), most frequent
        # first; each is then searched in every field asked for.
        expanded = []
        for term in reader.expand_prefix(f"body_{lang}", prefix):
            term = term.decode("utf-8") if isinstance(term, bytes) else term
            expanded.append((reader.doc_frequency(f"body_{lang}", term), term))
            if len(expanded) >= MAX_PREFIX_TERMS * 16:
                break
        expanded.sort(reverse=True)
        terms.extend(Term(f"{kind}_{lang}", t) for _, t in expanded[:MAX_PREFIX_TERMS]
                     for kind in kinds)
    parsed.prefixes.add(prefix)
    return tuple(terms)


def _phrase(words, raws, kinds, langs, parsed) -> tuple[Step, ...]:
    steps = []
    for w, raw in zip(words, raws, strict=True):
        step = []
        cross = _cross(w, raw, langs, parsed)
        for fname, lang in _fields(kinds, langs):
            alts = word_alternatives(w, lang, raw, cross)
            parsed.terms.setdefault(lang, set()).update([w, *(t for t, _ in alts)])
            # Every reading counts the same inside a phrase: the words' order already tells
            # which reading is meant.
            step.extend(Term(fname, t) for t, _ in alts)
        steps.append(tuple(step))
    return tuple(steps)


def _item_clauses(m, langs, reader, parsed) -> list[Clause]:
    """The clauses of one item of the query string: [] if it has no words."""
    kinds = ("title",) if m.group("field") else KINDS
    text = m.group("phrase") if m.group("phrase") is not None else m.group("word")
    if text.lower() == "title:":  # a field with no value searches nothing
        return []
    tokens = list(tokenize(text))
    words = [w for w, _, _ in tokens]
    raws = [text[a:b] for _, a, b in tokens]
    if m.group("phrase") is not None and len(words) > 1:
        return [Clause(phrases=(_phrase(words, raws, kinds, langs, parsed),), text=text)]
    if text.endswith("*") and len(words) == 1 and len(words[0]) >= MIN_PREFIX and reader:
        return [Clause(terms=_prefix_terms(words[0], kinds, langs, reader, parsed), text=text)]
    # Unquoted words glued by punctuation ("Жити,як") are separate words, not a phrase.
    return [Clause(terms=_word_terms(w, raw, kinds, langs, parsed), stop=w in STOP_WORDS,
                   text=raw) for w, raw in zip(words, raws, strict=True)]


def _union(group: list[Clause]) -> Clause:
    """An OR-group as one clause; a function word only if all its members are."""
    if len(group) == 1:
        return group[0]
    return Clause(terms=tuple(t for c in group for t in c.terms),
                  phrases=tuple(p for c in group for p in c.phrases),
                  stop=all(c.stop for c in group), text=" OR ".join(c.text for c in group))


def parse_query(text: str, langs=LANGS, reader=None, crosslang: bool = True) -> Parsed:
    """Parse a user query. Never fails on syntax; raises QueryError if nothing is searchable.

    With crosslang, words also match their counterparts in the other language and Latin names
    their Cyrillic forms (kept only if the index has them, given a reader).
    """
    parsed = Parsed(Plan(), cross=crosslang, reader=reader)
    text = straight_quotes(text or "")
    if crosslang:  # a Russian-looking query prefers the Russian reading of мир
        parsed.lean = query_language([w for w, _, _ in tokenize(text)], reader)
    groups: list[list[Clause]] = []  # OR-groups, in query order
    excluded: list[Clause] = []
    join_next = False
    count = 0
    for m in _ITEM.finditer(text):
        if m.group("word") in OPERATORS and not m.group("neg") and not m.group("field"):
            # "a AND b" is what "a b" means already; "a OR b" joins the next item to the last.
            join_next = m.group("word") == "OR" and bool(groups)
            continue
        if count >= MAX_QUERY_WORDS:
            break
        before = {k: set(v) for k, v in parsed.terms.items()}
        notes = list(parsed.crosslang)
        items = _item_clauses(m, langs, reader, parsed)
        if not items:
            continue
        count += len(items)
        if m.group("neg"):
            parsed.terms = before  # excluded words are not highlighted
            parsed.crosslang = [c for c in parsed.crosslang if c in notes]
            excluded.extend(items)
            continue
        parsed.words.append(m.group(0))
        if join_next:
            groups[-1].append(items.pop(0))
        groups.extend([item] for item in items)
        join_next = False
    if not groups and not excluded:
        raise QueryError("the query has no words to search for")
    parsed.plan = Plan(clauses=[_union(g) for g in groups], excluded=excluded)
    return parsed
