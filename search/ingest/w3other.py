"""The postings of fields Whoosh analyses itself (ids, sources, dates, numbers) in a bulk segment.

Their terms mostly have a posting or a few each (an id, a signature, a number's tiers): those
are laid out together with numpy, as write_block writes a term of one small block (pickles
with their memo entries; no values: None for a format of fixed-size empty values), and
written in runs; the others go a block at a time, as before (write_term). The same bytes.
"""

from functools import partial

import numpy as np
from whoosh.analysis import IDTokenizer
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.fields import DATETIME, ID, NUMERIC
from whoosh.formats import Existence
from whoosh.system import pack_byte

from search.ingest.w3bulk import info_bytes
from search.ingest.w3postings import BLOCK, COMPRESS_OVER, pickled, write_block
from search.ingest.w3rows import INFO, U8, Rows, block_header, doubles, length_bytes, pints


def write_terms(post, terms: list[bytes], rows_of: dict, length, fmt, side, field) -> list[bytes]:
    """Write the postings of each term to post, in the terms' order (as Whoosh's writer);
    each one's term info as bytes.

    rows_of: term → its (document, weight, value bytes) rows; length(document): the document's
    length in the field; side: the sidecar's parts (given a field of positions)."""
    found, laid, at = _short(terms, rows_of, length, fmt)
    row = dict(zip(laid.tolist(), range(len(laid)), strict=True))  # term → its row in found
    infos: list = [None] * len(terms)
    i = 0
    while i < len(terms):
        r = row.get(i)
        if r is None:
            infos[i] = write_term(post, rows_of[terms[i]], length, fmt).to_bytes()
            i += 1
            continue
        k = 1  # a run of short terms: one slice of the laid-out bytes
        while i + k < len(terms) and row.get(i + k) == r + k:
            k += 1
        lo = int(found["offset"][r])
        hi = int(found["offset"][r + k - 1] + found["length"][r + k - 1])
        found["offset"][r:r + k] += post.tell() - lo
        post.write(at[lo:hi])
        infos[i:i + k] = info_bytes(found[r:r + k])
        i += k
    if side is not None:
        for t in terms:
            side.add_values(field, t.decode("utf-8"), rows_of[t])
    return infos


