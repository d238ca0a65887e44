"""One Whoosh segment built in bulk: postings as numpy arrays, written through Whoosh's codec.

Whoosh's own writer spends Python time on every posting (a token object per word, a pickled
value, a pool tuple, a block append). Here a document's text fields become three arrays (term
id, position, boost) from a per-word cache; at the end one stable sort groups them into
postings, the positions values are laid out as bytes with numpy, and Whoosh's postings file is
written a block at a time. The sidecar arrays (search/engine/sidecar.py) come from the same
buffers. Fields this module does not recognise go through Whoosh's own field.index().
"""

import itertools
import re
import struct
import zlib
from array import array
from collections import defaultdict
from pickle import dumps

import numpy as np
from whoosh.analysis import CompositeAnalyzer
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3FieldWriter, W3TermInfo
from whoosh.formats import PositionBoosts
from whoosh.system import pack_ushort
from whoosh.util.numeric import length_to_byte

from search.analysis import LemmaFilter, WordTokenizer
from search.engine import sidecar
from search.morph import EXTRA_BOOST, lemmas
from search.text import MAX_WORD, WORD_RE, normalize

BLOCK = 128  # postings per block, as Whoosh's W3 codec writes them
COMPRESSION = 1  # zlib level of postings blocks (Whoosh's is 3: a third slower, 5 % smaller)
COMPRESS_OVER = 256  # bytes of block data below which zlib costs more than it saves
# One position in a value: pickle's BININT (J) delta, BINFLOAT (G) boost, TUPLE2, LONG_BINPUT.
_ENTRY = np.dtype([("J", "u1"), ("delta", "<i4"), ("G", "u1"), ("boost", ">f8"),
                   ("t2", "u1"), ("r", "u1"), ("memo", "<u4")])
_MARKS = re.compile(r"[\u0300-\u036f\u00ad]")
_PLAIN_WORD = re.compile(r"[^\W_]+(?:['’ʼ‘`´\-‐‑][^\W_]+)*")
_HEAD = np.dtype([("B", "u1"), ("size", "<u4"), ("count", ">u4"), ("sum", ">f4"), ("proto", "S5")])


def fast_language(fieldobj) -> str | None:
    """The language of a text field analysed by our WordTokenizer | LemmaFilter, else None."""
    ana = getattr(fieldobj, "analyzer", None)
    if not isinstance(fieldobj.format, PositionBoosts) or not isinstance(ana, CompositeAnalyzer):
        return None
    items = ana.items
    if len(items) == 2 and isinstance(items[0], WordTokenizer) and \
            isinstance(items[1], LemmaFilter):
        return items[1].lang
    return None


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


