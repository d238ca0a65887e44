"""Words as the documents write them: each lemma term's most frequent surface form.

A segment's writer counts the words of the titles and bodies it writes (Surfaces): the bulk
builder (search/ingest/segment.py) hands over the words its analysis already split, with the
terms it already looked up for each distinct form; Whoosh's own writer (the codec) and a
reader rebuilding an old table split the stored texts the same way. The segment's word table
(segment_words.py) then keeps, for every term, the form the texts use most, case and all, so
completions show «Києві» and «Зеленського», not «київ» and «зеленський». A form counts for one
term only, its head: the most frequent of its whole-word lemmas in the segment. A term that is
never a head (кий of «Києва», олимпиаде-2018 beside олимпиада-2018) is hidden.
"""

import re
from collections import Counter

from search.morph import LANGS, analyzer, lemmas, written_table
from search.text import MAX_WORD, WORD_RE, fold, normalize

# Grammemes of names: a lemma all of whose dictionary readings have one is a proper name.
PROPER = frozenset(("Name", "Surn", "Patr", "Geox", "Orgn", "Trad"))
# The words counted of each text: its first LEDE (its lede, which names what it is about). The
# forms of a segment's ledes are enough to tell each lemma's usual written form, and counting
# every word of every text cost the bulk writer about a fifth more CPU (bench/README.md).
LEDE = 150
# A word right after a sentence ends (or a text starts) is capitalised whatever it is. (The
# pattern starts with the characters that end sentences, so the regex engine skips to them.)
_INITIAL = re.compile(rf"[.!?…:»\"]\s+({WORD_RE.pattern})")


class Surfaces:
    """Counts of a segment's words as written, per language: all of them, and those first in
    a sentence; and, from the bulk builder, the terms of each distinct form."""

    def __init__(self):
        self.words = {lang: Counter() for lang in LANGS}
        self.initial = {lang: Counter() for lang in LANGS}
        self._known: dict[str, dict] = {lang: {} for lang in LANGS}  # form → its terms

    def add(self, lang: str, words: list[str], text: str) -> None:
        """Count one text's words, as the analysis split them (WORD_RE, at most MAX_WORD)."""
        if len(words) > LEDE:
            words = words[:LEDE]
            # The lede's end: its last word, found from the earliest place it can start (the
            # words before it, one character apart).
            last = words[-1]
            start = sum(map(len, words)) - len(last) + LEDE - 1
            end = text.find(last, start)
            text = text[:end + len(last)] if end >= 0 else text
        self.words[lang].update(words)
        initial = self.initial[lang]
        initial.update(_INITIAL.findall(text))
        if (first := WORD_RE.match(text)) is not None:
            initial[first.group()] += 1

    def add_text(self, lang: str | None, text: str) -> None:
        """Split a stored text as the analysis does (as far as its lede), and count its words."""
        if text:
            words = _lede_words(text)
            for la in (lang,) if lang in LANGS else LANGS:
                self.add(la, words, text)

    def add_stored(self, fields: dict) -> None:
        """Count the words of a document's stored title and body (its stored fields)."""
        for name in ("title", "body"):
            self.add_text(fields.get("lang"), fields.get(name) or "")

    def add_unindexed_title(self, fields: dict) -> None:
        """A made-up title (the body's first sentence) is stored but not analysed: count it,
        as the codec, which sees only stored fields, does."""
        lang, title = fields.get("lang"), fields.get("title")
        if isinstance(title, str) and lang in LANGS and f"title_{lang}" not in fields:
            self.add_text(lang, title)

    def analysed(self, langs):
        """Take the bulk builders' run-wide table of the languages' forms (form → terms,
        morph.written_table), so that no form is looked up again; return self."""
        for lang in langs:
            self._known[lang] = written_table(lang)
        return self

    def terms(self, lang: str, key) -> tuple[str, ...]:
        """The index terms of a form's key: the terms the builder found, else the form itself
        (looked up only for a form the builder did not see)."""
        return lemmas(normalize(key), lang) if isinstance(key, str) else key


def _lede_words(text: str) -> list[str]:
    """The words of a text as the analysis splits them (WORD_RE, at most MAX_WORD), or enough
    of its first ones that add() sees what it would see of them all: more than LEDE.

    A word never spans a space, so the words before a space are the whole text's first words.
    """
    n = 10 * LEDE  # characters: about LEDE words of news text
    while n < len(text):
        cut = text.rfind(" ", 0, n)
        words = [w for w in WORD_RE.findall(text, 0, max(cut, 0)) if len(w) <= MAX_WORD]
        if len(words) > LEDE:
            return words
        n *= 2
    return [w for w in WORD_RE.findall(text) if len(w) <= MAX_WORD]


def _readings(term: str, lang: str) -> list:
    """The dictionary's readings of a lemma as itself."""
    return [p for p in analyzer(lang).parse(term) if p.normal_form == term
            and p.methods_stack[0][0].__class__.__name__ == "DictionaryAnalyzer"]


def all_proper(term: str) -> bool:
    # Nouns only: "московский" is a Geox adjective, written with a small letter.
    return any((r := _readings(term, lang))
               and all(p.tag.POS == "NOUN" and PROPER & p.tag.grammemes for p in r)
               for lang in LANGS)


