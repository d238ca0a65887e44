"""Postings as arrays beside each Whoosh segment (search/ingest/codec.py writes them): mapped,
never loaded cold.

The engine reads a term's document numbers, weights and word positions from the segment's
sidecar file instead of unpickling Whoosh's zlib'd blocks.
"""

import pickle
from pathlib import Path

import numpy as np

from search import segfile
from search.engine.arrays import Postings

# ArraysCodec stays importable here: segments written before search/ingest/codec.py pickled
# their codec under this module's name.
from search.ingest.codec import EXT, MAGIC, ArraysCodec, write_lexicon  # noqa: F401


class Sidecar:
    """One segment's postings arrays, read from its sidecar file (mapped, not copied)."""

    def __init__(self, meta: dict, columns: dict[str, np.ndarray]):
        self.terms = meta["terms"]
        self.columns = columns
        self.nbytes = len(pickle.dumps(self.terms)) // 2  # the term table's rough memory

    def postings(self, field: str, term: str) -> Postings | None:
        """The term's postings, or None if the segment does not have it."""
        span = self.terms.get((field, term))
        if span is None:
            return None
        a, b = span
        c = self.columns
        # Views, no copies: ids are below 2**31 (a segment's documents), and the starts index
        # the segment's whole positions array.
        return (c["ids"][a:b].view(np.int32), c["weights"][a:b], c["positions"],
                c["starts"][a:b + 1])


def open_sidecar(reader) -> Sidecar | None:
    """The sidecar of a segment reader's segment, or None (written before it existed).

    Mapped by us, not through Whoosh's own mmap of the compound file: that one is closed with
    its searcher, under arrays that may still be in use.
    """
    segment = reader._segment
    name = segment.make_filename(EXT)
    storage = reader._storage
    folder = getattr(getattr(storage, "b", storage), "folder", None)
    if folder is None or not storage.file_exists(name):
        return None
    compound = getattr(storage, "a", None)
    if compound is not None and compound.file_exists(name):
        offset, length = compound.range(name)
        path = Path(folder) / segment.make_filename(segment.COMPOUND_EXT)
    else:
        path, offset = Path(folder) / name, 0
        length = path.stat().st_size
    buf = np.memmap(path, np.uint8, "r", offset=offset, shape=(length,))
    found = segfile.read(buf, MAGIC)
    return Sidecar(*found) if found else None
