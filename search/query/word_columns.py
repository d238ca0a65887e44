"""A word table's columns laid out with numpy (segment_words.py): strings end to end, the
bigram index of its terms (spelling) and the best terms of each 1–3 letter prefix (completion).
"""

import numpy as np

from search.morph import LANGS
from search.text import STOP_WORDS

LANG_BIT = {lang: 1 << i for i, lang in enumerate(LANGS)}
STOP_ARRAY = np.array(sorted(STOP_WORDS))
SHORT_PREFIX = 3  # prefixes up to this long have their best terms stored
KEEP_TOP = 40  # best terms stored per short prefix and language (callers ask for 20 at most)
MIN_LEN = 3  # shorter terms are prepositions and particles, not worth completing
MAX_GRAM_LEN = 40  # longer terms are not in the bigram index (never corrected)
PAD_START, PAD_END = 1, 2  # "^" and "$" of bigrams(), as code points no term has


def strings(values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The strings' UTF-8 bytes end to end, and each one's start (then the end), without a
    Python step per string: byte offsets from the code points' UTF-8 widths."""
    joined = "".join(values)
    data = np.frombuffer(joined.encode("utf-8"), np.uint8)
    chars = np.zeros(len(values) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, values), np.int64, len(values)), out=chars[1:])
    if len(data) == len(joined):  # ASCII: a byte a character
        return data, chars
    cps = np.frombuffer(joined.encode("utf-32-le"), "<u4")
    width = 1 + (cps >= 0x80).astype(np.int64) + (cps >= 0x800) + (cps >= 0x10000)
    ends = np.zeros(len(cps) + 1, np.int64)
    np.cumsum(width, out=ends[1:])
    return data, ends[chars]


def _codepoints(words: np.ndarray, width: int) -> np.ndarray:
    """Words (a numpy str array) as a (len, width) int64 matrix of code points, 0 past each
    word's end (cut at width)."""
    return words.astype(f"<U{width}").view(np.uint32).reshape(len(words), width).astype(
        np.int64)


def gram_key(gram: str, length: int) -> int:
    """The integer key of a bigram of bigrams() in terms of a length ("^" and "$" pad)."""
    first = PAD_START if gram[0] == "^" else ord(gram[0])
    second = PAD_END if gram[1] == "$" else ord(gram[1])
    return (length << 42) | (first << 21) | second


def prefix_key(prefix: str) -> int:
    return sum(ord(c) << (21 * (len(prefix) - 1 - j)) for j, c in enumerate(prefix))


def csr(keys: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distinct keys, their starts and the end, ids) of ids sorted by key."""
    distinct, starts = np.unique(keys, return_index=True)
    return distinct, np.append(starts, len(keys)).astype(np.int64), ids.astype(np.int32)


def grams(terms: np.ndarray, lengths: np.ndarray) -> tuple:
    """Bigram index of the alphabetic terms: key (length, bigram) → term ids (numpy, no loop
    per bigram: a segment of 100k documents has ~160k terms and ~1.5M bigrams)."""
    ids = np.flatnonzero(np.strings.isalpha(terms) & (lengths <= MAX_GRAM_LEN))
    if not len(ids):
        return csr(np.zeros(0, np.int64), np.zeros(0, np.int64))
    n = lengths[ids]
    width = int(n.max())
    padded = np.zeros((len(ids), width + 2), np.int64)
    padded[:, 0] = PAD_START
    padded[:, 1:width + 1] = _codepoints(terms[ids], width)
    padded[np.arange(len(ids)), n + 1] = PAD_END
    keys = (n[:, None] << 42) | (padded[:, :-1] << 21) | padded[:, 1:]
    valid = np.arange(width + 1)[None, :] <= n[:, None]  # the n + 1 bigrams of ^term$
    k, t = keys[valid], np.broadcast_to(ids[:, None], keys.shape)[valid]
    order = np.lexsort((t, k))
    k, t = k[order], t[order]
    first = np.ones(len(k), bool)
    first[1:] = (k[1:] != k[:-1]) | (t[1:] != t[:-1])  # a term once per bigram (a set)
    return csr(k[first], t[first])


def tops(terms: np.ndarray, lengths: np.ndarray, counts: np.ndarray,
          langs: np.ndarray, hidden: np.ndarray) -> dict[str, np.ndarray]:
    """The KEEP_TOP most frequent completable terms of every 1–3 letter prefix, per language
    and for all, hidden ones left out: columns tops_<lang|all>_<k>_{keys,ptr,ids}."""
    cols = {}
    # segment_words.completable(), for all terms at once
    ok = (lengths >= MIN_LEN) & ~np.strings.isdigit(terms)
    if len(terms):  # the stop words among the terms, which are sorted
        at = np.minimum(np.searchsorted(terms, STOP_ARRAY), len(terms) - 1)
        ok[at[terms[at] == STOP_ARRAY]] = False
    ok &= hidden == 0
    prefixes = _codepoints(terms, SHORT_PREFIX)
    for k in range(1, SHORT_PREFIX + 1):
        sel = np.flatnonzero(ok & (lengths > k))
        cp = prefixes[sel, :k]
        packed = sum((cp[:, j] << (21 * (k - 1 - j)) for j in range(k)),
                     np.zeros(len(sel), np.int64))
        for lang, bit in (("all", 0xFF), *((x, LANG_BIT[x]) for x in LANGS)):
            mine = (langs[sel] & bit) != 0
            ids, keys = sel[mine], packed[mine]
            # By prefix, then frequency and term, both descending (terms are sorted).
            order = np.lexsort((-ids, -counts[ids], keys))
            ids, keys = ids[order], keys[order]
            distinct, starts = np.unique(keys, return_index=True)
            sizes = np.diff(np.append(starts, len(keys)))
            rank = np.arange(len(keys)) - np.repeat(starts, sizes)
            keep = rank < KEEP_TOP
            name = f"tops_{lang}_{k}"
            cols[f"{name}_keys"], cols[f"{name}_ptr"], cols[f"{name}_ids"] = csr(
                keys[keep], ids[keep])
    return cols