class SegmentBuilder:
    """Documents (field dicts) buffered as arrays, then written as one segment."""

    def __init__(self, schema, storage, codec, indexname):
        self.schema, self.storage, self.codec = schema, storage, codec
        self.segment = codec.new_segment(storage, indexname)
        self._perdoc = None  # opened with the first document: stored fields are streamed
        self._fw = None
        self.fast = {name: lang for name, f in schema.items() if (lang := fast_language(f))}
        self.docs = 0
        self.entries = 0  # positions buffered: the builder's memory is about 20 bytes each
        self._keys: dict[tuple[str, str], int] = {}
        self._words: dict[str, dict[str, tuple[int, ...]]] = defaultdict(dict)
        self._key, self._doc, self._pos, self._first = [], [], [], []
        self._lengths: dict[str, array] = defaultdict(lambda: array("I"))
        self._other: dict[tuple[str, bytes], list] = defaultdict(list)

    def _terms(self, field: str, lang: str, word: str) -> tuple[int, ...]:
        keys = self._keys
        out = []
        for term in lemmas(normalize(word), lang):
            k = keys.get((field, term))
            if k is None:
                k = keys[field, term] = len(keys)
            out.append(k)
        ids = tuple(out)
        self._words[field][word] = ids
        return ids

    def _analyse(self, field: str, lang: str, value: str, docnum: int) -> int:
        # Without combining marks or soft hyphens (nearly always) a simpler pattern finds
        # the same words, faster.
        rx = WORD_RE if _MARKS.search(value) else _PLAIN_WORD
        words = [w for w in rx.findall(value) if len(w) <= MAX_WORD]
        if not words:
            return 0
        cache = self._words[field]
        seqs = [cache.get(w) or self._terms(field, lang, w) for w in words]
        counts = np.fromiter(map(len, seqs), np.int32, len(seqs))
        keys = np.fromiter(itertools.chain.from_iterable(seqs), np.int32, int(counts.sum()))
        first = np.zeros(len(keys), bool)
        first[np.cumsum(counts) - counts] = True
        self._key.append(keys)
        self._pos.append(np.repeat(np.arange(len(words), dtype=np.int32), counts))
        self._first.append(first)
        self._doc.append(np.full(len(keys), docnum, np.int32))
        self.entries += len(keys)
        return len(keys)

    def add(self, fields: dict) -> None:
        """Buffer one document, given as Whoosh field values (as document_fields makes)."""
        schema, docnum = self.schema, self.docs
        names = sorted(n for n in fields if not n.startswith("_"))
        unknown = [n for n in names if n not in schema]
        if unknown:
            raise ValueError(f"no field named {unknown[0]!r} in the schema")
        stored, lengths, columns = {}, {}, {}
        for name in names:
            value = fields[name]
            if value is None:
                continue
            field = schema[name]
            length = 0
            if field.indexed:
                lang = self.fast.get(name)
                if lang is not None and isinstance(value, str):
                    length = self._analyse(name, lang, value, docnum)
                else:
                    for tbytes, freq, weight, vbytes in field.index(value):
                        if field.scorable:
                            length += freq
                        self._other[name, tbytes].append((docnum, weight, vbytes))
            if field.stored:
                stored[name] = value
            if length:
                lengths[name] = length
            if field.column_type:
                columns[name] = field.to_column_value(value)
        for name, length in lengths.items():
            col = self._lengths[name]
            col.extend([0] * (docnum - len(col)))
            col.append(length)
        if self._perdoc is None:
            self._perdoc = self.codec.per_document_writer(self.storage, self.segment)
        perdoc = self._perdoc
        perdoc.start_doc(docnum)
        for name in sorted(stored.keys() | lengths.keys() | columns.keys()):
            perdoc.add_field(name, schema[name], stored.get(name), lengths.get(name, 0))
            if name in columns:
                perdoc.add_column_value(name, schema[name].column_type, columns[name])
        perdoc.finish_doc()
        self.docs += 1

    def _length(self, field: str, docnum: int) -> int:
        col = self._lengths.get(field)
        return col[docnum] if col is not None and docnum < len(col) else 0

    def write(self):
        """Write the buffered documents' postings and close the segment; return it."""
        storage, segment, schema = self.storage, self.segment, self.schema
        self._perdoc.close()
        fw = self._fw = W3FieldWriter(self.codec, storage, segment)
        postings = self._postings()
        side = _SidecarParts()
        boosts = np.array([schema[f].format.field_boost for f in postings.field_names])
        keep = {f for f in postings.field_names if isinstance(schema[f].format, PositionBoosts)}
        side.add_all(postings, boosts[postings.field_idx] if len(boosts) else boosts, keep)
        by_field = defaultdict(list)
        for (field, term), span in postings.terms.items():
            by_field[field].append((term.encode("utf-8"), span))
        for field, tbytes in self._other:
            by_field[field].append((tbytes, None))
        for field in sorted(by_field):
            fieldobj = schema[field]
            fw.start_field(field, fieldobj)
            keep = isinstance(fieldobj.format, PositionBoosts)
            window = _Window(postings, fieldobj.format.field_boost)
            out = bytearray()  # the field's postings, written a few MB at a time
            base = fw._postfile.tell()
            prefix = pack_ushort(fw._fieldid)
            add_term = fw._tindex.add
            terms = by_field[field]
            if any(span is None for _, span in terms):  # else already in order
                terms.sort(key=lambda t: t[0])
            for tbytes, span in terms:
                if span is not None:
                    a, b = span
                    info = _text_term(out, base, window, postings.blob, a, b)
                    if len(out) > 2**23:
                        fw._postfile.write(bytes(out))
                        out = bytearray()
                        base = fw._postfile.tell()
                else:
                    fw._postfile.write(bytes(out))
                    out = bytearray()
                    info = self._write_other(fw, field, tbytes, keep, side).to_bytes()
                    base = fw._postfile.tell()
                add_term(prefix + tbytes, info)
            fw._postfile.write(bytes(out))
            fw.finish_field()
        fw.close()
        side.write(segment.create_file(storage, sidecar.EXT))
        segment.set_doc_count(self.docs)
        self._other.clear()
        # One file per segment, as Whoosh's writer leaves it (read through one mapping).
        segment.create_compound_file(storage)
        return segment

    def discard(self) -> None:
        """Close and delete whatever this builder has written (after a failure, say)."""
        files = []
        if self._perdoc is not None:
            cols = getattr(self._perdoc, "_cols", None)
            files.append(getattr(cols, "_temp", None))
            if cols is not None and getattr(cols, "_temp", None) is not None:
                try:
                    cols._tempstorage.delete_file(cols._tempname)
                except OSError:
                    pass
        fw = getattr(self, "_fw", None)
        if fw is not None:
            files += [fw._postfile, getattr(fw._tindex, "dbfile", None)]
        for f in files:
            try:
                if f is not None:
                    f.close()
            except (OSError, ValueError):  # a full disk fails the flush: the file is closed
                pass
        for name in list(self.storage):
            if name.startswith(self.segment.segment_id()):
                try:
                    self.storage.delete_file(name)
                except OSError:
                    pass

    def _postings(self) -> "_Postings":
        """The buffered positions grouped into postings, ordered by term, document, position."""
        keys = np.concatenate(self._key) if self._key else np.zeros(0, np.int32)
        docs = np.concatenate(self._doc) if self._doc else np.zeros(0, np.int32)
        pos = np.concatenate(self._pos) if self._pos else np.zeros(0, np.int32)
        first = np.concatenate(self._first) if self._first else np.zeros(0, bool)
        self._key, self._doc, self._pos, self._first = [], [], [], []
        names = list(self._keys)
        order = sorted(range(len(names)), key=lambda i: (names[i][0], names[i][1]))
        rank = np.empty(len(names), np.int32)
        rank[order] = np.arange(len(names), dtype=np.int32)
        # Entries were buffered in (document, position) order: a stable sort by term keeps it.
        rk = rank[keys]
        idx = np.argsort(rk, kind="stable")
        rk, docs, pos, first = rk[idx], docs[idx], pos[idx], first[idx]
        del idx, keys
        return _Postings(rk, docs, pos, first, [names[i] for i in order], self)

    def _write_other(self, fw, field, tbytes, keep, side) -> W3TermInfo:
        """A term of a field analysed by Whoosh itself (ids, dates, numbers): its term info."""
        rows = self._other[field, tbytes]
        info = W3TermInfo()
        post = fw._postfile
        start = post.tell()
        post.write(WHOOSH3_HEADER_MAGIC)
        size = fw._format.fixed_value_size()
        for s in range(0, len(rows), BLOCK):
            chunk = rows[s:s + BLOCK]
            ids = [r[0] for r in chunk]
            lens = [self._length(field, d) for d in ids]
            values = tuple(r[2] for r in chunk)
            if size is not None:  # as W3PostingsWriter._mini_values
                values = None if size == 0 else b"".join(values)
            _write_block(post, info, ids, [float(r[1]) for r in chunk], _body(values),
                         min(lens), max(lens), last=s + BLOCK >= len(rows))
        info.set_extent(start, post.tell() - start)
        if keep:
            side.add_values(field, tbytes.decode("utf-8"), rows)
        return info


