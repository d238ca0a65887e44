"""Many short terms' W3 postings and their terms-table rows, laid out at once with numpy.

Most terms of a segment have a handful of postings: one block each, too small to compress.
Writing them a term at a time would cost Python time per term; here all of a field's such
terms become one run of bytes: each block's pickled header, delta ids, weights
and the values already framed in the postings buffer (w3values.values) are placed with
numpy. The ints are pickled as pickle writes them (BININT1, BININT2, BININT), so Whoosh and the
merge read the blocks as they read Whoosh's own. The terms table rows (Whoosh's
OrderedHashWriter) are added in bulk too: one write, MD5 hashes of all keys at once, and its
hash tables are written as one array at close (TermsTable).
"""

from hashlib import md5

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3FieldWriter
from whoosh.filedb.filetables import OrderedHashWriter

from search.ingest.w3blocks import long_terms
from search.ingest.w3postings import BLOCK, COMPRESS_OVER
from search.ingest.w3rows import INFO, Rows, block_header, ids_and_weights, length_bytes, pints
from search.ingest.w3rows import U8 as _U8

ROWS = 32_768  # terms laid out at a time (each under ~300 bytes)


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
    dmat, dlen = pints(deltas)
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
    pints_n, lens_n = pints(rn)
    pints_last, lens_last = pints(docs[rb - 1])
    head_len = 3 + lens_n + lens_last + 9 + 2 + 2 + 2 + 2
    rw = wmax[rows]
    ru = uniform[rows]
    r = Rows(m)
    r.const(WHOOSH3_HEADER_MAGIC)
    r.var((-(head_len + data_len[rows])).astype(">i4").view(_U8).reshape(m, 4))
    # The block's header: (count, last id, max weight, compression 0, min and max length bytes)
    block_header(r, (pints_n, lens_n), (pints_last, lens_last), rw, np.zeros(m, _U8), lmin,
                 lmax)
    r.const(b"t.")
    # The data: (delta ids, weights, values)
    ids_and_weights(r, owner, dmat[pidx], dlen[pidx], rn, ru, rw, w[pidx])
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


def write_terms(post, postings, boost: float, spans) -> np.ndarray:
    """Write the postings a..b of each (a, b) in spans (in term order) to post; their term
    infos as INFO rows. Small one-block terms are laid out together (short_terms), then the
    others, a block a row (w3blocks.long_terms)."""
    infos = np.zeros(len(spans), INFO)
    if not len(spans):
        return infos
    spans = np.asarray(spans, np.int64).reshape(-1, 2)
    done, rows = short_terms(postings, boost, spans[:, 0], spans[:, 1], post)
    left = np.ones(len(spans), bool)
    left[done] = False
    rest = np.flatnonzero(left)
    infos[done] = rows
    infos[rest] = long_terms(postings, boost, spans[rest, 0], spans[rest, 1], post)
    return infos


def info_bytes(infos: np.ndarray) -> list[bytes]:
    """INFO rows as W3TermInfo.to_bytes gives them, one bytes object each."""
    raw, size = infos.tobytes(), INFO.itemsize
    return [raw[k:k + size] for k in range(0, len(raw), size)]


def add_rows(tindex, keys: list[bytes], values) -> None:
    """tindex.add(key, value) for each pair (keys strictly increasing, values INFO rows or
    bytes), in one write."""
    n = len(keys)
    if not n:
        return
    last = tindex.lastkey
    for k in keys:
        if k <= last:
            raise ValueError(f"Keys must increase: {last!r}..{k!r}")
        last = k
    # Each row: the key's and the value's lengths ("!ii"), the key, the value.
    klen = np.fromiter(map(len, keys), np.int64, n)
    r = Rows(n)
    if isinstance(values, np.ndarray):
        vlen, vbytes = np.full(n, INFO.itemsize, np.int64), None
    else:
        vlen = np.fromiter(map(len, values), np.int64, n)
        vbytes = np.frombuffer(b"".join(values), _U8)
    r.var(np.stack([klen, vlen], 1).astype(">i4").view(_U8).reshape(n, 8))
    r.slices(np.frombuffer(b"".join(keys), _U8), np.cumsum(klen) - klen, klen)
    if vbytes is None:
        r.var(np.ascontiguousarray(values, INFO).view(_U8).reshape(n, INFO.itemsize))
    else:
        r.slices(vbytes, np.cumsum(vlen) - vlen, vlen)
    buf, offsets = r.build()
    dbfile = tindex.dbfile
    starts = dbfile.tell() + offsets
    dbfile.write(buf.data)
    digests = b"".join([md5(k, usedforsecurity=False).digest() for k in keys])
    hashes = np.frombuffer(digests, ">u4").reshape(-1, 4)[:, 3].astype(np.int64)
    # Each bucket's entries in the order added (a stable sort by bucket).
    bucket = hashes & 255
    order = np.argsort(bucket.astype(np.uint16), kind="stable")
    cuts = np.searchsorted(bucket[order], np.arange(257))
    hs, ss = hashes[order].tolist(), starts[order].tolist()
    buckets = tindex.buckets
    for b in np.flatnonzero(np.diff(cuts)).tolist():
        lo, hi = int(cuts[b]), int(cuts[b + 1])
        buckets[b].extend(zip(hs[lo:hi], ss[lo:hi], strict=True))
    tindex.index.extend(starts.tolist())
    tindex.lastkey = keys[-1]


_SLOT = np.dtype([("hash", ">u4"), ("pos", ">i8")])  # a hash table's slot (Whoosh's "!Iq")


class TermsTable(OrderedHashWriter):
    """Whoosh's terms table, its 256 hash tables laid out in one array and written at once."""

    def _write_hashes(self):
        # As HashWriter._write_hashes: each entry in the first free slot from its hash's on
        # (linear probing, in the order added); an empty slot is (0, 0).
        base, at, hashes, positions = self.dbfile.tell(), [], [], []
        size = 0
        for entries in self.buckets:
            n = 2 * len(entries)
            self.directory.append((base + size * _SLOT.itemsize, n))
            taken = [False] * n
            for h, pos in entries:
                slot = (h >> 8) % n
                while taken[slot]:
                    slot = (slot + 1) % n
                taken[slot] = True
                at.append(size + slot)
                hashes.append(h)
                positions.append(pos)
            size += n
        table = np.zeros(size, _SLOT)
        table["hash"][at] = hashes
        table["pos"][at] = positions
        self.dbfile.write(table.tobytes())


class FieldWriter(W3FieldWriter):
    """Whoosh's W3 field writer with the terms table above."""

    def __init__(self, codec, storage, segment):
        super().__init__(codec, storage, segment)
        self._tindex.__class__ = TermsTable  # made (its header written) by Whoosh's __init__
