"""A merge's postings of text fields, a batch of terms at a time: blocks decoded into arrays.

For each batch of consecutive terms of one field, every source's blocks of those terms are read
(one zlib + one pickle per block, as before), but ids, weights and values are gathered into one
list each for the whole batch and then renumbered, filtered and re-laid with numpy: the values
are framed as the bulk writer frames them (w3values.values) and the blocks written by the
bulk writer's own code (w3bulk.write_terms), so no Python runs per posting. Also the sources'
terms in order and one term's postings as lists (the merge's other fields, merge.py).
"""

import io
import pickle
import struct
from itertools import accumulate

import numpy as np
from isal import isal_zlib
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo

from search.ingest.w3bulk import add_rows, write_terms

BATCH = 100_000  # postings decoded at a time (their values are ~100 bytes each)
_INT = struct.Struct("!i")


class Merged:
    """A batch's postings, renumbered: what w3bulk.write_terms reads of a Postings."""

    def __init__(self, doc, weights, lengths, blob, vstart):
        self.doc, self.sums, self.lengths = doc, weights, lengths
        self.blob, self.vstart = memoryview(blob), vstart
        self.blob_u8 = blob

    def weighted(self, lo: int, hi: int, boost: float) -> np.ndarray:
        """The postings' weights (the sources' own: their field boost is in them already)."""
        return self.sums[lo:hi]


def blocks(postfile, info):
    """A term's postings blocks as Whoosh wrote them: (count, id deltas, weights, values) each."""
    offset, length = info.extent()
    if isinstance(length, tuple):  # W3TermInfo.from_bytes leaves it as struct gives it
        (length,) = length
    raw = postfile.get(offset, length)
    if raw[:4] != WHOOSH3_HEADER_MAGIC:
        raise ValueError("postings do not start with Whoosh's block tag")
    pos, last = 4, False
    while not last:
        (n,) = _INT.unpack_from(raw, pos)
        last, n = n < 0, abs(n)
        block = io.BytesIO(raw[pos + 4:pos + 4 + n])
        count, _, _, compression, _, _ = pickle.load(block)  # noqa: S301 (our own index)
        data = block.read()
        yield (count, *pickle.loads(isal_zlib.decompress(data) if compression else data))  # noqa: S301
        pos += 4 + n


def source_terms(index: int, reader):
    """((field, term bytes), index, term info bytes) of a segment's terms, in order."""
    tindex = reader._terms._tindex
    unmap = reader._terms._fieldunmap
    for key, value in tindex.items():
        yield (unmap[(key[0] << 8) | key[1]], key[2:]), index, value


def read_term(postfile, info, size):
    """(documents, weights, values) lists of one term in one segment."""
    if info.is_inlined():
        ids, weights, values = info.inlined_postings()
        values = [None] * len(ids) if size == 0 else list(values)
        return list(ids), [float(w) for w in weights], values
    ids, weights, values = [], [], []
    for count, deltas, w, v in blocks(postfile, info):
        ids.extend(accumulate(deltas))  # each block's first id is whole, then deltas
        weights.extend([1.0] * count if w is None else [w] * count if isinstance(w, float)
                       else w)
        if size is None or size < 0:
            values.extend(v)
        elif size == 0:
            values.extend([None] * count)
        else:
            values.extend(v[i:i + size] for i in range(0, len(v), size))
    return ids, weights, values


class Batch:
    """Consecutive terms of one field, with each source's postings of them."""

    def __init__(self, postfiles, docmap: np.ndarray, offsets: np.ndarray):
        self.postfiles, self.docmap, self.offsets = postfiles, docmap, offsets
        self.clear()

    def clear(self) -> None:
        self.names, self.parts = [], []  # term bytes; parts (sources) of each term
        self.src, self.sizes = [], []  # per part: its source and number of postings
        self.deltas, self.counts, self.weights, self.values = [], [], [], []
        self.n = 0

    def add(self, tbytes: bytes, parts) -> None:
        """A term and its (source index, term info bytes) in each source that has it."""
        for i, value in parts:
            n = self._read(self.postfiles[i], W3TermInfo.from_bytes(value))
            self.src.append(i)
            self.sizes.append(n)
            self.n += n
        self.names.append(tbytes)
        self.parts.append(len(parts))

    def _read(self, postfile, info) -> int:
        if info.is_inlined():
            ids, weights, values = info.inlined_postings()
            ids = list(ids)
            self.deltas += [ids[0]] + [b - a for a, b in zip(ids, ids[1:], strict=False)]
            self.counts.append(len(ids))
            self.weights += [float(w) for w in weights]
            self.values += list(values)
            return len(ids)
        total = 0
        for count, deltas, w, v in blocks(postfile, info):
            self.deltas += deltas  # each block's first id is whole, then deltas
            self.counts.append(count)
            if w is None:
                self.weights += [1.0] * count
            elif isinstance(w, float):
                self.weights += [w] * count
            else:
                self.weights += w
            self.values += v
            total += count
        return total

    def write(self, fw, prefix: bytes, lengths, side, field: str | None) -> None:
        """Write the batch's terms (renumbered, deleted documents dropped); side gets those of
        field (None: not kept in the sidecar). lengths: each new document's length, or None."""
        if not self.names:
            return
        d = np.array(self.deltas, np.int64)
        counts = np.array(self.counts, np.int64)
        first = np.cumsum(counts) - counts
        cs = np.cumsum(d)
        ids = cs - np.repeat(cs[first] - d[first], counts)
        sizes = np.array(self.sizes, np.int64)
        part_src = np.repeat(np.array(self.src, np.int64), sizes)
        new = self.docmap[self.offsets[part_src] + ids]
        term_of = np.repeat(np.repeat(np.arange(len(self.names)), self.parts), sizes)
        keep = new >= 0
        vsizes = np.fromiter(map(len, self.values), np.int64, len(self.values))
        raw = np.frombuffer(b"".join(self.values), np.uint8)
        weights = np.array(self.weights, np.float64)
        if not keep.all():
            raw = raw[np.repeat(keep, vsizes)]
            new, term_of, vsizes, weights = new[keep], term_of[keep], vsizes[keep], weights[keep]
        per_term = np.bincount(term_of, minlength=len(self.names))
        live = np.flatnonzero(per_term)
        names = [self.names[i] for i in live.tolist()]
        ends = np.cumsum(per_term[live])
        spans = np.stack([ends - per_term[live], ends], 1)
        # Each value framed as pickle's BINBYTES, as the bulk writer's buffer holds them.
        m = len(new)
        starts = np.cumsum(vsizes) - vsizes
        frame = np.empty((m, 5), np.uint8)
        frame[:, 0] = ord("B")
        frame[:, 1:] = vsizes.astype("<u4").view(np.uint8).reshape(m, 4)
        blob = np.insert(raw, np.repeat(starts, 5), frame.ravel())
        vstart = np.append(starts + 5 * np.arange(m), len(blob)).astype(np.int64)
        doc = new.astype(np.int32)
        lens = lengths[doc] if lengths is not None else np.zeros(m, np.int64)
        p = Merged(doc, weights, lens, blob, vstart)
        infos = write_terms(fw._postfile, p, 1.0, spans)
        add_rows(fw._tindex, [prefix + t for t in names], infos)
        if field is not None:
            side.add_arrays(field, [t.decode("utf-8") for t in names], spans, doc,
                            weights.astype(np.float32), blob, vstart)
        self.clear()
