"""PositionBoosts values of a segment's postings laid out with numpy, as Whoosh pickles them.

One buffer holds every posting's value, each framed as pickle's BINBYTES, so that a block's
values are one slice of it (search/ingest/w3postings.py, w3bulk.py, merge_terms.py).
"""

import numpy as np

_HEAD = np.dtype([("B", "u1"), ("size", "<u4"), ("count", ">u4"), ("sum", ">f4"), ("proto", "S5")])

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
    for p0, p1, e0, e1 in chunks:  # the temporaries are ~100 bytes a position
        c, k = counts[p0:p1], e1 - e0
        d = _deltas(pos, pstart, e0, e1, p0)
        iw = 2 + (d >= 256).astype(np.int64) + 2 * (d >= 65536)  # with the opcode
        jj = np.arange(e0, e1, dtype=np.int64) - np.repeat(pstart[p0:p1], c)
        esize = iw + 10 + np.where(jj < 255, 2, 5)  # int, BINFLOAT, TUPLE2, memo
        post_of = np.repeat(np.arange(p0, p1), c)
        # Each entry's start: its posting's values start, past the header, plus the entries
        # before it in the posting.
        ecum = np.cumsum(esize) - esize
        at = vstart[:-1][post_of] + head[post_of] + ecum - np.repeat(ecum[pstart[p0:p1] - e0], c)
        del post_of, ecum, esize
        piece = np.empty((k, 5), np.uint8)
        piece[:, 0] = np.where(jj < 255, ord("q"), ord("r"))
        piece[:, 1:] = (jj + 1).astype("<u4").view(np.uint8).reshape(k, 4)
        _put(buf, at + iw + 10, piece)
        piece[:, 0] = np.where(iw == 2, ord("K"), np.where(iw == 3, ord("M"), ord("J")))
        piece[:, 1:] = d.astype("<u4").view(np.uint8).reshape(k, 4)
        _put(buf, at, piece)
        piece = np.empty((k, 10), np.uint8)
        piece[:, 0], piece[:, 9] = ord("G"), 0x86
        piece[:, 1:9] = boosts[e0:e1].astype(">f8").view(np.uint8).reshape(k, 8)
        _put(buf, at + iw, piece)
        del at, piece, d, iw, jj
    hd = np.zeros(m, _HEAD)
    hd["B"], hd["size"] = ord("B"), size - 5
    hd["count"], hd["sum"], hd["proto"] = counts, sums, b"\x80\x02]q\x00"
    _put(buf, vstart[:-1], hd.view(np.uint8).reshape(m, 18))
    buf[vstart[:-1][multi] + 18] = ord("(")
    ends = np.empty((m, 2), np.uint8)
    ends[:, 0], ends[:, 1] = np.where(multi, ord("e"), ord("a")), ord(".")
    _put(buf, vstart[1:] - 2, ends)
    buf = buf[:-3]
    return memoryview(buf), vstart  # sliced per block, never copied whole


def _put(buf: np.ndarray, at: np.ndarray, rows: np.ndarray) -> None:
    """buf[at[i] + j] = rows[i, j] for every row i and column j (a few MB of indexes at once)."""
    width = rows.shape[1]
    step = (1 << 18) // width + 1
    cols = np.arange(width)
    for s in range(0, len(at), step):
        buf[(at[s:s + step, None] + cols).ravel()] = rows[s:s + step].ravel()


def _deltas(pos, pstart, e0: int, e1: int, p0: int) -> np.ndarray:
    """Positions e0..e1 (postings from p0 on) as deltas, each posting's first as itself."""
    p = pos[e0:e1]
    delta = np.empty(e1 - e0, np.int64)
    delta[0] = p[0] if len(p) else 0
    np.subtract(p[1:], p[:-1], out=delta[1:])
    firsts = pstart[p0:np.searchsorted(pstart, e1)] - e0
    delta[firsts] = p[firsts]
    return delta
