"""Did you mean: the closest index term to a query word that the index does not have.

The index holds lemmas only, so the vocabulary is lemmas; a suggestion is a lemma (a natural
dictionary form: nominative singular, infinitive) unless a one-letter edit of the typed word
is a dictionary word whose lemma is indexed, which keeps the user's inflection.

Cost: the vocabulary and its bigram index are written with each segment (lexicon.py) and
mapped by readers, so a commit costs nothing here; a lookup takes a few milliseconds.
"""

import threading
from collections import OrderedDict

from search.morph import LANGS, analyzer, is_known, lemmas
from search.query.lexicon import Lexicon, generation_lexicon
from search.text import fold, normalize

SHORT = 7  # words up to this long may be one edit away; longer ones two
FIRST_LETTER_UPTO = 6  # words up to this long are corrected only to words with their first letter
MAX_CACHED = 4  # vocabularies of this many index generations are kept
ALPHABET = {"uk": "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя'", "ru": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"}

# The index terms of the lemma fields with document frequencies, and a bigram index: each
# segment's table is written with the segment and mapped here (lexicon.py), never rebuilt.
Vocabulary = Lexicon

_cache: OrderedDict = OrderedDict()
_lock = threading.Lock()


def reader_key(reader) -> tuple:
    """What identifies an index generation: its generation and segment ids."""
    subs = getattr(reader, "readers", None) or [reader]
    segs = tuple(sorted(str(getattr(r, "_segment", None) and r._segment.segment_id())
                        for r in subs))
    return (reader.generation(), segs)


def vocabulary(reader) -> Vocabulary:
    """The Vocabulary of the reader's index generation (its segments' tables, cached)."""
    key = reader_key(reader)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    vocab = generation_lexicon(reader)
    with _lock:
        _cache[key] = vocab
        while len(_cache) > MAX_CACHED:
            _cache.popitem(last=False)
        return _cache[key]



def distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, or limit + 1 if above it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def max_distance(word: str) -> int:
    return 1 if len(word) <= SHORT else 2


def close_terms(vocab: Vocabulary, word: str, langs=LANGS) -> list[tuple[int, int, str]]:
    """(distance, -frequency, term) of index terms within the edit limit of word, best first."""
    limit = max_distance(word)
    out = []
    letters = set(word)
    for term in vocab.near(word, limit):
        # Cheap filter first: each edit adds or removes at most two distinct letters.
        if len(letters.symmetric_difference(term)) > 2 * limit or term == word:
            continue
        if not vocab.has(term, langs):
            continue
        d = distance(word, term, limit)
        if d <= limit:
            out.append((d, -vocab.freq[term], term))
    out.sort()
    return out


def in_index(vocab: Vocabulary, word: str, langs=LANGS) -> bool:
    """True if any reading of the normalised word is an index term in one of langs."""
    return any(vocab.has(t, (lang,)) for lang in langs for t in lemmas(word, lang))


def index_known(reader, langs=LANGS):
    """known(word) for layout.py: the word itself, or a dictionary lemma of it, is indexed."""
    vocab = vocabulary(reader)

    def known(word: str) -> bool:
        word = fold(normalize(word))
        if vocab.has(word, langs):
            return True
        return any(is_known(word, lang) and vocab.has(lemmas(word, lang)[0], (lang,))
                   for lang in langs)

    return known


def _one_edit_words(word: str, lang: str):
    """Dictionary words one edit (incl. a swap of neighbours) away from word."""
    letters = ALPHABET[lang]
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    cands = {a + b[1:] for a, b in splits if b}
    cands |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    cands |= {a + c + b[1:] for a, b in splits if b for c in letters}
    cands |= {a + c + b for a, b in splits for c in letters}
    cands.discard(word)
    morph = analyzer(lang)
    return [c for c in cands if morph.word_is_known(c)]


def suggest_word(reader, word: str, langs=LANGS, real_words: bool = False) -> str | None:
    """A correction of a query word the index lacks, or None if it is indexed or hopeless.

    Only a Cyrillic word the index does not know is corrected, and a word a dictionary knows
    only with real_words (the query found nothing): a real word (поток) is what the user meant,
    and a Latin name (Stream) never becomes another Latin word. A short word keeps its first
    letter (ковід is not довід).
    """
    word = normalize(word)
    if not word.isalpha() or len(word) < 3 or word.isascii():
        return None
    known_in = tuple(lang for lang in LANGS if is_known(word, lang))
    if known_in and not real_words:
        return None
    # A real word is corrected only to a word of its own language (санкций is not санкцій:
    # the other language's spelling is found through cross-language matching).
    langs = tuple(lang for lang in langs if lang in known_in) or (() if known_in else langs)
    if not langs:
        return None
    vocab = vocabulary(reader)
    if in_index(vocab, word, langs):
        return None
    best: tuple | None = None
    # First choice: a real inflected word one edit away whose lemma is indexed.
    for lang in langs:
        for cand in _one_edit_words(word, lang):
            lemma = lemmas(cand, lang)[0]
            if vocab.has(lemma, (lang,)) and _keeps_start(word, cand):
                # Equal frequency: the dictionary form itself reads best (співпраця, not -праце).
                key = (1, -vocab.freq[lemma], cand != lemma, cand)
                best = key if best is None or key < best else best
    if best is not None:
        return best[-1]
    found = [t for _, _, t in close_terms(vocab, fold(word), langs) if _keeps_start(word, t)]
    return found[0] if found else None


def _keeps_start(word: str, cand: str) -> bool:
    # People rarely mistype the first letter of a short word; a candidate that changes it is
    # another word (ковід → довід).
    return len(word) > FIRST_LETTER_UPTO or fold(cand[:1]) == fold(word[:1])
