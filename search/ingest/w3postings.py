"""Whoosh's W3 postings format written from arrays: the postings, blocks, sidecar columns.

What search/ingest/segment.py's builder hands over (postings ordered by term, document and
position) becomes Postings (their values laid out by w3values.py), written as the blocks
Whoosh's W3PostingsWriter would write by w3bulk.py and w3blocks.py, and the columns of the
sidecar (search/ingest/codec.py). write_block writes one block of other fields' terms;
stable_order groups the builder's positions by term.
"""

from pickle import dumps

import numpy as np
from isal import isal_zlib
from whoosh.util.numeric import length_to_byte

from search.ingest import codec
from search.ingest.w3values import values
from search.morph import EXTRA_BOOST

BLOCK = 128  # postings per block, as Whoosh's W3 codec writes them
# Blocks are deflated by ISA-L (zlib streams, which Whoosh inflates with zlib) at its fastest
# level: 0.4 CPU s less than zlib's level 1 on the 2k set, for 6 % more index bytes (ISA-L's
# level 1: 0.2 s less than zlib's, 2 % fewer bytes; bench/README.md, issue 16m).
LEVEL = 0
COMPRESS_OVER = 256  # bytes of block data below which deflating costs more than it saves


def deflate(data) -> bytes:
    """A block's data as one zlib stream."""
    return isal_zlib.compress(data, LEVEL)



class _Block:
    """Block statistics W3TermInfo.add_block asks for."""

    __slots__ = ("_weights", "_n", "_min_id", "_max_id", "_minlen", "_maxlen", "_maxw")

    def __len__(self):
        return self._n

    def min_id(self):
        return self._min_id

    def max_id(self):
        return self._max_id

    def min_length(self):
        return self._minlen

    def max_length(self):
        return self._maxlen

    def max_weight(self):
        return self._maxw


def pickled(obj) -> bytes:
    """obj pickled (protocol 3) without PROTO and STOP, to be spliced into a larger pickle.

    Parts pickled apart may reuse memo numbers; harmless, as nothing in them refers back.
    """
    return dumps(obj, 3)[2:-1]


def write_block(post, info, ids, weights, values: bytes, minlen, maxlen, last):
    """One W3 block as W3PostingsWriter writes it: (delta ids, weights, values) pickled.

    values is the values part already pickled. Tiny blocks are not compressed (zlib's set-up
    costs more than it saves there); the block's header says so, and Whoosh reads both.
    """
    blk = _Block()
    blk._weights, blk._n, blk._min_id, blk._max_id = weights, len(ids), ids[0], ids[-1]
    blk._minlen, blk._maxlen, blk._maxw = minlen, maxlen, max(weights)
    info.add_block(blk)
    deltas = [ids[0]] + [y - x for x, y in zip(ids, ids[1:], strict=False)]
    w0 = weights[0]
    mini_w = (None if all(w == 1.0 for w in weights) else w0 if all(w == w0 for w in weights)
              else tuple(weights))
    data = b"\x80\x03" + pickled(tuple(deltas)) + pickled(mini_w) + values + b"\x87."
    comp = int(len(data) > COMPRESS_OVER)
    if comp:
        data = deflate(data)
    head = dumps((len(ids), ids[-1], blk._maxw, comp, length_to_byte(minlen),
                  length_to_byte(maxlen)), 2)
    n = len(head) + len(data)
    post.write_int(-n if last else n)
    post.write(head)
    post.write(data)


def stable_order(keys: np.ndarray) -> np.ndarray:
    """np.argsort(keys, kind="stable") of non-negative int32 keys, in 16-bit passes: numpy sorts
    16-bit ints stably by radix, 7× faster than 32-bit ones (a segment has under 65,536 terms
    about always: one pass)."""
    if not len(keys) or keys.max() < 1 << 16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    low = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    return low[np.argsort((keys[low] >> 16).astype(np.uint16), kind="stable")]


