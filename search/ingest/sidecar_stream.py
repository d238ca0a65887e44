"""A merged segment's postings sidecar (search/engine/sidecar.py), streamed to temporary files.

A merge (search/ingest/merge_terms.py) hands over a batch of terms' postings at a time, in
order; their positions are decoded from the values, each field's document lengths counted from
them, and the columns written out, so memory holds one batch and the term table, never the
whole segment.
"""

import pickle
import tempfile

import numpy as np

from search import segfile
from search.ingest import codec
from search.ingest.readback import decode_positions

_COPY = 1 << 22


class StreamedSidecar:
    """The merged segment's sidecar columns, streamed to temporary files a chunk at a time."""

    def __init__(self, folder, exact: dict):
        self.files = {c: tempfile.TemporaryFile(dir=folder) for c in
                      ("ids", "weights", "positions", "starts")}
        self.terms: dict[tuple[str, str], tuple[int, int]] = {}
        self.exact, self.counted = exact, set()
        self.n = self.npos = 0  # postings and positions written

    def add_arrays(self, field, names, spans, ids, weights, blob, vstart) -> None:
        """Terms names of field with postings spans (a, b) of ids and weights; their values
        framed in blob at vstart (each after a 5-byte BINBYTES frame, as w3postings lays them)."""
        positions, starts = decode_positions(blob, vstart[:-1] + 5)
        counts = np.diff(starts)
        if field in self.exact:  # a field's length: its positions
            length = self.exact[field]
            length += np.bincount(ids, counts, len(length)).astype(np.int64)
            self.counted.add(field)
        for name, (a, b) in zip(names, spans.tolist(), strict=True):
            self.terms[field, name] = (self.n + a, self.n + b)
        self.files["ids"].write(np.asarray(ids, np.int32).tobytes())
        self.files["weights"].write(np.asarray(weights, np.float32).tobytes())
        self.files["positions"].write(positions.astype(np.int32).tobytes())
        self.files["starts"].write((starts[:-1] + self.npos).astype(np.int64).tobytes())
        self.n += len(ids)
        self.npos += int(starts[-1])

    def close(self) -> None:
        """Drop the temporary files (after a failed merge)."""
        for tmp in self.files.values():
            tmp.close()

    def write(self, f) -> None:
        """The sidecar file, laid out as segfile.write lays it out; close f."""
        self.files["starts"].write(np.array([self.npos], np.int64).tobytes())
        wide = self.npos >= 2**32
        dtypes = {"ids": np.dtype(np.int32), "weights": np.dtype(np.float32),
                  "positions": np.dtype(np.int32),
                  "starts": np.dtype(np.int64 if wide else np.uint32)}
        counts = {"ids": self.n, "weights": self.n, "positions": self.npos,
                  "starts": self.n + 1}
        layout, offset = {}, 0
        for name, dt in dtypes.items():
            layout[name] = (offset, dt.str, counts[name])
            offset += -(-counts[name] * dt.itemsize // 8) * 8
        header = pickle.dumps({"terms": self.terms, "layout": layout}, pickle.HIGHEST_PROTOCOL)
        magic = codec.MAGIC
        f.write(magic + segfile._HEADER.pack(len(header)) + header)
        f.write(b"\0" * (-(len(magic) + segfile._HEADER.size + len(header)) % 8))
        for name in dtypes:
            tmp = self.files[name]
            tmp.seek(0)
            written = 0
            while chunk := tmp.read(_COPY):
                if name == "starts" and not wide:
                    chunk = np.frombuffer(chunk, np.int64).astype(np.uint32).tobytes()
                f.write(chunk)
                written += len(chunk)
            f.write(b"\0" * (-written % 8))
            tmp.close()
        f.close()
