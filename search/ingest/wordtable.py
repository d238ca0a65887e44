"""A field's distinct words, found in a text with numpy: each word once in Python, not each token.

The bulk builder (segment.py) turns a text into term ids per position. Splitting it with a
regex and looking every word up in a dict costs Python time per token (1.9M for 2,000 news
articles). Here the text's code points are classified with a lookup table, the words are the
runs the tokenizer's pattern would find (search/text.py: letters and digits, joined by single
inner apostrophes or hyphens), and each word is hashed from prefix sums of its code points. The
hashes are looked up among the words seen before with np.searchsorted; only new words go to
Python (their terms), and every word found is checked letter by letter against the one it
stands for, so a hash collision is never trusted: the text is then left to the regex path.
"""

import numpy as np

from search.text import MAX_WORD

# Texts this path takes: no combining marks or soft hyphens (the regex keeps them inside words),
# nothing past the first plane, at most MAX_CHARS code points (the size of the power tables).
MAX_CHARS = 1 << 18
_ALNUM, _JOINER, _MARK = 1, 2, 4
_CLASS = np.zeros(0x10000, np.uint8)
_CLASS[[c for c in range(0x10000) if chr(c).isalnum()]] = _ALNUM  # [^\W_] is str.isalnum
_CLASS[[ord(c) for c in "'’ʼ‘`´-‐‑"]] = _JOINER
_CLASS[[*range(0x300, 0x370), 0xAD]] = _MARK
_P = np.uint64(0x100000001B3)  # odd, so invertible modulo 2**64
_LEN_MIX = np.uint64(0x9E3779B97F4A7C15)
_powers: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def powers(base) -> tuple[np.ndarray, np.ndarray]:
    """(base**i, base**-i) modulo 2**64 for i up to MAX_CHARS, made once (base odd)."""
    key = int(base)
    if key not in _powers:
        tables = []
        for b in (key, pow(key, -1, 2**64)):
            t = np.empty(MAX_CHARS + 1, np.uint64)
            t[0] = 1
            t[1:] = b
            tables.append(np.cumprod(t))  # wraps modulo 2**64, as wanted
        _powers[key] = (tables[0], tables[1])
    return _powers[key]


class _Grown:
    """A numpy array appended to in place (capacity doubled when full)."""

    def __init__(self, dtype):
        self.data, self.size = np.zeros(1024, dtype), 0

    def extend(self, values) -> int:
        """Append values; the index of the first."""
        start, end = self.size, self.size + len(values)
        if end > len(self.data):
            grown = np.zeros(max(end, 2 * len(self.data)), self.data.dtype)
            grown[:start] = self.data[:start]
            self.data = grown
        self.data[start:end] = values
        self.size = end
        return start


def split(text: str):
    """(code points, word starts, word ends) of the words of a text this path takes, else None."""
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
    if len(cps) > MAX_CHARS or (len(cps) and int(cps.max()) > 0xFFFF):
        return None
    cls = _CLASS[cps]
    if (cls & _MARK).any():
        return None
    tok = (cls & _ALNUM).view(bool)
    if len(cps) > 2:  # a joiner between two letters or digits is inside a word
        tok = tok.copy()
        tok[1:-1] |= (cls[1:-1] == _JOINER) & tok[:-2] & tok[2:]
    padded = np.zeros(len(cps) + 2, bool)
    padded[1:-1] = tok
    edges = np.flatnonzero(padded[1:] != padded[:-1])  # a word's start, then its end
    starts, ends = edges[0::2], edges[1::2]
    keep = ends - starts <= MAX_WORD
    if not keep.all():  # longer "words" are not indexed, and take no position
        starts, ends = starts[keep], ends[keep]
    return cps, starts, ends


