"""A Whoosh segment's postings, field lengths and columns as numpy arrays, in a bounded cache."""

import io
import pickle
import struct
import threading
import zlib
from collections import OrderedDict

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from search.ingest import dedup

CACHE_BYTES = 256 * 2**20  # arrays kept per process (postings, lengths, columns)
MAX_SIDECARS = 64  # segments' mapped postings files kept open
_BYTE_TO_LENGTH = np.array([byte_to_length(i) for i in range(256)], dtype=np.float32)
_INT = struct.Struct("!i")
_MAGIC_SIZE = 4
NO_DATE = np.iinfo(np.int64).max  # a document without a date (Whoosh stores 2**64 - 1)


class ArrayCache:
    """Arrays keyed by what they were read from; least recently used dropped past max_bytes.

    Whoosh segments never change once written (a merge writes a new one), so a key of segment
    id + field + term stays true across commits; only deletions change, and they are keyed by
    the segment's deletion count.
    """

    def __init__(self, max_bytes: int = CACHE_BYTES):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()  # a gunicorn thread worker may share the engine
        self.hits = self.misses = 0
        # Segments' sidecars (mapped files, not counted in bytes), recently used last.
        self._sidecars: OrderedDict = OrderedDict()

    def sidecar(self, segment_id: str, load):
        """A segment's sidecar (or None), opened once while it is among the recent ones."""
        with self._lock:
            if segment_id in self._sidecars:
                self._sidecars.move_to_end(segment_id)
                return self._sidecars[segment_id]
        value = load()
        with self._lock:
            self._sidecars[segment_id] = value
            while len(self._sidecars) > MAX_SIDECARS:
                self._sidecars.popitem(last=False)
        return value

    def get(self, key, load):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return value
        self.misses += 1
        value = load()
        size = sum(a.nbytes for a in value) if isinstance(value, tuple) else value.nbytes
        with self._lock:
            if key not in self._items:
                self._items[key] = value
                self.bytes += size
            while self.bytes > self.max_bytes and len(self._items) > 1:
                _, old = self._items.popitem(last=False)
                self.bytes -= sum(a.nbytes for a in old) if isinstance(old, tuple) else old.nbytes
        return value

    def clear(self):
        with self._lock:
            self._items.clear()
            self.bytes = 0


def _blocks(reader, field: str, term: str):
    """(ids, weights, values) of each W3 block of a term in one segment; nothing if absent.

    A block is a pickled info tuple, then a zlib'd pickle of (delta ids, weights, values).
    """
    try:
        info = reader._terms.term_info(field, term.encode("utf-8"))
    except TermNotFound:
        return
    if info.is_inlined():
        ids, weights, values = info.inlined_postings()
        yield np.asarray(ids, np.int64), np.asarray(weights, np.float32), values
        return
    offset, _ = info.extent()
    postfile = reader._terms._postfile
    pos, last = offset + _MAGIC_SIZE, False
    while not last:
        (length,) = _INT.unpack(postfile.get(pos, _INT.size))
        last = length < 0
        raw = io.BytesIO(postfile.get(pos + _INT.size, abs(length)))
        count, _, _, compression, _, _ = pickle.load(raw)  # noqa: S301 (our own index files)
        data = raw.read()
        ids, weights, values = pickle.loads(zlib.decompress(data) if compression else data)  # noqa: S301
        if weights is None:
            weights = np.ones(count, np.float32)
        elif isinstance(weights, float):
            weights = np.full(count, weights, np.float32)
        yield np.cumsum(np.asarray(ids, np.int64)), np.asarray(weights, np.float32), values
        pos += _INT.size + abs(length)


Postings = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
NO_POSTINGS = (np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(0, np.int32),
                np.zeros(1, np.int64))


def read_postings(reader, field: str, term: str) -> Postings:
    """(doc numbers, weights, positions, each posting's start in positions + end) of one term
    in one segment, read from Whoosh's blocks."""
    blocks = list(_blocks(reader, field, term))
    if not blocks:
        return NO_POSTINGS
    positions, starts = decode_values([v for b in blocks for v in b[2]])
    return (np.concatenate([b[0] for b in blocks]).astype(np.int32),
            np.concatenate([b[1] for b in blocks]), positions, starts)


def _byte(blob: np.ndarray, at: np.ndarray) -> np.ndarray:
    return blob[np.minimum(at, len(blob) - 1)].astype(np.int64)


