"""Near-duplicate signatures: MinHash over word shingles, kept per document as LSH band keys."""

import numpy as np

from search.ingest.shingles import shingles

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
_CHUNK = 8192  # shingles permuted at a time: (chunk × PERMS) values in memory


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
