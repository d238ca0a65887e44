"""PositionBoosts values of a segment's postings laid out with numpy, as Whoosh pickles them.

One buffer holds every posting's value, each framed as pickle's BINBYTES, so that a block's
values are one slice of it (search/ingest/w3postings.py, w3bulk.py, merge_terms.py).
"""

import numpy as np

from search.ingest.w3rows import place

_HEAD = np.dtype([("B", "u1"), ("size", "<u4"), ("count", ">u4"), ("sum", ">f4"), ("proto", "S5")])

_OP = np.dtype([("op", "u1"), ("v", "<u4")])  # an opcode and a 4-byte int (packed: 5 bytes)
_FLOAT = np.dtype([("G", "u1"), ("f", ">f8"), ("t", "u1")])  # BINFLOAT, then TUPLE2
_END = np.dtype([("op", "u1"), ("stop", "u1")])  # APPEND(S), STOP
_INT_OP = np.zeros(6, np.uint8)
_INT_OP[[2, 3, 5]] = [ord("K"), ord("M"), ord("J")]  # BININT1, BININT2, BININT by width

_CHUNK = 1 << 18  # positions laid out at a time (a million: ~100 MB of temporaries, no faster)


def values(pos, boosts, pstart, counts, sums) -> tuple[memoryview, np.ndarray]:
    """PositionBoosts values of all postings in one buffer, and each one's start (+ end).

    Each value is framed as pickle's BINBYTES (opcode, length), so that a block's values are
    one slice of the buffer.

    A value is count, summed boost, then pickle protocol 2 of [(delta, boost), ...] as Whoosh's
    PositionBoosts.encode writes it: each delta as BININT1, BININT2 or BININT (K, M, J), each
    boost as BINFLOAT, each pair memoised (BINPUT, or LONG_BINPUT past 255), so the engine's
    fast decoder and pickle read it alike.
    """
    n, m = len(pos), len(pstart)
    multi = counts > 1
    if not m:
        return memoryview(b""), np.zeros(1, np.int64)
    # header 8 + PROTO 2 + EMPTY_LIST + BINPUT 0 (5) + MARK if more than one; then entries;
    # then APPENDS or APPEND, and STOP.
    head = 5 + 13 + multi  # the pickle framing of a bytes object (BINBYTES, length) first
    chunks = []  # (first posting, end posting, first entry, end entry), whole postings each
    p0 = 0
    while p0 < m:
        p1 = int(np.searchsorted(pstart, pstart[p0] + _CHUNK, side="right"))
        p1 = max(p1, p0 + 1)
        chunks.append((p0, p1, int(pstart[p0]), int(pstart[p1]) if p1 < m else n))
        p0 = p1
    # Each posting's entries' bytes: 14 each with a 1-byte int and memo, 1 or 3 more for a
    # 2- or 4-byte int, 3 more for each memo past the 255th.
    wide = np.zeros(n, np.int8)
    delta = _deltas(pos, pstart, 0, n, 0)
    wide += delta >= 256
    wide += 2 * (delta >= 65536)
    del delta
    ebytes = 14 * counts + np.add.reduceat(wide, pstart, dtype=np.int64)
    ebytes += 3 * np.maximum(counts - 255, 0)
    del wide
    size = head + ebytes + 2
    vstart = np.zeros(m + 1, np.int64)
    np.cumsum(size, out=vstart[1:])
    # Each entry goes in as fixed-width pieces, in an order where every piece's spare bytes
    # are covered by a later one: the memo (5 bytes) first, then the int (5), then BINFLOAT
    # and TUPLE2 (10) over the int's spare bytes; the next entry's int covers the memo's, and
    # the values' headers and ends, written last, those of each posting's last memo.
    buf = np.zeros(int(vstart[-1]) + 3, np.uint8)
    for p0, p1, e0, e1 in chunks:  # the temporaries are ~60 bytes a position
        c, k = counts[p0:p1], e1 - e0
        d = _deltas(pos, pstart, e0, e1, p0)
        iw = 2 + (d >= 256).astype(np.int64) + 2 * (d >= 65536)  # with the opcode
        jj = np.arange(e0, e1, dtype=np.int64) - np.repeat(pstart[p0:p1], c)
        small = jj < 255
        # Each entry's start: its posting's values start, past the header, plus the entries
        # before it in the posting.
        at = iw + np.where(small, 12, 15)  # its size: int, BINFLOAT, TUPLE2, memo
        np.cumsum(at, out=at)
        at -= iw + np.where(small, 12, 15)
        at += np.repeat(vstart[p0:p1] + head[p0:p1] - at[pstart[p0:p1] - e0], c)
        piece = np.empty(k, _OP)
        piece["op"] = np.where(small, ord("q"), ord("r"))
        piece["v"] = jj + 1
        del jj, small
        place(buf, at + iw + 10, piece)
        piece["op"] = _INT_OP[iw]
        piece["v"] = d
        del d
        place(buf, at, piece)
        del piece
        at += iw
        del iw
        piece = np.empty(k, _FLOAT)
        piece["G"], piece["f"], piece["t"] = ord("G"), boosts[e0:e1], 0x86
        place(buf, at, piece)
        del at, piece
    hd = np.zeros(m, _HEAD)
    hd["B"], hd["size"] = ord("B"), size - 5
    hd["count"], hd["sum"], hd["proto"] = counts, sums, b"\x80\x02]q\x00"
    place(buf, vstart[:-1], hd)
    buf[vstart[:-1][multi] + 18] = ord("(")
    ends = np.empty(m, _END)
    ends["op"], ends["stop"] = np.where(multi, ord("e"), ord("a")), ord(".")
    place(buf, vstart[1:] - 2, ends)
    buf = buf[:-3]
    return memoryview(buf), vstart  # sliced per block, never copied whole


def _deltas(pos, pstart, e0: int, e1: int, p0: int) -> np.ndarray:
    """Positions e0..e1 (postings from p0 on) as deltas, each posting's first as itself."""
    p = pos[e0:e1]
    delta = np.empty(e1 - e0, np.int64)
    delta[0] = p[0] if len(p) else 0
    np.subtract(p[1:], p[:-1], out=delta[1:])
    firsts = pstart[p0:np.searchsorted(pstart, e1)] - e0
    delta[firsts] = p[firsts]
    return delta
