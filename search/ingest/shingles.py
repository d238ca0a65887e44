"""Word shingles of a text, hashed with numpy: what near-duplicate signatures are made of."""

import re

import numpy as np

SHINGLE = 3  # words per shingle
_WORD = re.compile(r"\w+")
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], np.uint64)
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
