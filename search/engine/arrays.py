"""A Whoosh segment's postings, field lengths and columns as numpy arrays, in a bounded cache."""

import io
import pickle
import struct
import threading
import zlib
from collections import OrderedDict

import numpy as np
from whoosh.reading import TermNotFound

from search.ingest.readback import decode_values

CACHE_BYTES = 256 * 2**20  # arrays kept per process (postings, lengths, columns)
MAX_SIDECARS = 64  # segments' mapped postings files kept open
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