def _short(terms, rows_of, length, fmt) -> tuple:
    """The one-block terms small enough not to be deflated, laid out in a buffer as write_block
    writes them: (their INFO rows, their indexes into terms, the buffer)."""
    none = (np.zeros(0, INFO), np.zeros(0, np.int64), b"")
    if not terms or fmt.fixed_value_size() != 0:  # values all b"": pickled as None
        return none
    n = np.fromiter((len(rows_of[t]) for t in terms), np.int64, len(terms))
    first = np.cumsum(n) - n
    rows = [r for t in terms for r in rows_of[t]]
    docs = np.array([r[0] for r in rows], np.int64)
    w = np.array([float(r[1]) for r in rows], np.float64)
    lens = np.array([length(d) for d in docs.tolist()], np.int64)
    deltas = docs.copy()
    deltas[1:] -= docs[:-1]
    deltas[first] = docs[first]
    dmat, dlen = pints(deltas)
    wmax, wmin = np.maximum.reduceat(w, first), np.minimum.reduceat(w, first)
    uniform = wmin == wmax
    one = uniform & (wmax == 1.0)
    # data = PROTO 3, ids, weights, None, TUPLE3, STOP; a tuple of 4 or more has a MARK, each
    # is memoised (BINPUT 0)
    ids_len = np.add.reduceat(dlen, first) + 3 + (n > 3)
    w_len = np.where(one, 1, np.where(uniform, 9, 9 * n + 3 + (n > 3)))
    data_len = 2 + ids_len + w_len + 3
    ok = np.flatnonzero((n <= BLOCK) & (data_len <= COMPRESS_OVER))
    if not len(ok):
        return none
    m, on = len(ok), n[ok]
    # The postings of the chosen terms, by term.
    owner = np.repeat(np.arange(m), on)
    pidx = np.repeat(first[ok] - (np.cumsum(on) - on), on) + np.arange(int(on.sum()))
    ofirst = np.cumsum(on) - on
    lmin = np.minimum.reduceat(lens[pidx], ofirst)
    lmax = np.maximum.reduceat(lens[pidx], ofirst)
    last = docs[first[ok] + on - 1]
    close = np.array([0, 0x85, 0x86, 0x87, ord("t")], U8)[np.minimum(on, 4)].reshape(m, 1)
    mark = np.full((m, 1), ord("("), U8)
    many = (on > 3).astype(np.int64)
    body = Rows(m)
    # The header: (count, last id, max weight, compression 0, min and max length bytes)
    block_header(body, pints(on), pints(last), wmax[ok], np.zeros(m, U8), lmin, lmax)
    body.const(b"tq\x00.\x80\x03")
    body.var(mark, many)  # the delta ids
    body.items(owner, dmat[pidx], dlen[pidx])
    body.var(close)
    body.const(b"q\x00")
    ou, oo = uniform[ok], one[ok]
    wmat = np.zeros((m, 9), U8)  # the weights: None (all 1.0), one float, or a tuple
    wmat[:, 0] = np.where(oo, ord("N"), ord("G"))
    wmat[ou & ~oo, 1:] = doubles(wmax[ok][ou & ~oo])[:, 1:]
    body.var(wmat, np.where(oo, 1, np.where(ou, 9, 0)))
    body.var(mark, many * ~ou)
    body.items(owner, doubles(w[pidx]), np.where(~ou[owner], 9, 0))
    body.var(close, (~ou).astype(np.int64))
    body.var(np.frombuffer(b"q\x00", U8).reshape(1, 2).repeat(m, 0), 2 * (~ou))
    body.const(b"N\x87.")
    r = Rows(m)
    r.const(WHOOSH3_HEADER_MAGIC)
    r.var((-body.lengths).astype(">i4").view(U8).reshape(m, 4))
    r.extend(body)
    buf, offsets = r.build()
    info = np.zeros(m, INFO)
    info["weight"] = np.add.reduceat(w[pidx], ofirst)
    info["df"] = on
    info["minlen"], info["maxlen"] = length_bytes(lmin), length_bytes(lmax)
    info["maxweight"] = wmax[ok]
    info["minid"], info["maxid"] = docs[first[ok]], last
    info["offset"], info["length"] = offsets, r.lengths
    return info, ok, memoryview(buf.tobytes())


def write_term(post, rows: list, length, fmt) -> W3TermInfo:
    """One term's postings, a block at a time as W3PostingsWriter writes them; its term info."""
    info = W3TermInfo()
    start = post.tell()
    post.write(WHOOSH3_HEADER_MAGIC)
    size = fmt.fixed_value_size()
    for s in range(0, len(rows), BLOCK):
        chunk = rows[s:s + BLOCK]
        ids = [r[0] for r in chunk]
        lens = [length(d) for d in ids]
        values = tuple(r[2] for r in chunk)
        if size is not None:  # as W3PostingsWriter._mini_values
            values = None if size == 0 else b"".join(values)
        write_block(post, info, ids, [float(r[1]) for r in chunk], pickled(values),
                    min(lens), max(lens), last=s + BLOCK >= len(rows))
    info.set_extent(start, post.tell() - start)
    return info


def indexer(field):
    """field.index, or for an id or a number in tiers an equivalent that does not run Whoosh's
    analyzer for the id nor convert the number once per tier (the same terms, in order)."""
    if type(field.format) is not Existence:
        return field.index
    if type(field) is ID and type(field.analyzer) is IDTokenizer:
        return partial(_id, field)
    if type(field) in (NUMERIC, DATETIME) and field.shift_step:
        return partial(_tiers, field)
    return field.index


def _id(field, value) -> list:
    if not isinstance(value, str):
        return list(field.index(value))
    return [(value.encode("utf-8"), 1, field.format.field_boost, b"")]


def _tiers(field, value) -> list:
    if value is None or isinstance(value, (bytes, list, tuple)):
        return list(field.index(value))
    first = field.to_bytes(value)  # the value as a sortable number, unshifted
    x = field._struct.unpack(first[1:])[0]
    pack, step = field._struct.pack, field.shift_step
    return [(first, 1, 1.0, b"")] + [(pack_byte(s) + pack(x >> s), 1, 1.0, b"")
                                     for s in range(step, field.bits, step)]
