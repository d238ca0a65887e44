"""Turn what a user typed into a Whoosh query: words analysed as Ukrainian and as Russian."""

import re
from dataclasses import dataclass, field

from whoosh import query as wq

from search.morph import LANGS, lemmas, own_language
from search.schema import KINDS
from search.text import tokenize
from search.variants import variants

MAX_QUERY_WORDS = 64  # more words add cost, not precision
MAX_PREFIX_TERMS = 24  # a prefix expands to this many of its most frequent terms per language
MAX_LONG_WORDS = 8  # a long query is searched by its rarest content words
MIN_PREFIX = 2
ALL_REQUIRED = 4  # up to this many content words must all match; longer queries rank by overlap
# A query of 2-4 content words whose all-words matches do not fill a page is filled up with
# documents that have some of them, ranked after: a headline's words are often not all in its
# article (known-item MRR@10 uk 0.711 -> 0.742 when 2-word queries got it too).
RELAX_FROM = 2
# A word in more than this share of documents does not by itself bring a document into that
# any-word fill: such documents rank low anyway and scoring them all is what made 3-word queries
# slow (p95 597 ms at 200k documents).
COMMON_SHARE = 0.1
PROXIMITY_BOOST = 2.0  # weight of the words found side by side, in order
# Checking word positions costs time in proportion to the rarest word's documents: past this
# many, a query gets no side-by-side bonus. At 200k documents, 3-word queries took +27 ms on
# average with a cap of 2,000, +9 ms with 500, and 2-word p95 went 220 -> 640 ms with no cap.
PROXIMITY_MAX_DOCS = 500
# Function words (either language) are not searched when a query has other words: a headline's
# "у", "на", "и" may well be missing from the article, and scoring them cost 5x the time of the
# rest of a 2-3 word query at 200k documents for no measured gain (bench/README.md). They are
# still highlighted.
STOP_WORDS = frozenset((
    # Ukrainian
    "і й та а але чи що як не ні це у в на з із зі до від за по про для при над під об о ж же "
    "бо то ще уже вже так також які який яка яке де коли бути був була було були буде будуть є "
    "цей ця ці цього цієї цих цьому той те ті того тієї тих тому він вона воно вони його її їх "
    "їм йому ми ви ти я нас вас свій своя своє свої свого своєї себе"
    # Russian
    " и да но или что как не ни это во с со к ко от из у о об при над под же бы ли то еще уже "
    "так также какой какая какие где когда быть был была было были будет будут есть этот эта "
    "эти этой этого этих этому тот та те той того тех тому он она оно они его ее её их им ему "
    "мы вы ты я нас вас свой своя свое свои своего своей себя"
).split())

# Quoted phrase, or a bare item; either may be preceded by - and/or title:.
_ITEM = re.compile(r'(?P<neg>-)?(?P<field>title:)?(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))',
                   re.IGNORECASE)


class AnyOf(wq.Or):
    """Any of a query's words, at the top of the query: Whoosh's preloaded (array) union.

    Its default, a binary tree of unions, costs twice the time over a headline's 8 words at
    200k documents, for the same ranking (bench/README.md). A class, not an attribute, so
    Whoosh's normalize() and copies keep it.
    """

    matcher_type = wq.Or.ARRAY_MATCHER


class QueryError(ValueError):
    """The query has nothing that can be searched."""


@dataclass
class Parsed:
    """A user query as a Whoosh query plus what snippets should highlight."""

    query: wq.Query
    terms: dict[str, set[str]] = field(default_factory=dict)  # lang → lemmas to highlight
    prefixes: set[str] = field(default_factory=set)
    words: list[str] = field(default_factory=list)  # normalised positive words, in order
    fallback: wq.Query | None = None  # any-word query to fill up a short page


def _fields(kinds, langs):
    return [(f"{k}_{lang}", lang) for k in kinds for lang in langs]


VARIANT_BOOST = 0.8  # another name of the same place (Запорожье for Запоріжжя)


def word_alternatives(word: str, lang: str, raw: str = "") -> list[tuple[str, float]]:
    """(term, boost) of a query word in one language: its lemmas, then names of the same place.

    raw is the word as typed (capitalisation tells a place name from a common word).
    """
    own = own_language(word)
    # A word with letters only one language has is not read in the other (but a place name
    # still brings its other-language names: Київ → Киев).
    readings = lemmas(word, lang) if own in (None, lang) else ()
    out = {t: 1.0 if i == 0 else 0.6 for i, t in enumerate(readings)}
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
    for lang in langs:
        # Expansions come from the body vocabulary (titles use the same words), most frequent
        # first; each is then searched in every field asked for.
        expanded = []
        for term in reader.expand_prefix(f"body_{lang}", prefix):
            expanded.append((reader.doc_frequency(f"body_{lang}", term), term))
            if len(expanded) >= MAX_PREFIX_TERMS * 16:
                break
        expanded.sort(reverse=True)
        subs.extend(wq.Term(f"{kind}_{lang}", t)
                    for _, t in expanded[:MAX_PREFIX_TERMS] for kind in kinds)
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


