"""Terms of several blocks, or of one block big enough to deflate: their W3 blocks laid out a
block a row with numpy (header, delta ids, weights), each block's data then joined from its
slices and deflated in Python (a call a block, no copy per byte), and their term infos."""

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC

from search.ingest.w3postings import BLOCK, COMPRESS_OVER, deflate
from search.ingest.w3rows import (
    INFO,
    U8,
    Rows,
    block_header,
    ids_and_weights,
    length_bytes,
    pints,
)

CHUNK = 1 << 18  # postings laid out at a time (their temporaries are ~60 bytes each)
_DATA_END = b"t\x87."  # a block's data after its values: TUPLE, TUPLE3, STOP


def long_terms(p, boost: float, a: np.ndarray, b: np.ndarray, post) -> np.ndarray:
    """Write the postings a[i]..b[i] of each term to post (a Whoosh StructFile), in order, as
    W3PostingsWriter would; their term infos as INFO rows."""
    infos = [np.zeros(0, INFO)]
    ends = np.cumsum(b - a)
    cut = 0
    while cut < len(a):  # whole terms, about CHUNK postings at a time
        stop = max(int(np.searchsorted(ends, ends[cut] - (b[cut] - a[cut]) + CHUNK)), cut + 1)
        infos.append(_terms(p, boost, a[cut:stop], b[cut:stop], post))
        cut = stop
    return np.concatenate(infos).astype(INFO)  # numpy made it native


def _terms(p, boost, a, b, post) -> np.ndarray:
    n = b - a
    nb = (n + BLOCK - 1) // BLOCK  # blocks of each term
    tfirst = np.cumsum(nb) - nb
    term = np.repeat(np.arange(len(a)), nb)
    j = np.arange(int(nb.sum())) - tfirst[term]
    bs = a[term] + j * BLOCK  # each block's postings: bs..be
    be = np.minimum(bs + BLOCK, b[term])
    bn = be - bs
    m = len(bs)
    ga = np.cumsum(bn) - bn  # each block's first in the gathered arrays
    pidx = np.repeat(bs - ga, bn) + np.arange(int(bn.sum()))
    lo = int(a[0])
    docs = p.doc[pidx].astype(np.int64)
    w = p.weighted(lo, int(b[-1]), boost)[pidx - lo]
    lens = p.lengths[pidx]
    deltas = docs.copy()
    deltas[1:] -= docs[:-1]
    deltas[ga] = docs[ga]  # each block's first id is whole
    lmin, lmax = np.minimum.reduceat(lens, ga), np.maximum.reduceat(lens, ga)
    wmax, wmin = np.maximum.reduceat(w, ga), np.minimum.reduceat(w, ga)
    ru = wmin == wmax
    # The data up to its values: PROTO 3, (delta ids, weights, MARK
    owner = np.repeat(np.arange(m), bn)
    dmat, dlen = pints(deltas)
    d = Rows(m)
    ids_and_weights(d, owner, dmat, dlen, bn, ru, wmax, w)
    d.const(b"(")
    head, at = d.build()
    h, blob, vstart = memoryview(head), p.blob, p.vstart
    data = [b"".join((h[x:x + k], blob[y:z], _DATA_END))
            for x, k, y, z in zip(at.tolist(), d.lengths.tolist(), vstart[bs].tolist(),
                                  vstart[be].tolist(), strict=True)]
    del head, h, d
    comp = np.fromiter(map(len, data), np.int64, m) > COMPRESS_OVER
    for i in np.flatnonzero(comp).tolist():
        data[i] = deflate(data[i])
    size = np.fromiter(map(len, data), np.int64, m)
    # Each block: the term's tag first, its length (negative for the term's last block), then
    # its header (count, last id, max weight, compression, min and max length bytes).
    pints_n, lens_n = pints(bn)
    pints_last, lens_last = pints(docs[ga + bn - 1])
    head_len = 3 + lens_n + lens_last + 9 + 2 + 2 + 2 + 2
    last = np.zeros(m, bool)
    last[np.cumsum(nb) - 1] = True
    r = Rows(m)
    r.var(np.tile(np.frombuffer(WHOOSH3_HEADER_MAGIC, U8), (m, 1)), np.where(j == 0, 4, 0))
    r.var((np.where(last, -1, 1) * (head_len + size)).astype(">i4").view(U8).reshape(m, 4))
    block_header(r, (pints_n, lens_n), (pints_last, lens_last), wmax, comp, lmin, lmax)
    r.const(b"t.")
    buf, offsets = r.build()
    h = memoryview(buf)
    heads = [h[x:y] for x, y in zip(offsets.tolist(), (offsets + r.lengths).tolist(), strict=True)]
    base = post.tell()
    post.write(b"".join([x for pair in zip(heads, data, strict=True) for x in pair]))
    row = r.lengths + size  # each block's bytes
    start = np.cumsum(row) - row
    tp = np.cumsum(n) - n  # each term's first in the gathered arrays
    info = np.zeros(len(a), INFO)
    info["weight"] = np.add.reduceat(w.astype(np.float64), tp)
    info["df"] = n
    info["minlen"] = length_bytes(np.minimum.reduceat(lens, tp))
    info["maxlen"] = length_bytes(np.maximum.reduceat(lens, tp))
    info["maxweight"] = np.maximum.reduceat(w, tp)
    info["minid"], info["maxid"] = docs[tp], docs[tp + n - 1]
    info["offset"] = base + start[tfirst]
    info["length"] = np.add.reduceat(row, tfirst)
    return info
