"""What a segment's writers stored, read back as numpy arrays: positions, lengths, signatures.

The writer (merges, sidecars, copy groups) and the engine both read these, so they live here,
before the engine in the data's path.
"""

import pickle

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.util.numeric import byte_to_length

from search.ingest import dedup

_BYTE_TO_LENGTH = np.array([byte_to_length(i) for i in range(256)], dtype=np.float32)


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