class WordTable:
    """One field's words seen so far: hash → word number → its term ids and its letters."""

    def __init__(self):
        # Sorted hashes and their word numbers, in two parts: the recent words are merged into
        # the main part when they are an eighth of it (each merge is a copy, not a sort).
        self._main = (np.zeros(0, np.uint64), np.zeros(0, np.int32))
        self._recent = (np.zeros(0, np.uint64), np.zeros(0, np.int32))
        self._letters = _Grown(np.uint32)  # every word's code points, one after the other
        self._at, self._len = _Grown(np.int64), _Grown(np.int32)  # per word: where, how long
        self._ids = _Grown(np.int32)  # every word's term ids, one after the other
        self._first, self._count = _Grown(np.int64), _Grown(np.int32)  # per word
        self.words = 0

    def _find(self, h: np.ndarray) -> np.ndarray:
        """The word number of each hash, -1 for a new one."""
        out = np.full(len(h), -1, np.int32)
        for hashes, numbers in (self._main, self._recent):
            if len(hashes):
                i = np.minimum(np.searchsorted(hashes, h), len(hashes) - 1)
                hit = hashes[i] == h
                out[hit] = numbers[i[hit]]
        return out

    @staticmethod
    def _merge(into, hashes, numbers):
        at = np.searchsorted(into[0], hashes)
        return np.insert(into[0], at, hashes), np.insert(into[1], at, numbers)

    def _learn(self, text: str, cps, starts, ends, hashes, terms_of) -> np.ndarray:
        """Add new words (distinct sorted hashes, each word's start and end); their numbers."""
        counts, flat = [], []
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            ids = terms_of(text[s:e])
            counts.append(len(ids))
            flat.extend(ids)
        counts = np.array(counts, np.int32)
        first = self._ids.extend(np.array(flat, np.int32))
        self._first.extend(first + np.cumsum(counts) - counts)
        self._count.extend(counts)
        lens = ends - starts
        offset = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
        at = self._letters.extend(cps[np.repeat(starts, lens) + offset])
        self._at.extend(at + np.cumsum(lens) - lens)
        self._len.extend(lens)
        numbers = np.arange(self.words, self.words + len(hashes), dtype=np.int32)
        self.words += len(hashes)
        self._recent = self._merge(self._recent, hashes, numbers)
        if len(self._recent[0]) * 8 > max(len(self._main[0]), 8192):
            self._main = self._merge(self._main, *self._recent)
            self._recent = (np.zeros(0, np.uint64), np.zeros(0, np.int32))
        return numbers

    def terms(self, text: str, parts, terms_of):
        """(term ids, position, first id of its position) of each word of a split text, or
        None if a word's letters do not match the word its hash found. terms_of(word) gives a
        new word's term ids."""
        cps, starts, ends = parts
        lens = ends - starts
        up, down = powers(_P)
        sums = np.zeros(len(cps) + 1, np.uint64)
        np.cumsum(cps * up[:len(cps)], out=sums[1:])
        h = (sums[ends] - sums[starts]) * down[starts] + lens.astype(np.uint64) * _LEN_MIX
        # The text's distinct hashes, sorted: looked up once each, in order (fewer cache misses).
        distinct, first, inverse = np.unique(h, return_index=True, return_inverse=True)
        found = self._find(distinct)
        new = np.flatnonzero(found < 0)
        if len(new):
            at = first[new]
            found[new] = self._learn(text, cps, starts[at], ends[at], distinct[new], terms_of)
        number = found[inverse.reshape(-1)]
        # Every word is the word its hash stands for: same length, same letters.
        if not np.array_equal(self._len.data[number], lens):
            return None
        offset = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
        mine = cps[np.repeat(starts, lens) + offset]
        if not np.array_equal(mine, self._letters.data[np.repeat(self._at.data[number], lens)
                                                       + offset]):
            return None
        counts = self._count.data[number]
        within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        keys = self._ids.data[np.repeat(self._first.data[number], counts) + within]
        pos = np.repeat(np.arange(len(number), dtype=np.int32), counts)
        return keys, pos, within == 0
