"""Rows of bytes laid out with numpy, a piece for every row at once (the bulk writer's W3 blocks).

Pickle's ints and floats as Whoosh's pickles hold them (BININT1, BININT2, BININT; BINFLOAT),
for all values at once, and Whoosh's length bytes.
"""

import numpy as np
from whoosh.util.numeric import _length_byte_cache

U8 = np.uint8
_U8 = U8
_LENGTH_BYTES = np.array(_length_byte_cache, np.int64)
# W3TermInfo.to_bytes of a term not inlined ("!BfIBBfIIqi"), as one numpy row.
INFO = np.dtype([("inlined", "u1"), ("weight", ">f4"), ("df", ">u4"), ("minlen", "u1"),
                 ("maxlen", "u1"), ("maxweight", ">f4"), ("minid", ">u4"), ("maxid", ">u4"),
                 ("offset", ">i8"), ("length", ">i4")])


def length_bytes(lengths: np.ndarray) -> np.ndarray:
    """whoosh.util.numeric.length_to_byte of each length."""
    return np.minimum(np.searchsorted(_LENGTH_BYTES, lengths, side="left"), 255)


def pints(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative ints below 2**31 as pickle writes them: (rows of 5 bytes, lengths)."""
    v = v.astype(np.int64)
    mat = np.zeros((len(v), 5), _U8)
    small, mid = v < 256, v < 65536
    mat[:, 0] = np.where(small, ord("K"), np.where(mid, ord("M"), ord("J")))
    mat[:, 1:] = v.astype("<u4").view(_U8).reshape(len(v), 4)
    return mat, np.where(small, 2, np.where(mid, 3, 5))


def doubles(w: np.ndarray) -> np.ndarray:
    """Pickle's BINFLOAT of each value: rows of 9 bytes."""
    mat = np.empty((len(w), 9), _U8)
    mat[:, 0] = ord("G")
    mat[:, 1:] = w.astype(">f8").view(_U8).reshape(len(w), 8)
    return mat


class Rows:
    """Rows of bytes assembled from pieces, each piece given for every row at once."""

    def __init__(self, m: int):
        self.m, self.pieces = m, []
        self.lengths = np.zeros(m, np.int64)

    def const(self, b: bytes) -> None:
        self.pieces.append(("const", b))
        self.lengths += len(b)

    def extend(self, other: "Rows") -> None:
        """Each row gets other's row after its own."""
        self.pieces += other.pieces
        self.lengths += other.lengths

    def var(self, mat: np.ndarray, lens=None) -> None:
        """Row i gets mat[i, :lens[i]] (all of mat[i] without lens)."""
        lens = np.full(self.m, mat.shape[1], np.int64) if lens is None else lens
        self.pieces.append(("var", mat, lens))
        self.lengths += lens

    def items(self, owner: np.ndarray, mat: np.ndarray, lens: np.ndarray) -> None:
        """Per-item pieces (items ordered by their row, owner): each row gets its items'."""
        per_row = np.bincount(owner, lens, self.m).astype(np.int64)
        self.pieces.append(("items", owner, mat, lens, per_row))
        self.lengths += per_row

    def slices(self, src: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> None:
        """Row i gets src[starts[i]:starts[i] + lens[i]]."""
        self.pieces.append(("slice", src, starts, lens))
        self.lengths += lens

    def build(self) -> tuple[np.ndarray, np.ndarray]:
        """(all rows' bytes, each row's offset in them)."""
        offsets = np.zeros(self.m, np.int64)
        np.cumsum(self.lengths[:-1], out=offsets[1:])
        buf = np.empty(int(self.lengths.sum()), _U8)
        cur = offsets.copy()
        for piece in self.pieces:
            kind = piece[0]
            if kind == "const":
                const = piece[1]
                _place(buf, cur, np.frombuffer(const, _U8).reshape(1, len(const)))
                cur += len(const)
            elif kind == "var":
                _, mat, lens = piece
                _scatter(buf, cur, mat, lens)
                cur += lens
            elif kind == "items":
                _, owner, mat, lens, per_row = piece
                before = np.cumsum(lens) - lens  # bytes of the items before, over all rows
                row_first = np.cumsum(per_row) - per_row
                _scatter(buf, cur[owner] + before - row_first[owner], mat, lens)
                cur += per_row
            else:
                _, src, starts, lens = piece
                total = int(lens.sum())
                if total:
                    skip = np.cumsum(lens) - lens
                    at = np.arange(total, dtype=np.int64)
                    buf[np.repeat(cur - skip, lens) + at] = src[np.repeat(starts - skip, lens) + at]
                cur += lens
        return buf, offsets


def block_header(r: Rows, count: tuple, last: tuple, wmax, comp, lmin, lmax) -> None:
    """Add to each row its block's header as Whoosh pickles it (protocol 2), up to the tuple's
    end: (count, last id, max weight, compression, min and max length bytes); count and last
    as pints() gives them, comp 1 for a deflated block's data."""
    k = np.full(len(wmax), ord("K"), U8)
    r.const(b"\x80\x02(")
    r.var(*count)
    r.var(*last)
    r.var(doubles(wmax))
    r.var(np.stack([k, np.asarray(comp).astype(U8), k, length_bytes(lmin).astype(U8), k,
                    length_bytes(lmax).astype(U8)], 1))


def ids_and_weights(r: Rows, owner, dmat, dlen, count, uniform, weight, weights) -> None:
    """Add to each row PROTO 3, its delta ids' list (a tuple of one), and its weights: one
    float when all are the same (N for 1.0), else their list; rows of count postings each."""
    m = len(count)
    r.const(b"\x80\x03")
    many = count > 1
    r.var(np.full((m, 1), ord("("), U8), many.astype(np.int64))
    r.items(owner, dmat, dlen)
    r.var(np.where(many, ord("t"), 0x85).astype(U8).reshape(m, 1))
    one = uniform & (weight == 1.0)
    wmat = np.zeros((m, 9), U8)
    wmat[:, 0] = np.where(one, ord("N"), np.where(uniform, ord("G"), ord("(")))
    wmat[uniform & ~one, 1:] = doubles(weight[uniform & ~one])[:, 1:]
    r.var(wmat, np.where(one, 1, np.where(uniform, 9, 1)))
    r.items(owner, doubles(weights), np.where(~uniform[owner], 9, 0))
    r.var(np.full((m, 1), ord("t"), U8), (~uniform).astype(np.int64))


def place(buf, at, items) -> None:
    """buf[at[i]:at[i] + width] = the bytes of items[i] (a one-dimensional array of width-byte
    items, a packed record array say; items[0] for every i if it has one; the places do not
    overlap): one index an item, through a view of buf whose items are width bytes and start
    at every byte."""
    width = items.dtype.itemsize
    view = np.ndarray((len(buf) - width + 1,), f"V{width}", buf, 0, (1,))
    view[at] = items.view(f"V{width}")


def _place(buf, at, rows) -> None:
    """buf[at[i]:at[i] + width] = rows[i] of a matrix of bytes (place())."""
    width = rows.shape[1]
    if width and len(at):
        place(buf, at, np.ascontiguousarray(rows).view(f"V{width}")[:, 0])


def _scatter(buf, at, mat, lens) -> None:
    """buf[at[i] + k] = mat[i, k] for k below lens[i]: the rows of each length at once, each
    row as one item (no two writes of a call overlap)."""
    width = mat.shape[1]
    if not width or not len(at):
        return
    if lens.min() == width:
        _place(buf, at, mat)
        return
    for n in np.flatnonzero(np.bincount(lens, minlength=width + 1)).tolist():
        if n:
            sel = lens == n
            _place(buf, at[sel], mat[sel, :n])