class Postings:
    """A segment's text postings as arrays: one row per (term, document)."""

    def __init__(self, rk, docs, pos, first, names, ranges, builder):
        """rk: each position's term rank (into names, the (field, term) pairs, every one with
        postings); ranges: each field's (name, first, end) in names, in names' order."""
        n = len(rk)
        new = np.ones(n, bool)
        if n:
            new[1:] = (rk[1:] != rk[:-1]) | (docs[1:] != docs[:-1])
        pstart = np.flatnonzero(new)
        counts = np.diff(np.append(pstart, n))
        boosts = np.where(first, np.float32(1.0), np.float32(EXTRA_BOOST))
        sums = np.add.reduceat(boosts, pstart) if n else np.zeros(0)
        self.doc = docs[pstart]
        self.sums = sums.astype(np.float32)  # as Whoosh's "!f" packs it
        self.positions = pos
        self.pstart = np.append(pstart, n).astype(np.int64)
        prk = rk[pstart]
        tstart = np.flatnonzero(np.r_[True, prk[1:] != prk[:-1]]) if len(prk) else pstart
        tend = np.append(tstart[1:], len(prk))
        self.names, self.spans = names, np.stack([tstart, tend], 1).astype(np.int64)
        self.terms = dict(zip(names, zip(tstart.tolist(), tend.tolist(), strict=True),
                              strict=True))
        self.ranges = {f: (lo, hi) for f, lo, hi in ranges}
        # Each posting's document length in its field, for the blocks' length statistics.
        self.lengths = np.zeros(len(pstart), np.int32)
        field_names = [f for f, _, _ in ranges]
        field_of = np.repeat(np.arange(len(ranges), dtype=np.int32),
                             [hi - lo for _, lo, hi in ranges])
        fields = field_of[prk] if len(prk) else np.zeros(0, np.int32)
        self.field_names, self.field_idx = field_names, fields
        for i, field in enumerate(field_names):
            col = np.frombuffer(builder._lengths[field], np.uint32).astype(np.int64)
            sel = fields == i
            d = self.doc[sel]
            if len(col):
                self.lengths[sel] = np.where(d < len(col), col[np.minimum(d, len(col) - 1)], 0)
        self.blob, self.vstart = values(pos, boosts, pstart, counts, self.sums)

    def weighted(self, lo: int, hi: int, boost: float) -> np.ndarray:
        """Postings lo..hi's weights in a field of this boost, as Whoosh's "!f" packs them."""
        return (self.sums[lo:hi] * boost).astype(np.float32)


class SidecarParts:
    """The sidecar's columns, gathered term by term in the order the postings are written."""

    def __init__(self):
        self.terms, self.parts, self.n = {}, [], 0

    def add_all(self, p: Postings, boosts: np.ndarray, fields: set) -> None:
        """Every bulk-built posting of the given fields (the postings' own order)."""
        n = self.n
        if not n and fields.issuperset(p.field_names):  # as they are (the usual case)
            self.terms.update(p.terms)
        else:
            self.terms.update({k: (n + a, n + b) for k, (a, b) in p.terms.items()
                               if k[0] in fields})
        m = len(p.doc)
        self.parts.append((p.doc, p.sums * boosts, p.positions, p.pstart[:-1],
                           int(p.pstart[-1]) if m else 0))
        self.n += m

    def add_values(self, field, term, rows) -> None:
        from search.ingest.readback import decode_positions

        values = [r[2] for r in rows]
        sizes = np.array([len(v) for v in values], np.int64)
        vstart = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        positions, starts = decode_positions(np.frombuffer(b"".join(values), np.uint8), vstart)
        self.parts.append((np.array([r[0] for r in rows], np.int32),
                           np.array([r[1] for r in rows], np.float32), positions,
                           starts[:-1], int(starts[-1])))
        self.terms[field, term] = (self.n, self.n + len(rows))
        self.n += len(rows)

    def write(self, f) -> None:
        ids, weights, positions, starts, base = [], [], [], [], 0
        for i, w, pos, st, total in self.parts:
            ids.append(np.asarray(i, np.int32))
            weights.append(np.asarray(w, np.float32))
            positions.append(np.asarray(pos, np.int32))
            starts.append(np.asarray(st, np.int64) + base)
            base += int(total)
        starts.append(np.array([base], np.int64))
        cat = np.concatenate
        start_col = cat(starts)
        columns = {"ids": cat(ids) if ids else np.zeros(0, np.int32),
                   "weights": cat(weights) if weights else np.zeros(0, np.float32),
                   "positions": cat(positions) if positions else np.zeros(0, np.int32),
                   "starts": start_col.astype(np.uint32) if base < 2**32 else start_col}
        codec.write_arrays(f, self.terms, columns)


def close_quietly(*files) -> None:
    """Close each file that is not None nor closed; one that fails its flush is closed all the
    same."""
    for f in files:
        try:
            if f is not None and not getattr(f, "is_closed", False):  # Whoosh raises if closed
                f.close()
        except (OSError, ValueError):  # a full disk fails the flush: the file is closed
            pass