_TERMINFO = struct.Struct("!BfIBBfIIqi")  # W3TermInfo.to_bytes of a term not inlined
_BLOCKLEN = struct.Struct("!i")


class _Window:
    """Postings' documents, lengths, weights and value starts as Python lists, a window of
    them at a time (sliced per block far faster than arrays; all at once is ~100 B each)."""

    SIZE = 200_000

    def __init__(self, postings, boost: float):
        self.p, self.boost, self.lo, self.hi = postings, boost, 0, 0

    def get(self, a: int, b: int):
        """(documents, lengths, value starts, weights, offset) covering postings a..b."""
        if not (self.lo <= a and b <= self.hi):
            p = self.p
            self.lo, self.hi = a, min(max(b, a + self.SIZE), len(p.doc))
            lo, hi = self.lo, self.hi
            self.lists = (p.doc[lo:hi].tolist(), p.lengths[lo:hi].tolist(),
                          p.vstart[lo:hi + 1].tolist(),
                          (p.sums[lo:hi] * self.boost).astype(np.float32).tolist())
        return (*self.lists, self.lo)


def _text_term(out: bytearray, base: int, window: _Window, blob, a: int, b: int) -> bytes:
    """Append one term's postings a..b as W3 blocks to out (at file offset base); its info."""
    docs, lens, vstart, weights, lo = window.get(a, b)
    a, b = a - lo, b - lo
    start = base + len(out)
    out += WHOOSH3_HEADER_MAGIC
    total, maxw, minlen, maxlen = 0.0, 0.0, None, 0
    for s in range(a, b, BLOCK):
        e = min(s + BLOCK, b)
        ids, ws, ls = docs[s:e], weights[s:e], lens[s:e]
        bmin, bmax, bw = min(ls), max(ls), max(ws)
        total += sum(ws)
        maxw = max(maxw, bw)
        minlen = bmin if minlen is None else min(minlen, bmin)
        maxlen = max(maxlen, bmax)
        if e - s == 1:  # most terms of a segment: pickled by hand, the same opcodes
            pdeltas = _pint(ids[0]) + b"\x85"
        else:
            pdeltas = _body(tuple([ids[0]] + [y - x for x, y in zip(ids, ids[1:],
                                                                     strict=False)]))
        w0 = ws[0]
        if all(w == w0 for w in ws):
            pweights = b"N" if w0 == 1.0 else b"G" + _DOUBLE.pack(w0)
        else:
            pweights = _body(tuple(ws))
        # The values are laid out in the buffer already framed as pickled bytes.
        data = (b"\x80\x03" + pdeltas + pweights + b"(" + blob[vstart[s]:vstart[e]] +
                b"t\x87.")
        comp = COMPRESSION if len(data) > COMPRESS_OVER else 0
        if comp:
            data = zlib.compress(data, comp)
        head = (b"\x80\x02(" + _pint(e - s) + _pint(ids[-1]) + b"G" + _DOUBLE.pack(bw) +
                _pint(comp) + _pint(length_to_byte(bmin)) + _pint(length_to_byte(bmax)) + b"t.")
        n = len(head) + len(data)
        out += _BLOCKLEN.pack(-n if e == b else n)
        out += head
        out += data
    return _TERMINFO.pack(False, total, b - a, length_to_byte(minlen), length_to_byte(maxlen),
                          maxw, docs[a], docs[b - 1], start, base + len(out) - start)


