"""Near-duplicate signatures: MinHash over word shingles, kept per document as LSH band keys."""

import re

import numpy as np

SHINGLE = 3  # words per shingle
BANDS = 16  # LSH bands of ROWS values: pairs with Jaccard ≥ 0.7 share a band 99% of the time
ROWS = 4
PERMS = BANDS * ROWS
# Copies are pairs whose estimated shingle Jaccard is at least this. Measured on the shared
# corpora (bench/README.md, "Near-duplicates"): every checked pair above it was the same text
# lightly edited; below it, short articles sharing a boilerplate footnote creep in.
THRESHOLD = 0.7
MIN_SHINGLES = 8  # shorter texts say too little to call two of them copies
FIELD = "near"  # the column of MinHash values (PERMS × uint32), empty for short texts
# Signatures start with this tag: shingles hashed from word hashes made with numpy (v2).
# Untagged ones (version 1, a SHA-1 per shingle) still read, but never match version 2 ones.
TAG = b"mh2\x00"
_WORD = re.compile(r"\w+")
SEED = 18


def _affine32(seed: int, n: int) -> np.ndarray:
    """The permutations (a, b) of datasketch's MinHash(num_perm=n, seed=seed), its affine32
    scheme, made as it makes them: importing datasketch imports scipy, which took ~0.5 CPU s
    of every indexing run (bench/README.md, issue16s)."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, n, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, n, dtype=np.uint32)
    return np.array([a, b])


# One set of permutations for every document (building them is the slow part of MinHash()).
_PERMUTATIONS = _affine32(SEED, PERMS)
_PERMUTE = tuple(p[:, None] for p in _PERMUTATIONS)  # (a, b) as columns
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], np.uint64)
_CHUNK = 8192  # shingles permuted at a time: (chunk × PERMS) values in memory
# Which of the first 65,536 code points are word characters (regex \w), as a lookup table.
_IS_WORD = np.array([bool(_WORD.match(chr(c))) for c in range(0x10000)], bool)
_NONE, _MANY = 0xFFFFFFFE, 0xFFFFFFFF  # _FOLD's marks: folds to nothing, to several


def _fold_table() -> np.ndarray:
    """What each code point of the first plane becomes in shingles' text: its case folding,
    ё as е, ' and ’ dropped (_NONE), or several code points (_MANY)."""
    table = np.empty(0x10000, np.uint32)
    for c in range(0x10000):
        f = chr(c).casefold().replace("ё", "е").replace("'", "").replace("’", "")
        table[c] = ord(f) if len(f) == 1 else _NONE if not f else _MANY
    return table


_FOLD = _fold_table()
# _FOLD_WORD's marks: a code point that folds to nothing (dropped), to several (the text
# needs the general path).
_DROP, _SPECIAL = np.uint64(1 << 32), np.uint64(1 << 33)


def _fold_word_table() -> np.ndarray:
    """Per code point of the first plane, what _hashes sums for it after _folded: its folded
    code point + 1 if that is a word character, else 0; or _DROP, or _SPECIAL."""
    table = np.zeros(0x10000, np.uint64)
    simple = _FOLD < 0x10000
    word = np.zeros(0x10000, bool)
    word[simple] = _IS_WORD[_FOLD[simple]]
    table[word] = _FOLD[word].astype(np.uint64) + np.uint64(1)
    table[~simple] = _SPECIAL
    table[_FOLD == _NONE] = _DROP
    return table


_FOLD_WORD = _fold_word_table()
_powers = np.ones(1, np.uint64)  # _MIX[1] ** i (mod 2**64), grown to the longest word seen
# Texts up to this many code points are hashed from prefix sums over these power tables.
MAX_CHARS = 1 << 18
_tables: list[np.ndarray] = []  # [_MIX[1] ** i, _MIX[1] ** -i] (mod 2**64), i ≤ MAX_CHARS


def _prefix_powers() -> list[np.ndarray]:
    if not _tables:
        p = int(_MIX[1])
        for base in (p, pow(p, -1, 2**64)):  # p is odd, so it has an inverse
            t = np.empty(MAX_CHARS + 1, np.uint64)
            t[0] = 1
            t[1:] = base
            _tables.append(np.cumprod(t))  # wraps modulo 2**64, as wanted
    return _tables


def _is_word(cps: np.ndarray) -> np.ndarray:
    if not len(cps) or cps.max() <= 0xFFFF:  # nearly always: the table alone
        return _IS_WORD[cps]
    mask = _IS_WORD[np.minimum(cps, 0xFFFF)]
    astral = np.flatnonzero(cps > 0xFFFF)
    if len(astral):  # rare: letters past the first plane asked one by one
        mask[astral] = [bool(_WORD.match(chr(c))) for c in cps[astral].tolist()]
    return mask


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), "<u4")