def may_be_a_name(term: str) -> bool:
    """A noun, a surname (Зеленський is an adjective in form) or a word no dictionary knows:
    other adjectives and verbs written with a capital are parts of names ("Київська область"),
    not names themselves."""
    # The likeliest reading in each dictionary that knows the word.
    readings = [r for lang in LANGS if (r := _readings(term, lang))]
    return all(r[0].tag.POS == "NOUN" for r in readings) or any(
        p.tag.POS == "NOUN" and PROPER & p.tag.grammemes for r in readings for p in r)


def shown_forms(surfaces: Surfaces, freq: dict[str, int], langs: dict[str, int],
                lang_bit: dict[str, int]) -> tuple[dict[tuple[str, str], tuple[str, str, int]],
                                                   set[str]]:
    """((lang, term) → (its most frequent surface form, the lemma as written, how often the
    texts write it), terms never a head) of a segment's terms."""
    out: dict[tuple[str, str], tuple[str, str, int]] = {}
    seen: set[str] = set()
    for lang in LANGS:
        words, firsts = surfaces.words[lang], surfaces.initial[lang]
        known, bit = surfaces._known[lang], lang_bit[lang]
        heads: dict = {}  # a form's term ids (or the form) → its head, or the tied ones

        def head_of(form: str, known=known, heads=heads, lang=lang, bit=bit) -> str | None:
            key = known.get(form, form)
            if key.__class__ is tuple and len(key) == 1:  # most words: one term, the head
                return key[0]
            head = heads.get(key)
            if head is None:
                head = heads[key] = _head(surfaces.terms(lang, key), freq, langs, bit, seen)
            if head.__class__ is str:
                return head
            # As frequent as another lemma: the word itself, if it is one of them.
            word = fold(normalize(form))
            return (word if word in head else head[0]) if head else None

        # head → [the form most often inside sentences, its count, all the head's words
        # inside sentences, the capitalised ones, (count, form) most often first in one]
        rows: dict[str, list] = {}
        for form, n in words.items():
            key = known.get(form)  # head_of(form), inlined for the most words
            head = key[0] if key is not None and len(key) == 1 else head_of(form)
            if head is None:
                continue
            row = rows.get(head)
            if row is None:
                row = rows[head] = ["", 0, 0, 0, (0, "")]
            k = firsts.get(form)
            if k:  # first in a sentence, its capital says nothing
                k = min(k, n)
                n -= k
                if (k, form) > row[4]:
                    row[4] = (k, form)
                if not n:
                    continue
            if n > row[1] or (n == row[1] and form > row[0]):
                row[0], row[1] = form, n
            row[2] += n
            if form[0].isupper():
                row[3] += n
        for head, (form, _, inside, upper, first) in rows.items():
            # Only ever first in a sentence, a form's capital says nothing.
            shown = form or first[1].lower()
            cased = _as_written(head, words, firsts, head_of, shown)
            if cased is None:  # the lemma itself is not written: the capital its forms have
                cased = head[:1].upper() + head[1:] if upper * 2 > inside else head
            out[lang, head] = (shown, cased, inside + first[0])
    return out, seen - {term for _, term in out}


def _as_written(head: str, words: Counter, firsts: Counter, head_of, shown: str) -> str | None:
    """The lemma as the texts write it («Київ», «НАТО», «ґрунт»): the form shown if it is the
    lemma, else the likeliest of its spellings the texts have; None if they have none."""
    if shown and (shown.lower() == head or fold(normalize(shown)) == head):
        return shown
    spellings = [head]
    low = shown.lower()
    if "ё" in low or "ґ" in low:  # folded in the term: where the form shown has them
        spellings.append("".join(low[i] if c in "ег" and i < len(low) and low[i] in "ёґ" else c
                                 for i, c in enumerate(head)))
    for w in spellings[:2]:
        spellings += [w[:1].upper() + w[1:], w.upper(), *((w.title(),) if "-" in w else ())]
    best = None
    for form in spellings:
        n = words.get(form)
        if not n or head_of(form) != head:
            continue
        k = min(firsts.get(form, 0), n)
        # Written inside a sentence, the form's capital counts; first in one, it does not.
        found = (n - k, form) if n > k else (k, form.lower())
        best = found if best is None or found > best else best
    return best[1] if best else None


def _head(terms: tuple[str, ...], freq: dict[str, int], langs: dict[str, int], bit: int,
          seen: set[str]) -> str | tuple[str, ...]:
    """The term a written word with these terms counts for, or the terms as frequent as each
    other, likeliest first (empty: none), noting all its terms in seen."""
    if len(terms) == 1:  # most words
        t = terms[0]
        if t in freq:
            seen.add(t)
            if langs[t] & bit:
                return t
        return ()
    seen.update(t for t in terms if t in freq)  # "олимпиада" of "олимпиаде-2018" too
    # Whole-word lemmas only, those with the word's hyphens (not "2018" or "олимпиада" of
    # "олимпиаде-2018"); the most frequent in the segment, then the likeliest.
    hyphens = max((t.count("-") for t in terms), default=0)
    cands = [t for t in terms if t.count("-") == hyphens and langs.get(t, 0) & bit]
    if len(cands) < 2:
        return cands[0] if cands else ()
    top = max(freq[t] for t in cands)
    tied = [t for t in cands if freq[t] == top]
    return tied[0] if len(tied) == 1 else tuple(tied)