_DOUBLE = struct.Struct(">d")
_SHORT = struct.Struct("<H")
_INT = struct.Struct("<i")


def _pint(n: int) -> bytes:
    """A non-negative int below 2**31 as pickle writes it (BININT1, BININT2 or BININT)."""
    if n < 256:
        return b"K" + bytes((n,))
    if n < 65536:
        return b"M" + _SHORT.pack(n)
    return b"J" + _INT.pack(n)


def _body(obj) -> bytes:
    """obj pickled (protocol 3) without PROTO and STOP, to be spliced into a larger pickle.

    Parts pickled apart may reuse memo numbers; harmless, as nothing in them refers back.
    """
    return dumps(obj, 3)[2:-1]


def _write_block(post, info, ids, weights, values: bytes, minlen, maxlen, last):
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
    data = b"\x80\x03" + _body(tuple(deltas)) + _body(mini_w) + values + b"\x87."
    comp = COMPRESSION if len(data) > COMPRESS_OVER else 0
    if comp:
        data = zlib.compress(data, comp)
    head = dumps((len(ids), ids[-1], blk._maxw, comp, length_to_byte(minlen),
                  length_to_byte(maxlen)), 2)
    n = len(head) + len(data)
    post.write_int(-n if last else n)
    post.write(head)
    post.write(data)


class _Postings:
    """A segment's text postings as arrays: one row per (term, document)."""

    def __init__(self, rk, docs, pos, first, names, builder):
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
        self.terms = {names[prk[a]]: (int(a), int(b))
                      for a, b in zip(tstart.tolist(), tend.tolist(), strict=False)}
        # Each posting's document length in its field, for the blocks' length statistics.
        self.lengths = np.zeros(len(pstart), np.int32)
        field_names = sorted({name[0] for name in names})
        field_of = np.array([field_names.index(name[0]) for name in names], np.int32)
        fields = field_of[prk] if len(prk) else np.zeros(0, np.int32)
        self.field_names, self.field_idx = field_names, fields
        for i, field in enumerate(field_names):
            col = np.frombuffer(builder._lengths[field], np.uint32).astype(np.int64)
            sel = fields == i
            d = self.doc[sel]
            if len(col):
                self.lengths[sel] = np.where(d < len(col), col[np.minimum(d, len(col) - 1)], 0)
        self.blob, self.vstart = _values(pos, boosts, pstart, counts, self.sums)