def _item_queries(m, langs, reader, parsed) -> list[tuple[wq.Query, bool]]:
    """(query, is a function word) for one item of the query string: [] if it has no words."""
    kinds = ("title",) if m.group("field") else KINDS
    text = m.group("phrase") if m.group("phrase") is not None else m.group("word")
    if text.lower() == "title:":  # a field with no value searches nothing
        return []
    tokens = list(tokenize(text))
    words = [w for w, _, _ in tokens]
    raws = [text[a:b] for _, a, b in tokens]
    if m.group("phrase") is not None and len(words) > 1:
        return [(_phrase_query(words, raws, kinds, langs, parsed), False)]
    if text.endswith("*") and len(words) == 1 and len(words[0]) >= MIN_PREFIX and reader:
        return [(_prefix_query(words[0], kinds, langs, reader, parsed), False)]
    # Unquoted words glued by punctuation ("Жити,як") are separate words, not a phrase.
    return [(_word_query(w, raw, kinds, langs, parsed), w in STOP_WORDS)
            for w, raw in zip(words, raws, strict=True)]


def _doc_frequency(query: wq.Query, reader) -> int:
    return sum(reader.doc_frequency(f, t) for f, t in query.iter_all_terms())


def _adjacent(words: list[wq.Query]) -> wq.Query | None:
    """The words side by side in one field, as a bonus query (None if one is not a plain word).

    A document that has "Северная Корея" as a name should rank above one that has both words
    apart; PostgreSQL's cover density does this and beat us on multi-word tags without it.
    """
    by_field: list[dict[str, list[wq.Term]]] = []
    for w in words:
        if not isinstance(w, wq.Or) or not all(isinstance(t, wq.Term) for t in w.subqueries):
            return None
        fields: dict[str, list[wq.Term]] = {}
        for t in w.subqueries:
            fields.setdefault(t.fieldname, []).append(wq.Term(t.fieldname, t.text))
        by_field.append(fields)
    shared = set.intersection(*(set(f) for f in by_field))
    seqs = [wq.Sequence([wq.Or(f[name]) for f in by_field]) for name in sorted(shared)]
    return wq.Or(seqs, boost=PROXIMITY_BOOST) if seqs else None


def _combine(clauses: list[tuple[wq.Query, bool]], reader) -> tuple[wq.Query, wq.Query | None]:
    """(query, fallback): AND for 1-4 words, best overlap first for more; the fallback (any
    word) fills up a page that the AND of 2-4 words leaves short."""
    # Only function words ("у нас"): then they are what the user wants.
    required = [q for q, stop in clauses if not stop] or [q for q, _ in clauses]
    # Each word's document frequency, looked up once: three decisions below depend on it.
    df = None
    if reader is not None and len(required) > 1:
        df = [_doc_frequency(q, reader) for q in required]
    if len(required) > ALL_REQUIRED:
        if df is not None and len(required) > MAX_LONG_WORDS:
            # A pasted headline: its rarest words find it; frequent ones only cost time.
            ranked = sorted(zip(df, required, strict=True), key=lambda pair: pair[0])
            required = [q for _, q in ranked[:MAX_LONG_WORDS]]
        return AnyOf(required), None
    core = required[0] if len(required) == 1 else wq.And(required)
    if df is not None and min(df) <= PROXIMITY_MAX_DOCS:
        near = _adjacent(required)
        core = wq.AndMaybe(core, near) if near is not None else core
    if len(required) < RELAX_FROM:
        return core, None
    # A short page of all-words matches is filled up by overlap; a common word alone does not
    # bring a document in.
    if df is not None:
        common = COMMON_SHARE * reader.doc_count_all()
        required = [q for q, n in zip(required, df, strict=True) if 0 < n <= common] or required
    return core, AnyOf(required)


def parse_query(text: str, langs=LANGS, reader=None) -> Parsed:
    """Parse a user query. Never fails on syntax; raises QueryError if nothing is searchable."""
    parsed = Parsed(wq.NullQuery)
    groups: list[list[tuple[wq.Query, bool]]] = []  # OR-groups, combined by _combine
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
        items = _item_queries(m, langs, reader, parsed)
        if not items:
            continue
        count += len(items)
        if neg:
            parsed.terms = before  # excluded words are not highlighted
            excluded.extend(q for q, _ in items)
            continue
        parsed.words.append(m.group(0))
        if join_next:
            groups[-1].append(items.pop(0))
        groups.extend([item] for item in items)
        join_next = False
    if not groups and not excluded:
        raise QueryError("the query has no words to search for")
    # An OR-group counts as one word; it is a function word only if all its members are.
    clauses = [g[0] if len(g) == 1 else (wq.Or([q for q, _ in g]), all(s for _, s in g))
               for g in groups]
    positive, fallback = _combine(clauses, reader) if clauses else (wq.Every(), None)
    if excluded:
        positive = wq.AndNot(positive, wq.Or(excluded))
        fallback = fallback and wq.AndNot(fallback, wq.Or(excluded))
    parsed.query, parsed.fallback = positive, fallback
    return parsed
