"""Many short terms' W3 postings and their terms-table rows, laid out at once with numpy.

Most terms of a segment have a handful of postings: one block each, too small to compress.
Writing them a term at a time (w3postings.text_term) costs Python time per term; here all of a
field's such terms become one run of bytes: each block's pickled header, delta ids, weights
and the values already framed in the postings buffer (w3values.values) are placed with
numpy. The ints are pickled as pickle writes them (BININT1, BININT2, BININT), so Whoosh and the
merge read the blocks as they read Whoosh's own. The terms table rows (Whoosh's
OrderedHashWriter) are added in bulk too: one write, MD5 hashes of all keys at once.
"""

import struct
from hashlib import md5

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.util.numeric import _length_byte_cache

from search.ingest.w3postings import BLOCK, COMPRESS_OVER, Window, text_term

_U8 = np.uint8
_LENGTH_BYTES = np.array(_length_byte_cache, np.int64)
# W3TermInfo.to_bytes of a term not inlined ("!BfIBBfIIqi"), as one numpy row.
INFO = np.dtype([("inlined", "u1"), ("weight", ">f4"), ("df", ">u4"), ("minlen", "u1"),
                 ("maxlen", "u1"), ("maxweight", ">f4"), ("minid", ">u4"), ("maxid", ">u4"),
                 ("offset", ">i8"), ("length", ">i4")])
_LENGTHS = struct.Struct("!ii")  # a terms-table row's key and value lengths
ROWS = 32_768  # terms laid out at a time (each under ~300 bytes)


def length_bytes(lengths: np.ndarray) -> np.ndarray:
    """whoosh.util.numeric.length_to_byte of each length."""
    return np.minimum(np.searchsorted(_LENGTH_BYTES, lengths, side="left"), 255)