def decode_values(values: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """(positions, each value's start + end) of many PositionBoosts values at once."""
    if not values:
        return np.zeros(0, np.int32), np.zeros(1, np.int64)
    sizes = np.fromiter(map(len, values), np.int64, count=len(values))
    vstart = np.concatenate([np.zeros(1, np.int64), np.cumsum(sizes)[:-1]])
    return decode_positions(np.frombuffer(b"".join(values), np.uint8), vstart)


def decode_positions(blob: np.ndarray, vstart: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(positions, each value's start + end) of the PositionBoosts values starting at vstart.

    A value is a count (uint32), a summed boost (float32), then pickle protocol 2 of
    [(position delta, boost), ...]: PROTO, EMPTY_LIST, BINPUT 0, MARK if more than one, then
    per pair an int (K: 1 byte, M: 2, J: 4), BINFLOAT (G + 8 bytes), TUPLE2, BINPUT (q or r).
    Every value advances one pair per round, all together; a value not laid out so is decoded
    by pickle instead.
    """
    if not len(vstart):
        return np.zeros(0, np.int32), np.zeros(1, np.int64)
    count = sum(_byte(blob, vstart + k) << (8 * (3 - k)) for k in range(4))
    starts = np.concatenate([np.zeros(1, np.int64), np.cumsum(count)])
    out = np.zeros(int(starts[-1]), np.int64)
    ok = (_byte(blob, vstart + 8) == 0x80) & (_byte(blob, vstart + 10) == ord("]"))
    cursor = vstart + 13 + (count > 1)  # past the header, PROTO 2, EMPTY_LIST, BINPUT 0, MARK
    total = np.zeros(len(vstart), np.int64)
    for j in range(int(count.max())):
        live = np.flatnonzero((count > j) & ok)
        if not len(live):
            break
        c = cursor[live]
        op = _byte(blob, c)
        width = np.select([op == ord("K"), op == ord("M"), op == ord("J")], [1, 2, 4], 0)
        delta = sum(np.where(width > k, _byte(blob, c + 1 + k) << (8 * k), 0) for k in range(4))
        c = c + 1 + width
        good = (width > 0) & (_byte(blob, c) == ord("G")) & (_byte(blob, c + 9) == 0x86)
        memo = _byte(blob, c + 10)
        good &= (memo == ord("q")) | (memo == ord("r"))
        ok[live[~good]] = False
        total[live] += delta
        out[starts[live] + j] = total[live]
        cursor[live] = c + 11 + np.where(memo == ord("q"), 1, 4)
    for i in np.flatnonzero(~ok).tolist():  # not the expected layout: let pickle read it
        end = vstart[i + 1] if i + 1 < len(vstart) else len(blob)
        codes = pickle.loads(blob[vstart[i] + 8:end].tobytes())  # noqa: S301 (our own index)
        out[starts[i]:starts[i + 1]] = np.cumsum([code[0] for code in codes])
    return out.astype(np.int32), starts


def read_lengths(reader, field: str) -> np.ndarray:
    """Every document's length of field in one segment, as Whoosh's scorer sees it (lossy byte)."""
    perdoc = reader._perdoc
    name = f"_{field}_len"
    if not perdoc.has_column(name):
        return np.zeros(reader.doc_count_all(), np.float32)
    codes = np.asarray(perdoc.column_reader(name, LENGTHS_COLUMN).load(), np.uint8)
    return _BYTE_TO_LENGTH[codes]


def read_dates(reader) -> np.ndarray:
    """Dates as Whoosh's int64 (100 ns ticks since year 1); NO_DATE where there is none."""
    raw = np.fromiter(reader.column_reader("date", translate=False), np.uint64,
                      count=reader.doc_count_all())
    out = raw.astype(np.int64)
    out[raw >= np.uint64(NO_DATE)] = NO_DATE
    return out


def read_codes(reader, field: str, vocabulary: dict[str, int]) -> np.ndarray:
    """A string column as small integer codes; vocabulary grows with values first seen."""
    if field not in reader.schema or not reader.schema[field].column_type:
        return np.zeros(reader.doc_count_all(), np.int32)
    values = reader.column_reader(field, translate=False)
    codes = [vocabulary.setdefault(v.decode("utf-8") if isinstance(v, bytes) else str(v),
                                   len(vocabulary)) for v in values]
    return np.asarray(codes, np.int32)


def read_periods(reader) -> np.ndarray:
    """Per document of a segment: 1 where its date is a year only, 2 a month only, else 0."""
    if "period" not in reader.schema:
        return np.zeros(reader.doc_count_all(), np.int8)
    code = {b"year": 1, b"month": 2}
    return np.fromiter((code.get(v, 0) for v in reader.column_reader("period")), np.int8,
                       count=reader.doc_count_all())


def read_near(reader) -> tuple[np.ndarray, np.ndarray]:
    """(MinHash values per document, True where it has them) of one segment."""
    if "near" not in reader.schema:
        return dedup.signatures([b""] * reader.doc_count_all())
    return dedup.signatures(list(reader.column_reader("near")))


def read_live(reader) -> np.ndarray:
    """True for each document of the segment that is not deleted."""
    live = np.ones(reader.doc_count_all(), bool)
    if reader.has_deletions():
        live[np.fromiter(reader._perdoc.deleted_docs(), np.int64)] = False
    return live