def _folded(text: str) -> np.ndarray:
    """The code points of text case folded, with ё as е and without ' and ’ (what shingles
    compares): through _FOLD when every one is in the first plane and folds to at most one
    (nearly always), else through str.casefold."""
    cps = _code_points(text)
    if len(cps) and cps.max() <= 0xFFFF:
        folded = _FOLD[cps]
        if folded.max() < _NONE:
            return folded
        if not (folded == _MANY).any():
            return folded[folded != _NONE]
    return _code_points(text.casefold().replace("ё", "е").replace("'", "").replace("’", ""))


def _folded_values(text: str) -> np.ndarray | None:
    """What _hashes sums for each code point of _folded(text): + 1 for word characters, 0
    for the others, in one table lookup; None when the text needs the general path (a code
    point past the first plane, one that folds to several, a long text)."""
    cps = _code_points(text)
    if not len(cps) or len(cps) > MAX_CHARS or cps.max() > 0xFFFF:
        return None
    values = _FOLD_WORD[cps]
    top = values.max()
    if top < _DROP:
        return values
    return None if top >= _SPECIAL else values[values != _DROP]


def _word_hashes(text: str) -> np.ndarray:
    """A 64-bit hash per \\w+ word of text, in order, computed over all its letters at once."""
    return _hashes(_code_points(text))


def _hashes(cps: np.ndarray | None, values: np.ndarray | None = None) -> np.ndarray:
    """_word_hashes of a text's code points; or, given values (_folded_values of a text), of
    the words those mark."""
    mask = _is_word(cps) if values is None else values != 0
    padded = np.zeros(len(mask) + 2, bool)
    padded[1:-1] = mask
    edges = np.flatnonzero(padded[1:] != padded[:-1])  # a word's start, then its end
    starts, ends = edges[0::2], edges[1::2]
    if not len(starts):
        return np.zeros(0, np.uint64)
    if len(mask) <= MAX_CHARS:
        # The same polynomial hash from prefix sums: sum((c + 1) * P**i) over the text, the
        # span of each word, times P**-start (P is odd, so invertible modulo 2**64; what
        # the sum has outside words does not count).
        up, down = _prefix_powers()
        if values is None:
            values = cps + np.uint64(1)
        sums = np.empty(len(mask) + 1, np.uint64)
        sums[0] = 0
        np.cumsum(values * up[:len(mask)], out=sums[1:])
        h = (sums[ends] - sums[starts]) * down[starts]
    else:
        h = _long_hashes(cps.astype(np.uint64), mask, starts, ends)
    h ^= h >> np.uint64(31)
    h *= _MIX[2]
    h ^= h >> np.uint64(29)
    return h


def _long_hashes(cps, mask, starts, ends) -> np.ndarray:
    """The words' hashes before mixing, for a text longer than the power tables."""
    global _powers
    longest = int((ends - starts).max())
    if longest > len(_powers):
        n = max(longest, 2 * len(_powers))
        _powers = np.ones(n, np.uint64)
        _powers[1:] = np.cumprod(np.full(n - 1, _MIX[1], np.uint64))
    at = np.flatnonzero(mask)
    word = np.searchsorted(starts, at, side="right") - 1
    # A polynomial hash of each word's code points (mod 2**64).
    return np.add.reduceat((cps[at] + np.uint64(1)) * _powers[at - starts[word]],
                           np.searchsorted(at, starts))


def shingles(text: str) -> np.ndarray:
    """32-bit hashes of the text's distinct runs of SHINGLE consecutive words (case folded,
    ё as е, ' ignored), sorted."""
    values = _folded_values(text)
    hw = _hashes(_folded(text)) if values is None else _hashes(None, values)
    if len(hw) < SHINGLE:
        return np.zeros(0, np.uint32)
    n = len(hw) - SHINGLE + 1
    mixed = hw[:n] * _MIX[0]
    for j in range(1, SHINGLE):  # order matters: "a b c" is not "c b a"
        mixed += hw[j:j + n] * _MIX[j]
    mixed ^= mixed >> np.uint64(29)  # the high half takes every word's bits
    mixed *= _MIX[0]
    found = np.sort((mixed >> np.uint64(32)).astype(np.uint32))
    first = np.empty(len(found), bool)  # each value once
    first[0] = True
    np.not_equal(found[1:], found[:-1], out=first[1:])
    return found[first]


