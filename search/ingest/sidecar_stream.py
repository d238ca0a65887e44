"""A merged segment's postings sidecar (search/engine/sidecar.py), streamed to temporary files.

A merge (search/ingest/merge.py) hands over each term's postings in order; their positions are
decoded from the values in chunks, each field's document lengths counted from them, and the
columns written out, so memory holds one chunk and the term table, never the whole segment.
"""

import pickle
import tempfile

import numpy as np

from search import segfile
from search.engine import sidecar
from search.engine.arrays import decode_values

_CHUNK = 1 << 16  # postings decoded and written at a time
_COPY = 1 << 22


class StreamedSidecar:
    """The merged segment's sidecar columns, streamed to temporary files a chunk at a time."""

    def __init__(self, folder, exact: dict):
        self.files = {c: tempfile.TemporaryFile(dir=folder) for c in
                      ("ids", "weights", "positions", "starts")}
        self.terms: dict[tuple[str, str], tuple[int, int]] = {}
        self.exact, self.counted = exact, set()
        self.n = self.npos = 0  # postings and positions written
        self._ids, self._weights, self._values, self._fields = [], [], [], []

    def add(self, field, term, ids, weights, values) -> None:
        a = self.n + len(self._ids)
        self._ids += ids
        self._weights += weights
        self._values += values
        self._fields.append((field, len(ids)))
        self.terms[field, term] = (a, a + len(ids))
        if len(self._ids) >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self._ids:
            return
        positions, starts = decode_values(self._values)
        ids = np.array(self._ids, np.int32)
        counts = np.diff(starts)
        names, sizes = zip(*self._fields, strict=True)
        owner = np.repeat(np.array(names, dtype=object), sizes)
        for name in set(names) & self.exact.keys():  # a field's length: its positions
            sel = owner == name
            length = self.exact[name]
            length += np.bincount(ids[sel], counts[sel], len(length)).astype(np.int64)
            self.counted.add(name)
        self.files["ids"].write(ids.tobytes())
        self.files["weights"].write(np.array(self._weights, np.float32).tobytes())
        self.files["positions"].write(positions.astype(np.int32).tobytes())
        self.files["starts"].write((starts[:-1] + self.npos).astype(np.int64).tobytes())
        self.n += len(ids)
        self.npos += int(starts[-1])
        self._ids, self._weights, self._values, self._fields = [], [], [], []

    def close(self) -> None:
        """Drop the temporary files (after a failed merge)."""
        for tmp in self.files.values():
            tmp.close()

    def write(self, f) -> None:
        """The sidecar file, laid out as segfile.write lays it out; close f."""
        self.flush()
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
        magic = sidecar.MAGIC
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