_CHUNK = 1_000_000  # positions laid out at a time


def _values(pos, boosts, pstart, counts, sums) -> tuple[memoryview, np.ndarray]:
    """PositionBoosts values of all postings in one buffer, and each one's start (+ end).

    Each value is framed as pickle's BINBYTES (opcode, length), so that a block's values are
    one slice of the buffer.

    A value is count, summed boost, then pickle protocol 2 of [(delta, boost), ...] as Whoosh's
    PositionBoosts.encode writes it (memo numbers included, so the engine's fast decoder and
    pickle read it alike).
    """
    n, m = len(pos), len(pstart)
    multi = counts > 1
    # header 8 + PROTO 2 + EMPTY_LIST + BINPUT 0 (5) + MARK if more than one; then entries;
    # then APPENDS or APPEND, and STOP.
    head = 5 + 13 + multi  # the pickle framing of a bytes object (BINBYTES, length) first
    size = head + counts * _ENTRY.itemsize + 2
    vstart = np.zeros(m + 1, np.int64)
    np.cumsum(size, out=vstart[1:])
    buf = np.zeros(int(vstart[-1]), np.uint8)
    if not m:
        return memoryview(b""), vstart
    hd = np.zeros(m, _HEAD)
    hd["B"], hd["size"] = ord("B"), size - 5
    hd["count"], hd["sum"], hd["proto"] = counts, sums, b"\x80\x02]q\x00"
    hbytes = hd.view(np.uint8).reshape(m, 18)
    for k in range(18):
        buf[vstart[:-1] + k] = hbytes[:, k]
    buf[vstart[:-1][multi] + 18] = ord("(")
    # The positions, a chunk of postings at a time: the temporaries are ~60 bytes a position.
    p0 = 0
    while p0 < m:
        p1 = int(np.searchsorted(pstart, pstart[p0] + _CHUNK, side="right"))
        p1 = max(p1, p0 + 1)
        e0, e1 = int(pstart[p0]), int(pstart[p1]) if p1 < m else n
        c = counts[p0:p1]
        post_of = np.repeat(np.arange(p0, p1), c)
        j = np.arange(e0, e1) - np.repeat(pstart[p0:p1], c)  # index within the posting
        p = pos[e0:e1].astype(np.int64)
        delta = p.copy()
        delta[1:] -= p[:-1]
        delta[j == 0] = p[j == 0]
        ent = np.zeros(e1 - e0, _ENTRY)
        ent["J"], ent["delta"], ent["G"], ent["boost"] = ord("J"), delta, ord("G"), \
            boosts[e0:e1]
        ent["t2"], ent["r"], ent["memo"] = 0x86, ord("r"), j + 1
        eb = ent.view(np.uint8).reshape(e1 - e0, _ENTRY.itemsize)
        where = vstart[:-1][post_of] + head[post_of] + j * _ENTRY.itemsize
        for k in range(_ENTRY.itemsize):
            buf[where + k] = eb[:, k]
        del ent, eb, where, post_of, j, p, delta
        p0 = p1
    tail = vstart[1:] - 2
    buf[tail] = np.where(multi, ord("e"), ord("a"))
    buf[tail + 1] = ord(".")
    return memoryview(buf), vstart  # sliced per block, never copied whole


class _SidecarParts:
    """The sidecar's columns, gathered term by term in the order the postings are written."""

    def __init__(self):
        self.terms, self.parts, self.n = {}, [], 0

    def add_all(self, p: _Postings, boosts: np.ndarray, fields: set) -> None:
        """Every bulk-built posting of the given fields (the postings' own order)."""
        for (field, term), (a, b) in p.terms.items():
            if field in fields:
                self.terms[field, term] = (self.n + a, self.n + b)
        m = len(p.doc)
        self.parts.append((p.doc, p.sums * boosts, p.positions, p.pstart[:-1],
                           int(p.pstart[-1]) if m else 0))
        self.n += m

    def add_values(self, field, term, rows) -> None:
        from search.engine.arrays import decode_positions

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
        sidecar._write(f, self.terms, columns)