def _pints(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative ints below 2**31 as pickle writes them: (rows of 5 bytes, lengths)."""
    v = v.astype(np.int64)
    mat = np.zeros((len(v), 5), _U8)
    small, mid = v < 256, v < 65536
    mat[:, 0] = np.where(small, ord("K"), np.where(mid, ord("M"), ord("J")))
    mat[:, 1:] = v.astype("<u4").view(_U8).reshape(len(v), 4)
    return mat, np.where(small, 2, np.where(mid, 3, 5))


def _doubles(w: np.ndarray) -> np.ndarray:
    """Pickle's BINFLOAT of each value: rows of 9 bytes."""
    mat = np.empty((len(w), 9), _U8)
    mat[:, 0] = ord("G")
    mat[:, 1:] = w.astype(">f8").view(_U8).reshape(len(w), 8)
    return mat


class _Rows:
    """Rows of bytes assembled from pieces, each piece given for every row at once."""

    def __init__(self, m: int):
        self.m, self.pieces = m, []
        self.lengths = np.zeros(m, np.int64)

    def const(self, b: bytes) -> None:
        self.pieces.append(("const", b))
        self.lengths += len(b)

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
                for k, byte in enumerate(piece[1]):
                    buf[cur + k] = byte
                cur += len(piece[1])
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


def _scatter(buf, at, mat, lens) -> None:
    for k in range(mat.shape[1]):
        sel = lens > k
        if sel.all():
            buf[at + k] = mat[:, k]
        elif sel.any():
            buf[at[sel] + k] = mat[sel, k]


def short_terms(p, boost: float, a: np.ndarray, b: np.ndarray, post) -> tuple:
    """Write the one-block, uncompressed terms among postings a[i]..b[i] to post (a Whoosh
    StructFile); (their indexes into a, their term infos as INFO rows)."""
    done, infos = [], []
    cand = np.flatnonzero(b - a <= BLOCK)  # one block each; the larger terms are skipped
    if not len(cand):
        return np.zeros(0, np.int64), np.zeros(0, INFO)
    va, vb = a[cand], b[cand]
    n = vb - va
    # The candidates' postings gathered (only theirs: most postings are frequent terms').
    ga = np.cumsum(n) - n
    gb = ga + n
    pidx = np.repeat(va - ga, n) + np.arange(int(n.sum()))
    lo, hi = int(va[0]), int(vb[-1])
    docs = p.doc[pidx].astype(np.int64)
    w = p.weighted(lo, hi, boost)[pidx - lo]
    lens = p.lengths[pidx]
    deltas = docs.copy()
    deltas[1:] -= docs[:-1]
    deltas[ga] = docs[ga]
    del pidx
    dmat, dlen = _pints(deltas)
    wmax = np.maximum.reduceat(w, ga)
    wmin = np.minimum.reduceat(w, ga)
    uniform = wmin == wmax
    vlen = p.vstart[vb] - p.vstart[va]
    # data = PROTO 3, ids, weights, MARK values TUPLE, TUPLE3, STOP (as write_block's)
    ids_len = np.where(n == 1, dlen[ga] + 1, np.add.reduceat(dlen, ga) + 2)
    w_len = np.where(uniform, np.where(wmax == 1.0, 1, 9), 2 + 9 * n)
    data_len = 2 + ids_len + w_len + 1 + vlen + 3
    ok = np.flatnonzero(data_len <= COMPRESS_OVER)
    for s in range(0, len(ok), ROWS):
        rows = ok[s:s + ROWS]
        infos.append(_lay_out(rows, p, ga, gb, va, vb, n, docs, w, lens, dmat, dlen, wmax,
                              uniform, data_len, post))
        done.append(cand[rows])
    if not done:
        return np.zeros(0, np.int64), np.zeros(0, INFO)
    return np.concatenate(done), np.concatenate(infos).astype(INFO)  # numpy made it native


def _lay_out(rows, p, ga, gb, va, vb, n, docs, w, lens, dmat, dlen, wmax, uniform, data_len,
             post):
    """Write the blocks of the candidate terms rows (ga..gb in the gathered per-posting arrays,
    va..vb in p); their INFO rows."""
    m = len(rows)
    ra, rb, rn = ga[rows], gb[rows], n[rows]
    # The postings of these rows, by row.
    owner = np.repeat(np.arange(m), rn)
    pidx = np.repeat(ra - (np.cumsum(rn) - rn), rn) + np.arange(int(rn.sum()))
    plens = lens[pidx]
    lmin = np.minimum.reduceat(plens, np.cumsum(rn) - rn)
    lmax = np.maximum.reduceat(plens, np.cumsum(rn) - rn)
    pints_n, lens_n = _pints(rn)
    pints_last, lens_last = _pints(docs[rb - 1])
    head_len = 3 + lens_n + lens_last + 9 + 2 + 2 + 2 + 2
    rw = wmax[rows]
    ru = uniform[rows]
    r = _Rows(m)
    r.const(WHOOSH3_HEADER_MAGIC)
    r.var((-(head_len + data_len[rows])).astype(">i4").view(_U8).reshape(m, 4))
    # The block's header: (count, last id, max weight, compression 0, min and max length bytes)
    r.const(b"\x80\x02(")
    r.var(pints_n, lens_n)
    r.var(pints_last, lens_last)
    r.var(_doubles(rw))
    r.const(b"K\x00")
    r.var(np.stack([np.full(m, ord("K"), _U8), length_bytes(lmin).astype(_U8),
                    np.full(m, ord("K"), _U8), length_bytes(lmax).astype(_U8)], 1))
    r.const(b"t.")
    # The data: (delta ids, weights, values)
    r.const(b"\x80\x03")
    many = rn > 1
    r.var(np.full((m, 1), ord("("), _U8), many.astype(np.int64))
    r.items(owner, dmat[pidx], dlen[pidx])
    r.var(np.where(many, ord("t"), 0x85).astype(_U8).reshape(m, 1))
    one = ru & (rw == 1.0)
    wmat = np.zeros((m, 9), _U8)
    wmat[:, 0] = np.where(one, ord("N"), np.where(ru, ord("G"), ord("(")))
    wmat[ru & ~one, 1:] = _doubles(rw[ru & ~one])[:, 1:]
    r.var(wmat, np.where(one, 1, np.where(ru, 9, 1)))
    mixed = ~ru[owner]
    r.items(owner, _doubles(w[pidx]), np.where(mixed, 9, 0))
    r.var(np.full((m, 1), ord("t"), _U8), (~ru).astype(np.int64))
    r.const(b"(")
    r.slices(np.frombuffer(p.blob, _U8), p.vstart[va[rows]],
             p.vstart[vb[rows]] - p.vstart[va[rows]])
    r.const(b"t\x87.")
    buf, offsets = r.build()
    base = post.tell()
    post.write(buf.tobytes())
    info = np.zeros(m, INFO)
    info["weight"] = np.add.reduceat(w[pidx].astype(np.float64), np.cumsum(rn) - rn)
    info["df"] = rn
    info["minlen"], info["maxlen"] = length_bytes(lmin), length_bytes(lmax)
    info["maxweight"] = rw
    info["minid"], info["maxid"] = docs[ra], docs[rb - 1]
    info["offset"] = base + offsets
    info["length"] = r.lengths
    return info


def write_terms(post, postings, boost: float, spans) -> list[bytes]:
    """Write the postings a..b of each (a, b) in spans (in term order) to post; their term
    infos. One-block terms are laid out together (short_terms), the others a term at a time."""
    infos = [None] * len(spans)
    if not len(spans):
        return infos
    spans = np.asarray(spans, np.int64).reshape(-1, 2)
    done, rows = short_terms(postings, boost, spans[:, 0], spans[:, 1], post)
    raw, size = rows.tobytes(), rows.dtype.itemsize
    for j, k in enumerate(done.tolist()):
        infos[k] = raw[j * size:(j + 1) * size]
    left = np.ones(len(spans), bool)
    left[done] = False
    window = Window(postings, boost)
    out = bytearray()  # written a few MB at a time
    base = post.tell()
    for k in np.flatnonzero(left).tolist():
        infos[k] = text_term(out, base, window, postings.blob, int(spans[k, 0]),
                             int(spans[k, 1]))
        if len(out) > 2**23:
            post.write(bytes(out))
            out = bytearray()
            base = post.tell()
    post.write(bytes(out))
    return infos


def add_rows(tindex, keys: list[bytes], values: list[bytes]) -> None:
    """tindex.add(key, value) for each pair (keys strictly increasing), in one write."""
    if not keys:
        return
    last = tindex.lastkey
    for k in keys:
        if k <= last:
            raise ValueError(f"Keys must increase: {last!r}..{k!r}")
        last = k
    dbfile = tindex.dbfile
    pos = dbfile.tell()
    pack = _LENGTHS.pack
    rows = [pack(len(k), len(v)) + k + v for k, v in zip(keys, values, strict=True)]
    sizes = np.fromiter(map(len, rows), np.int64, len(rows))
    starts = (pos + np.cumsum(sizes) - sizes).tolist()
    dbfile.write(b"".join(rows))
    digests = b"".join([md5(k, usedforsecurity=False).digest() for k in keys])
    hashes = np.frombuffer(digests, ">u4").reshape(-1, 4)[:, 3].tolist()
    buckets = tindex.buckets
    for h, s in zip(hashes, starts, strict=True):
        buckets[h & 255].append((h, s))
    tindex.index.extend(starts)
    tindex.lastkey = keys[-1]