def minhash(text: str):
    """The text's datasketch MinHash, or None when it is too short to compare."""
    from datasketch import MinHash

    values = _hashvalues(text)
    if values is None:
        return None
    return MinHash(seed=SEED, hashvalues=values, permutations=_PERMUTATIONS, scheme="affine32")


def _hashvalues(text: str) -> np.ndarray | None:
    """The text's PERMS MinHash values, or None when it is too short to compare."""
    found = shingles(text)
    if len(found) < MIN_SHINGLES:
        return None
    # As datasketch's update_batch does it (scheme affine32), for all shingles at once.
    a, b = _PERMUTE
    values = np.full(PERMS, 0xFFFFFFFF, np.uint32)
    for s in range(0, len(found), _CHUNK):
        # A row per permutation: the minimum runs along contiguous memory (40 % less CPU
        # than a column per permutation).
        hv = a * _fmix32(found[s:s + _CHUNK])
        hv += b
        values = np.minimum(values, hv.min(axis=1))
    return values


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's finalizer, as datasketch mixes 32-bit hash values before permuting."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signature(text: str) -> bytes:
    """TAG then PERMS MinHash values as little-endian uint32, or b"" for a text too short."""
    values = _hashvalues(text)  # no MinHash object: a fifth of the time (16m)
    return b"" if values is None else TAG + values.astype("<u4").tobytes()


def fields(title: str, body: str) -> dict:
    """The index fields a document's near-duplicate signature adds."""
    sig = signature(f"{title}\n{body}")
    return {FIELD: sig} if sig else {}


def signatures(values: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """((documents, PERMS) uint32 values, bool per document: has a signature)."""
    out = np.zeros((len(values), PERMS), np.uint32)
    values = [v[len(TAG):] if v[:len(TAG)] == TAG else v for v in values]
    has = np.array([len(v) == PERMS * 4 for v in values], bool)
    if has.any():
        out[has] = np.frombuffer(b"".join(v for v, h in zip(values, has, strict=True) if h),
                                 "<u4").reshape(-1, PERMS)
    return out, has


def band_keys(sigs: np.ndarray, band: int) -> np.ndarray:
    """One band's key per signature (equal rows give equal keys)."""
    rows = sigs[:, band * ROWS:(band + 1) * ROWS]
    key = np.zeros(len(sigs), np.uint64)
    for j in range(ROWS):  # a multiplicative mix: equal rows give equal keys, others rarely
        key ^= rows[:, j]
        key *= np.uint64(0x9E3779B97F4A7C15)
        key += np.uint64(j)
    return key


def clusters(sigs: np.ndarray, has: np.ndarray, threshold: float = THRESHOLD) -> np.ndarray:
    """A cluster label per document: the smallest document number among its copies.

    Candidates share a band (LSH); neighbours in a band's sorted order are joined when their
    estimated Jaccard is at least threshold (union-find by label propagation). Documents
    without a signature are each their own cluster.
    """
    a, b = links(sigs, has, threshold)
    return components(len(sigs), a, b)


def links(sigs: np.ndarray, has: np.ndarray, threshold: float = THRESHOLD):
    """(a, b) document pairs that are copies: neighbours in a band's sorted order whose
    estimated Jaccard is at least threshold."""
    n = len(sigs)
    idx = np.flatnonzero(has)
    none = np.zeros(0, np.int64)
    if len(idx) < 2:
        return none, none
    pairs = []
    for band in range(BANDS):
        key = band_keys(sigs, band)[idx]
        order = np.argsort(key)
        same = key[order][1:] == key[order][:-1]
        if same.any():
            pairs.append(np.stack([idx[order][:-1][same], idx[order][1:][same]], 1))
    if not pairs:
        return none, none
    joined = np.concatenate(pairs)
    code = np.unique(joined[:, 0] * n + joined[:, 1])
    a, b = code // n, code % n
    close = similar(sigs[a], sigs[b], threshold)
    return a[close], b[close]


def similar(x: np.ndarray, y: np.ndarray, threshold: float = THRESHOLD) -> np.ndarray:
    """True where rows of signatures x and y estimate a Jaccard of at least threshold."""
    return (x == y).mean(axis=1) >= threshold


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest document number of each document's component over links (a, b)."""
    label = np.arange(n, dtype=np.int64)
    while len(a):  # each round gives both ends of every link the smaller label
        low = np.minimum(label[a], label[b])
        new = label.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]
        if np.array_equal(new, label):
            break
        label = new
    return label
